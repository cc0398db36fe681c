// Connection visibility and socket-option setters: TCP_INFO in Linux's struct tcp_info
// layout (units as Linux: times in microseconds, last_* in milliseconds, windows in
// segments), SO_LINGER, TCP_CORK, TCP_CONGESTION, and the TIME-WAIT reuse test.
#include <netinet/tcp.h>

#include <algorithm>
#include <cstring>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {
namespace {

// Linux's TCP_* state numbers (include/net/tcp_states.h values, as facts).
uint8_t LinuxState(TcpState s) {
  switch (s) {
    case TcpState::kEstablished:
      return 1;
    case TcpState::kSynSent:
      return 2;
    case TcpState::kSynReceived:
      return 3;
    case TcpState::kFinWait1:
      return 4;
    case TcpState::kFinWait2:
      return 5;
    case TcpState::kTimeWait:
      return 6;
    case TcpState::kClosed:
      return 7;
    case TcpState::kCloseWait:
      return 8;
    case TcpState::kLastAck:
      return 9;
    case TcpState::kListen:
      return 10;
    case TcpState::kClosing:
      return 11;
  }
  return 7;
}

uint32_t Ms(Duration d) { return static_cast<uint32_t>(std::max<int64_t>(d.millis(), 0)); }
uint32_t Us(Duration d) { return static_cast<uint32_t>(std::max<int64_t>(d.micros(), 0)); }

}  // namespace

void Connection::GetInfo(struct tcp_info* out, Instant now) const {
  std::memset(out, 0, sizeof(*out));
  const uint32_t mss = std::max<uint32_t>(MaxPayload(), 1);
  out->tcpi_state = LinuxState(state_);
  // TCP_CA_Open 0, Disorder 1, Recovery 3, Loss 4.
  out->tcpi_ca_state = in_recovery_ ? 3 : (retries_ > 0 ? 4 : (dup_acks_ > 0 ? 1 : 0));
  out->tcpi_retransmits = static_cast<uint8_t>(std::min(retries_, 255));
  out->tcpi_probes = static_cast<uint8_t>(std::min(std::max(probes_unanswered_, ka_probes_), 255));
  out->tcpi_backoff = static_cast<uint8_t>(rtt_.backoff_shift());
  // TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK 2, TCPI_OPT_WSCALE 4, TCPI_OPT_ECN 8.
  out->tcpi_options = static_cast<uint8_t>((ts_ok_ ? 1 : 0) | (sack_ok_ ? 2 : 0) |
                                           (ws_ok_ ? 4 : 0) | (ecn_ok_ ? 8 : 0));
  out->tcpi_snd_wscale = snd_wscale_ & 0xf;
  out->tcpi_rcv_wscale = RcvShift() & 0xf;
  out->tcpi_rto = Us(rtt_.rto());
  out->tcpi_ato = Us(engine_.config().delayed_ack);
  out->tcpi_snd_mss = mss;
  out->tcpi_rcv_mss = rcv_mss_;
  const uint32_t outstanding = static_cast<uint32_t>(snd_max_ - snd_una_);
  out->tcpi_unacked = (outstanding + mss - 1) / mss;
  out->tcpi_sacked = (sack_board_.sacked_bytes() + mss - 1) / mss;
  if (UseRack()) {
    out->tcpi_lost = sent_log_.LostSegments();
    out->tcpi_retrans = sent_log_.RetransmittedSegments();
  } else {
    const uint32_t pipe = in_recovery_ ? PipeEstimate() : outstanding;
    const uint32_t lost = outstanding - std::min(outstanding, pipe + sack_board_.sacked_bytes());
    out->tcpi_lost = (lost + mss - 1) / mss;
    out->tcpi_retrans = in_recovery_ && high_rxt_ > snd_una_
                            ? (static_cast<uint32_t>(high_rxt_ - snd_una_) + mss - 1) / mss
                            : 0;
  }
  out->tcpi_last_data_sent = Ms(now - last_data_sent_);
  out->tcpi_last_data_recv = Ms(now - last_data_recv_);
  out->tcpi_last_ack_recv = Ms(now - last_ack_recv_);
  out->tcpi_pmtu = uint32_t{our_mss_} + 40;
  out->tcpi_rcv_ssthresh = ReceiveSpace();
  out->tcpi_rtt = Us(rtt_.srtt());
  out->tcpi_rttvar = Us(rtt_.rttvar());
  const uint32_t ssthresh = cc_->ssthresh();
  out->tcpi_snd_ssthresh = ssthresh >= 0x7fffffffu ? 0x7fffffffu : ssthresh / mss;
  out->tcpi_snd_cwnd = cc_->cwnd() / mss;
  out->tcpi_advmss = our_mss_;
  out->tcpi_reordering = SackScoreboard::kDupThresh;
  out->tcpi_rcv_space = rcv_buf_;  // the receive buffer as autosizing (or SO_RCVBUF) left it
  out->tcpi_rcv_rtt = static_cast<uint32_t>(rcv_auto_.rtt().micros());
  out->tcpi_total_retrans = total_retrans_;
}

void Connection::SetLinger(bool on, Duration linger) { linger_zero_ = on && linger.nanos() <= 0; }

void Connection::SetCork(bool on) {
  cork_ = on;
  if (!on && !snd_buf_.empty()) engine_.ScheduleFlush(this);  // uncorking sends what waits
}

void Connection::SetQuickAck(bool on, Instant now) {
  constexpr uint8_t kQuickAcks = 16;  // like Linux's quick-ack budget
  quick_acks_ = on ? kQuickAcks : 0;
  if (on && ack_pending_) {  // a delayed ACK waiting now goes at once
    ack_now_ = true;
    SendAck(now);
  }
}

void Connection::SetCongestion(TcpCongestionAlgo algo) {
  const uint32_t cwnd = cc_->cwnd();
  const uint32_t ssthresh = cc_->ssthresh();
  cc_.Reset(algo, MaxPayload());
  if (SynAcked()) cc_->SetWindow(cwnd, ssthresh);
  cc_->SetRtt(rtt_.srtt());
}

// RFC 6191 2: with timestamps, a SYN whose TSval is newer than TS.Recent may reuse the
// tuple; without, RFC 9293 3.6.1 / RFC 1122 4.2.2.13: its sequence number must be above
// the old connection's RCV.NXT.
bool Connection::TimeWaitAcceptsSyn(const Segment& syn) const {
  if (!syn.has(kTcpSyn) || syn.has(kTcpAck) || syn.has(kTcpRst)) return false;
  if (ts_ok_ && syn.options.timestamps)
    return static_cast<int32_t>(syn.options.timestamps->value - ts_recent_) > 0;
  return syn.seq > rcv_nxt_;
}

}  // namespace ustack
