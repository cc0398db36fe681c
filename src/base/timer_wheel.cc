// Hashed timing wheel, see timer_wheel.h.
#include "base/timer_wheel.h"

#include <algorithm>

namespace ustack {

TimerWheel::TimerWheel(Instant start, Duration tick, size_t slots)
    : tick_(tick),
      slots_(slots),
      processed_(TickOf(start)),
      next_tick_at_(Instant::FromNanos((processed_ + 1) * tick_.nanos())) {}

void TimerWheel::Arm(Timer* t, Instant deadline) {
  if (t->armed() && t->deadline_ <= next_cache_) cache_valid_ = false;
  t->deadline_ = deadline;
  if (cache_valid_ && deadline < next_cache_) next_cache_ = deadline;
  const int64_t tick = std::max(TickOf(deadline), processed_);
  Slot(tick).PushBack(t);
}

size_t TimerWheel::RunSlot(int64_t tick, Instant now) {
  ListHead due;
  ListHead& slot = Slot(tick);
  // Move the due timers out first so callbacks that re-arm into this slot are not revisited.
  ListNode* n = slot.front();
  while (n) {
    ListNode* next = slot.Next(n);
    if (static_cast<Timer*>(n)->deadline_ <= now) due.PushBack(n);
    n = next;
  }
  size_t fired = 0;
  while (ListNode* d = due.PopFront()) {
    auto* t = static_cast<Timer*>(d);
    t->cb_(t->ctx_, now);
    ++fired;
  }
  return fired;
}

size_t TimerWheel::Advance(Instant now) {
  size_t fired = 0;
  if (now < next_tick_at_) {
    // Still in the tick of the last call (a busy loop polls many times per tick): earlier
    // ticks are done, so only this tick's slot can hold a due timer, and usually it is empty.
    // No division either.
    if (Slot(processed_).empty()) return 0;
    fired = RunSlot(processed_, now);
  } else {
    const int64_t now_tick = TickOf(now);
    const int64_t span = static_cast<int64_t>(slots_.size());
    const int64_t first = std::max(processed_, now_tick - span + 1);
    for (int64_t t = first; t <= now_tick; ++t) {
      if (!Slot(t).empty()) fired += RunSlot(t, now);
    }
    processed_ = now_tick;
    next_tick_at_ = Instant::FromNanos((now_tick + 1) * tick_.nanos());
  }
  if (fired > 0 || next_cache_ <= now) cache_valid_ = false;
  return fired;
}

Instant TimerWheel::NextDeadline() const {
  if (cache_valid_) return next_cache_;
  Instant best = Instant::Max();
  const int64_t span = static_cast<int64_t>(slots_.size());
  for (int64_t t = processed_; t < processed_ + span; ++t) {
    const ListHead& slot = slots_[static_cast<size_t>(t) % slots_.size()];
    for (ListNode* n = slot.front(); n; n = slot.Next(n)) {
      best = std::min(best, static_cast<Timer*>(n)->deadline_);
    }
    if (best != Instant::Max() && TickOf(best) <= t) break;
  }
  next_cache_ = best;
  cache_valid_ = true;
  return best;
}

}  // namespace ustack
