// DsackUndo: D-SACK-based detection of unnecessary retransmissions (RFC 3708 2, using the
// D-SACK reports of RFC 2883 4). The sender records every retransmission of a loss-recovery
// episode; when D-SACK blocks have reported each retransmitted byte back as a duplicate (as
// many times as it was sent again), the originals had all arrived: the episode was spurious
// (reordering, not loss) and its window reduction may be undone, as with Eifel (RFC 3522).
// A D-SACK for data that was never retransmitted (network duplication) counts for nothing.
// Ownership: a plain value inside a Connection; pure logic, no clock.
// Invariants: ranges_ are sorted, disjoint, at most kMaxRanges; reported <= copies * len.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/seq32.h"

namespace ustack {

class DsackUndo {
 public:
  // Episodes retransmitting more separate ranges than this are not tracked (a burst of real
  // losses, which D-SACK would hardly ever show to be spurious in full); small, because every
  // connection carries the ranges.
  static constexpr size_t kMaxRanges = 4;

  // A recovery episode starts: nothing retransmitted yet, the undo window opens.
  void Begin();
  // No undo for this episode (an RTO, another reduction, or the reduction was undone).
  void Cancel() { state_ = State::kIdle; }
  // [start, end) was retransmitted within the episode.
  void OnRetransmit(Seq32 start, Seq32 end);
  // A D-SACK block [left, right) arrived. True when it completes the set: every
  // retransmission of the episode has been reported back; the episode is then over.
  bool OnDsack(Seq32 left, Seq32 right);
  // The episode's recovery ended with `snd_max` the highest sequence sent: D-SACKs for its
  // retransmissions arrive before the ACK of data sent later, so the window closes once the
  // cumulative ACK passes `snd_max` (OnAck).
  void CloseAt(Seq32 snd_max);
  void OnAck(Seq32 snd_una);

  bool active() const { return state_ != State::kIdle; }
  size_t ranges() const { return count_; }

 private:
  struct Range {
    Seq32 start;
    Seq32 end;
    uint32_t copies = 0;    // times this range was sent again
    uint32_t reported = 0;  // bytes of it D-SACKed so far
    uint32_t len() const { return static_cast<uint32_t>(end - start); }
  };
  enum class State : uint8_t { kIdle, kOpen, kClosing };

  bool AllReported() const;

  State state_ = State::kIdle;
  uint8_t count_ = 0;
  Seq32 close_at_;
  std::array<Range, kMaxRanges> ranges_{};
};

}  // namespace ustack
