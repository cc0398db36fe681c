// RACK time-based loss detection (RFC 8985 6) wired into a connection: every data segment
// sent is logged with its time (output.cc), every ACK delivers segments to RACK, RACK marks
// the segments sent sufficiently earlier than the latest delivered one as lost, and those are
// what SACK recovery retransmits (recovery.cc). A segment that might still be merely
// reordered waits on the reordering timer (RFC 8985 6.3). RACK replaces RFC 6675's DupThresh
// rule when both ends speak SACK and `TcpConfig::rack` is on, as in Linux.
#include <array>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {

bool Connection::UseRack() const { return sack_ok_ && engine_.config().rack; }

// RFC 8985 6.2 steps 1-4 for one acceptable ACK, after SND.UNA moved: the segments it
// delivered, cumulatively first and then by SACK, in ascending sequence order.
void Connection::RackOnAck(const Segment& seg, bool dsack, Instant now) {
  rack_.BeginAck();
  auto delivered = [&](const SentSeg& s) { rack_.OnDelivered(s, now); };
  sent_log_.AckTo(snd_una_, delivered);
  std::array<SeqRange, kTcpMaxSackBlocks> blocks{};
  size_t n = 0;
  for (size_t i = 0; i < seg.options.sack_count && i < seg.options.sack.size(); ++i) {
    if (i == 0 && dsack) continue;  // RFC 2883 4: a duplicate report, nothing newly delivered
    const SeqRange r{Seq32(seg.options.sack[i].left), Seq32(seg.options.sack[i].right)};
    if (r.right <= r.left || r.left < snd_una_ || r.right > snd_max_) continue;
    size_t j = n++;  // insertion in ascending order (at most four blocks)
    for (; j > 0 && r.left < blocks[j - 1].left; --j) blocks[j] = blocks[j - 1];
    blocks[j] = r;
  }
  for (size_t i = 0; i < n; ++i) sent_log_.Sack(blocks[i].left, blocks[i].right, delivered);
  rack_.EndAck(now, dsack, snd_una_, snd_max_);
}

// RFC 8985 6.2 step 5: mark what is lost now; what may still be reordering waits on the
// reordering timer, which stands in for the RTO/PTO until it fires (RFC 8985 6.3).
void Connection::RackDetect(Instant now) {
  const Duration srtt =
      rtt_.has_sample() && rtt_.srtt() > Duration::Nanos(0) ? rtt_.srtt() : Duration::Max();
  const Duration reo_wnd = rack_.ReoWnd(in_recovery_, sent_log_.sacked_segs(), srtt);
  uint32_t marked = 0;
  const Duration wait = rack_.DetectLoss(sent_log_, now, reo_wnd, &marked);
  engine_.stats().rack_lost += marked;
  const bool send_timer = timer_kind_ == TimerKind::kRetransmit ||
                          timer_kind_ == TimerKind::kLossProbe ||
                          timer_kind_ == TimerKind::kReorder || timer_kind_ == TimerKind::kNone;
  if (wait > Duration::Nanos(0) && send_timer) {
    ArmTimer(TimerKind::kReorder, wait, now);
  } else if (timer_kind_ == TimerKind::kReorder) {
    ArmTimer(TimerKind::kRetransmit, rtt_.rto(), now);  // nothing waits any more
  }
}

// RFC 8985 6.3: the reordering timer expired: judge again with the later clock; losses
// start (or continue) recovery; the RTO guards the flight again afterwards.
void Connection::OnReorderTimeout(Instant now) {
  if (snd_max_ == snd_una_ || !UseRack()) return;
  RackDetect(now);
  if (sent_log_.lost_bytes() > 0) {
    ++engine_.stats().rack_reorder_timeouts;
    if (!in_recovery_ && MayEnterRecovery()) {
      EnterRecovery(0, now);
    } else {
      engine_.ScheduleFlush(this);
    }
  }
  if (!main_timer_.armed()) ArmTimer(TimerKind::kRetransmit, rtt_.rto(), now);
}

// RFC 6582 3.2 step 1 / RFC 6675 5: one window reduction per flight: a loss in data sent
// before the last recovery point repairs without another reduction.
bool Connection::MayEnterRecovery() const {
  if (!recover_valid_ || snd_una_ > recover_) return true;
  if (!UseRack()) return false;
  const SentSeg* lost = sent_log_.FirstLost();
  return lost != nullptr && lost->start >= recover_;
}

// Outside fast recovery (after an RTO, or for losses of an episode already answered), lost
// segments that go-back-N has already resent go again, within cwnd.
void Connection::RetransmitLostOpen(Instant now) {
  const uint32_t mss = MaxPayload();
  while (sent_log_.lost_bytes() > 0 && sent_log_.InFlight() + mss <= cc_->cwnd()) {
    const SentSeg* lost = sent_log_.FirstLost();
    if (lost == nullptr || lost->start >= snd_nxt_) return;  // go-back-N will send it
    if (RetransmitHole(now) == 0) return;
  }
}

}  // namespace ustack
