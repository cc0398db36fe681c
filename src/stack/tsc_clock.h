// TscClock: CLOCK_MONOTONIC read through the CPU's time-stamp counter. A poll loop reads the
// clock once per iteration; through the vDSO that was 7-20% of an RR server's samples. When
// the kernel itself keeps CLOCK_MONOTONIC on the TSC (its clocksource is "tsc": it found the
// counter invariant and synchronised across CPUs), the counter is read directly and scaled
// with a rate measured once against CLOCK_MONOTONIC; otherwise every read is clock_gettime.
// Immutable after construction, so one instance may be shared by every thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/time.h"

namespace ustack {

class TscClock {
 public:
  // Uses the TSC when `clocksource` (the kernel's current one) is "tsc" and the CPU has the
  // instruction; measures the rate over `calibration` (a few ms: the error is about 40 ns
  // of clock_gettime jitter over that span).
  TscClock(std::string_view clocksource, Duration calibration);

  Instant Now() const;
  bool uses_tsc() const { return uses_tsc_; }
  // Ticks per second found by the calibration (0 when the TSC is not used).
  uint64_t ticks_per_second() const;

  // The process-wide clock behind Stack::Now(): built at first use from
  // /sys/devices/system/clocksource/clocksource0/current_clocksource.
  static const TscClock& Process();

  // CLOCK_MONOTONIC through clock_gettime.
  static Instant Monotonic();

  // The kernel's current clocksource ("tsc", "kvm-clock", ...; empty if unreadable).
  static std::string KernelClocksource();

 private:
  bool uses_tsc_ = false;
  uint64_t tsc0_ = 0;
  Instant base_;
  uint64_t ns_per_tick_q32_ = 0;  // nanoseconds per tick, 32.32 fixed point
};

}  // namespace ustack
