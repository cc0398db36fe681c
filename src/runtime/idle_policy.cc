// The adaptive poll back-off, see idle_policy.h.
#include "runtime/idle_policy.h"

#include <algorithm>

namespace ustack {

Duration IdlePolicy::Next(Instant now, bool active) {
  if (cfg_.mode == PollMode::kBusy) return Duration();
  if (active) {
    last_active_ = now;
    step_ = Duration();
    return Duration();
  }
  if (now - last_active_ < cfg_.idle_after) return Duration();
  step_ = step_ == Duration() ? cfg_.min_sleep : std::min(step_ * 2, cfg_.max_sleep);
  return step_;
}

Duration IdlePolicy::ClampToDeadline(Duration nap, Instant now, Instant deadline) {
  if (deadline <= now) return Duration();
  return std::min(nap, deadline - now);
}

}  // namespace ustack
