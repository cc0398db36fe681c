// IdlePolicy: how the run loop waits when there is nothing to do. Busy mode always polls
// again at once. Adaptive mode busy-polls while there is traffic and for `idle_after` after
// the last frame moved, then sleeps between polls: first `min_sleep`, doubling after each
// iteration that still found nothing, up to `max_sleep`; any traffic resets it to busy
// polling. A sleep never runs past the stack's next timer deadline (ClampToDeadline). Pure:
// the caller passes the time in and does the sleeping, so it is tested with a manual clock.
#pragma once

#include "base/time.h"

namespace ustack {

enum class PollMode { kBusy, kAdaptive };

struct IdlePolicyConfig {
  PollMode mode = PollMode::kAdaptive;
  Duration idle_after = Duration::Micros(2000);  // busy polling after the last traffic
  Duration min_sleep = Duration::Micros(50);     // first sleep step
  Duration max_sleep = Duration::Micros(1000);   // longest sleep step (bounds wake latency)
};

class IdlePolicy {
 public:
  IdlePolicy(const IdlePolicyConfig& cfg, Instant now) : cfg_(cfg), last_active_(now) {}

  // After one loop iteration at `now`, where `active` says whether frames were received or
  // sent in it: how long to sleep before the next iteration (zero: poll again at once),
  // before clamping to the next timer (see ClampToDeadline). Reading the stack's next
  // deadline can cost a scan of the timer wheel, so the loop asks for it only when this
  // returns a sleep.
  Duration Next(Instant now, bool active);

  // `nap` shortened so that it ends no later than `deadline` (zero if that has passed).
  static Duration ClampToDeadline(Duration nap, Instant now, Instant deadline);

  // The step the next sleep would take (for tests and reports); zero while busy polling.
  Duration step() const { return step_; }

 private:
  IdlePolicyConfig cfg_;
  Instant last_active_;
  Duration step_;  // zero until the loop has been idle for idle_after
};

}  // namespace ustack
