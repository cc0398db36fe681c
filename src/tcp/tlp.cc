// Tail loss probe (RFC 8985 7): when the last segments of a flight may be lost, nothing is
// left to trigger fast recovery and only the RTO would repair them. After a probe timeout
// (PTO, about two round trips) the sender sends one segment — new data if it may, else the
// last segment again — so that the peer's ACK (with SACK) starts fast recovery instead. The
// ACK that covers the probe tells whether it repaired a loss (RFC 8985 7.4).
#include <algorithm>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {
namespace {

// RFC 8985 7.2: WCDelAckT, the worst-case delayed-ACK timer of the peer.
constexpr Duration kWorstCaseDelayedAck = Duration::Millis(200);
// RTT samples are whole milliseconds (timestamps), so a fast path has SRTT 0; the probe
// then waits at least this long rather than repeating every flight at once.
constexpr Duration kMinProbeTimeout = Duration::Millis(10);

}  // namespace

// RFC 8985 7.2: probe only in the open state of an established connection with SACK (the
// peer's SACK or D-SACK reports the outcome), one probe per tail, and not after an RTO.
bool Connection::TlpEligible() const {
  const bool open = state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait;
  return engine_.config().tail_loss_probe && open && sack_ok_ && !in_recovery_ && retries_ == 0 &&
         !tlp_in_flight_ && snd_max_ != snd_una_;
}

// RFC 8985 7.2: PTO = 2 * SRTT (1 s before any sample), plus WCDelAckT when only one
// segment is in flight (its ACK may be delayed), never later than the RTO would fire.
Duration Connection::ProbeTimeout() const {
  Duration pto =
      rtt_.has_sample() ? std::max(rtt_.srtt() * 2, kMinProbeTimeout) : Duration::Seconds(1);
  if (snd_max_ - snd_una_ <= static_cast<int32_t>(MaxPayload())) pto += kWorstCaseDelayedAck;
  return std::min(pto, rtt_.rto());
}

void Connection::ArmSendTimer(Instant now) {
  if (TlpEligible()) {
    ArmTimer(TimerKind::kLossProbe, ProbeTimeout(), now);
  } else {
    ArmTimer(TimerKind::kRetransmit, rtt_.rto(), now);
  }
}

// RFC 8985 7.3: send one new segment if the window allows, else retransmit the last one;
// then the RTO guards the flight.
void Connection::OnLossProbe(Instant now) {
  if (snd_max_ == snd_una_) return;
  if (!TlpEligible()) {  // recovery started since the PTO was armed: the RTO guards now
    ArmTimer(TimerKind::kRetransmit, rtt_.rto(), now);
    return;
  }
  ++engine_.stats().tlp_probes;
  // New data only inside the peer's window (cwnd does not apply to the probe).
  const uint32_t off = static_cast<uint32_t>(snd_nxt_ - snd_una_);
  const bool new_data = snd_nxt_ == snd_max_ && snd_buf_.size() > off && snd_wnd_ > off;
  tlp_retrans_ = !(new_data && SendNext(true, now));
  if (tlp_retrans_ && !RetransmitLast(now)) return;
  tlp_in_flight_ = true;
  tlp_end_ = snd_max_;
  ArmTimer(TimerKind::kRetransmit, rtt_.rto(), now);
}

// The highest-sequence segment sent, again (with our FIN if it rode on it).
bool Connection::RetransmitLast(Instant now) {
  const bool fin_sent = fin_queued_ && snd_max_ > fin_seq_;
  const Seq32 data_end = fin_sent ? fin_seq_ : snd_max_;
  const uint32_t in_flight = static_cast<uint32_t>(data_end - snd_una_);
  const uint32_t len = std::min(in_flight, MaxPayload());
  const Seq32 seq = data_end - len;
  uint8_t flags = kTcpAck;
  if (fin_sent) flags |= kTcpFin;
  if (len > 0 && in_flight == snd_buf_.size()) flags |= kTcpPsh;  // as when first sent
  if (len == 0 && !fin_sent) return false;
  const Seq32 saved_nxt = snd_nxt_;
  const bool ok = SendSegment(seq, flags, static_cast<uint32_t>(seq - snd_una_), len, now);
  snd_nxt_ = saved_nxt;
  rtt_timing_ = false;  // RFC 6298 3 (Karn)
  return ok;
}

// RFC 8985 7.4.1: the ACKs after a probe tell whether it repaired a loss. A new-data probe
// says nothing; a D-SACK of the probe or a bare duplicate ACK means the original arrived
// too; an ACK beyond the probe without either means the probe filled a hole, so the
// congestion response of fast recovery is due (RFC 8985 7.4.2).
void Connection::TlpOnAck(const Segment& seg, bool advanced, bool dsack, Instant now) {
  if (!tlp_in_flight_ || seg.ack < tlp_end_) return;
  if (!tlp_retrans_ || dsack) {
    tlp_in_flight_ = false;
    return;
  }
  if (seg.ack > tlp_end_) {
    tlp_in_flight_ = false;
    ++engine_.stats().tlp_recoveries;
    dsack_undo_.Cancel();  // a later D-SACK undo must not undo this reduction too
    cc_->OnLoss(static_cast<uint32_t>(snd_max_ - snd_una_), now);
    cc_->SetWindow(cc_->ssthresh(), cc_->ssthresh());
    return;
  }
  if (!advanced && seg.payload_len == 0 && seg.options.sack_count == 0) {
    tlp_in_flight_ = false;  // the duplicate's own ACK: both copies arrived
  }
}

}  // namespace ustack
