// Connection ECN (RFC 3168): negotiation with ECE/CWR on the SYNs (6.1.1), the receiver's
// ECE echo of CE marks until CWR (6.1.3), and the sender's one-reduction-per-window
// response to ECE with CWR on the next new data (6.1.2). Data is sent as ECT(0) (output.cc).
#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {

void Connection::EcnOnSyn(const Segment& seg) {
  const TcpEcnMode mode = engine_.config().ecn;
  if (mode == TcpEcnMode::kOff) {
    ecn_ok_ = false;
  } else if (seg.has(kTcpAck)) {
    // RFC 3168 6.1.1: an ECN-setup SYN-ACK has ECE set and CWR clear; we must have asked.
    ecn_ok_ = mode == TcpEcnMode::kOn && seg.has(kTcpEce) && !seg.has(kTcpCwr);
  } else {
    // RFC 3168 6.1.1: an ECN-setup SYN has both ECE and CWR.
    ecn_ok_ = seg.has(kTcpEce) && seg.has(kTcpCwr);
  }
}

uint8_t Connection::EcnFlags(uint8_t flags, bool new_data) {
  if (flags & kTcpRst) return flags;
  if (flags & kTcpSyn) {
    if (!(flags & kTcpAck)) {
      if (engine_.config().ecn == TcpEcnMode::kOn) flags |= kTcpEce | kTcpCwr;  // 6.1.1
    } else if (ecn_ok_) {
      flags |= kTcpEce;  // RFC 3168 6.1.1: ECN-setup SYN-ACK
    }
    return flags;
  }
  if (!ecn_ok_) return flags;
  if (ece_pending_ && (flags & kTcpAck)) flags |= kTcpEce;  // RFC 3168 6.1.3
  if (cwr_pending_ && new_data) {                           // RFC 3168 6.1.2
    flags |= kTcpCwr;
    cwr_pending_ = false;
  }
  return flags;
}

void Connection::EcnOnInput(const Segment& seg, Instant now) {
  if (!ecn_ok_) return;
  // RFC 3168 6.1.3: CWR ends the echo; a CE mark (on this or a later segment) restarts it.
  if (seg.has(kTcpCwr)) ece_pending_ = false;
  if (seg.ce) {
    ++engine_.stats().ecn_ce_in;
    ece_pending_ = true;
    ack_now_ = true;
    engine_.ScheduleFlush(this);
  }
  // RFC 3168 6.1.2: ECE reduces the window like a loss, at most once per window of data,
  // without retransmitting anything.
  if (seg.has(kTcpEce) && seg.has(kTcpAck) && !in_recovery_ &&
      (!ecn_recover_valid_ || seg.ack > ecn_recover_)) {
    ++engine_.stats().ecn_reductions;
    cc_->OnLoss(static_cast<uint32_t>(snd_max_ - snd_una_), now);
    ecn_recover_ = snd_max_;
    ecn_recover_valid_ = true;
    cwr_pending_ = true;
  }
}

}  // namespace ustack
