// RACK time-based loss detection (RFC 8985 6), see rack.h.
#include "tcp/rack.h"

#include <algorithm>

namespace ustack {

void Rack::BeginAck() {
  fack_before_valid_ = has_fack_;
  fack_before_ = fack_;
  has_candidate_ = false;
}

void Rack::OnDelivered(const SentSeg& s, Instant now) {
  const Duration rtt = now - s.xmit;
  if (!s.retransmitted) min_rtt_ = std::min(min_rtt_, rtt);  // RFC 8985 6.2 step 1 (Karn)
  // RFC 8985 6.2 step 2: a retransmitted segment delivered faster than any round trip was
  // delivered by its original transmission: it gives no sample. (The timestamp test of
  // step 2 is left out: the min-RTT test catches the same spurious case.)
  const bool ambiguous = s.retransmitted && rtt < min_rtt_;
  if (!ambiguous && (!has_candidate_ || SentAfter(s.xmit, s.order, cand_xmit_, cand_order_))) {
    has_candidate_ = true;
    cand_xmit_ = s.xmit;
    cand_order_ = s.order;
  }
  // RFC 8985 6.2 step 3: a never-retransmitted segment delivered below the highest sequence
  // delivered before this ACK arrived out of order (within one ACK, ascending order rules).
  if (fack_before_valid_ && !s.retransmitted && s.end < fack_before_) reordering_seen_ = true;
  if (!has_fack_ || s.end > fack_) {
    fack_ = s.end;
    has_fack_ = true;
  }
}

void Rack::EndAck(Instant now, bool dsack, Seq32 snd_una, Seq32 snd_nxt) {
  if (has_candidate_) {
    // RFC 8985 6.2 step 2: RACK.rtt from the most recently sent delivered segment.
    rtt_ = now - cand_xmit_;
    if (!has_xmit_ || SentAfter(cand_xmit_, cand_order_, xmit_ts_, order_)) {
      xmit_ts_ = cand_xmit_;
      order_ = cand_order_;
      has_xmit_ = true;
    }
  }
  // RFC 8985 6.2 step 4: one widening per round trip that sees D-SACK.
  if (dsack_round_valid_ && snd_una >= dsack_round_) dsack_round_valid_ = false;
  if (!dsack_round_valid_ && dsack) {
    dsack_round_valid_ = true;
    dsack_round_ = snd_nxt;
    reo_wnd_mult_ = std::min(reo_wnd_mult_ + 1, kMaxReoWndMult);
    reo_wnd_persist_ = kReoWndPersist;
  }
}

void Rack::OnRecoveryExit() {
  // RFC 8985 6.2 step 4: after 16 recoveries without D-SACK the window shrinks back.
  if (--reo_wnd_persist_ <= 0) {
    reo_wnd_mult_ = 1;
    reo_wnd_persist_ = kReoWndPersist;
  }
}

Duration Rack::ReoWnd(bool in_recovery, uint32_t segs_sacked, Duration srtt) const {
  // RFC 8985 6.2 step 4: without reordering seen, behave like DupThresh once it is reached.
  if (!reordering_seen_ && (in_recovery || segs_sacked >= kDupThresh)) return Duration::Nanos(0);
  if (min_rtt_ == Duration::Max()) return Duration::Nanos(0);
  return std::min(min_rtt_ * reo_wnd_mult_ / 4, srtt);
}

Duration Rack::DetectLoss(SentLog& log, Instant now, Duration reo_wnd, uint32_t* marked) const {
  Duration timeout = Duration::Nanos(0);
  if (!has_xmit_) return timeout;
  for (SentSeg& s : log) {
    if (!SentAfter(xmit_ts_, order_, s.xmit, s.order)) {
      // Original transmissions leave in sequence order: once one was sent after RACK's
      // segment, so were all later originals, and every retransmission is later still.
      if (!s.retransmitted) break;
      continue;
    }
    if (s.sacked || s.lost) continue;
    // RFC 8985 6.2 step 5: lost once RACK.rtt + reo_wnd has passed since it was sent.
    const Duration remaining = (s.xmit + rtt_ + reo_wnd) - now;
    if (remaining <= Duration::Nanos(0)) {
      if (log.MarkLost(s)) ++*marked;
    } else {
      timeout = std::max(timeout, remaining);
    }
  }
  return timeout;
}

}  // namespace ustack
