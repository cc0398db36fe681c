// A hashed timing wheel: O(1) arm and cancel, expiry work proportional to elapsed ticks.
// Timers are intrusive (embedded in their owners); the wheel never allocates. A timer fires
// at the first Advance(now) with now >= its deadline. Callbacks may arm or cancel any timer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/intrusive_list.h"
#include "base/time.h"

namespace ustack {

class Timer : public ListNode {
 public:
  using Callback = void (*)(void* ctx, Instant now);
  Timer(Callback cb, void* ctx) : cb_(cb), ctx_(ctx) {}

  bool armed() const { return linked(); }
  Instant deadline() const { return deadline_; }

 private:
  friend class TimerWheel;
  Callback cb_;
  void* ctx_;
  Instant deadline_;
};

class TimerWheel {
 public:
  explicit TimerWheel(Instant start, Duration tick = Duration::Millis(1), size_t slots = 4096);

  // Arms (or re-arms) a timer for `deadline`.
  void Arm(Timer* t, Instant deadline);
  void Cancel(Timer* t) {
    if (t->armed() && t->deadline_ <= next_cache_) cache_valid_ = false;
    t->Unlink();
  }
  // Fires every timer whose deadline is <= now; returns how many fired.
  size_t Advance(Instant now);
  // The earliest armed deadline, or Instant::Max() when nothing is armed. Cached between
  // changes, so an idle loop asking every iteration does not rescan the wheel.
  Instant NextDeadline() const;

 private:
  int64_t TickOf(Instant t) const { return t.nanos() / tick_.nanos(); }
  ListHead& Slot(int64_t tick) { return slots_[static_cast<size_t>(tick) % slots_.size()]; }
  size_t RunSlot(int64_t tick, Instant now);

  Duration tick_;
  std::vector<ListHead> slots_;
  int64_t processed_;     // every tick before this one has been fully expired
  Instant next_tick_at_;  // where tick processed_ + 1 starts: Advance's fast path until then
  mutable Instant next_cache_ = Instant::Max();
  mutable bool cache_valid_ = true;
};

}  // namespace ustack
