// TscClock, see tsc_clock.h.
#include "stack/tsc_clock.h"

#include <ctime>
#include <fstream>
#include <string>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace ustack {
namespace {

#if defined(__x86_64__)
constexpr bool kHaveTsc = true;
inline uint64_t ReadTsc() { return __rdtsc(); }
#else
constexpr bool kHaveTsc = false;
inline uint64_t ReadTsc() { return 0; }
#endif

// A (TSC, CLOCK_MONOTONIC) pair taken as close together as the two reads allow: the TSC
// read halfway between two clock reads of the tightest of a few tries.
struct Sample {
  uint64_t tsc;
  Instant mono;
};

Sample TakeSample() {
  Sample best{};
  int64_t best_span = INT64_MAX;
  for (int i = 0; i < 5; ++i) {
    const Instant a = TscClock::Monotonic();
    const uint64_t t = ReadTsc();
    const Instant b = TscClock::Monotonic();
    const int64_t span = (b - a).nanos();
    if (span < best_span) {
      best_span = span;
      best = {t, a + Duration::Nanos(span / 2)};
    }
  }
  return best;
}

}  // namespace

TscClock::TscClock(std::string_view clocksource, Duration calibration) {
  if (!kHaveTsc || clocksource != "tsc") return;
  const Sample first = TakeSample();
  Sample last = first;
  while (last.mono - first.mono < calibration) last = TakeSample();
  const uint64_t ticks = last.tsc - first.tsc;
  const auto ns = static_cast<uint64_t>((last.mono - first.mono).nanos());
  if (ticks == 0 || last.tsc < first.tsc) return;  // a counter that does not advance
  ns_per_tick_q32_ = static_cast<uint64_t>((static_cast<unsigned __int128>(ns) << 32) / ticks);
  tsc0_ = last.tsc;
  base_ = last.mono;
  uses_tsc_ = ns_per_tick_q32_ != 0;
}

Instant TscClock::Now() const {
  if (!uses_tsc_) return Monotonic();
  const uint64_t ticks = ReadTsc() - tsc0_;
  const auto ns =
      static_cast<int64_t>((static_cast<unsigned __int128>(ticks) * ns_per_tick_q32_) >> 32);
  return base_ + Duration::Nanos(ns);
}

uint64_t TscClock::ticks_per_second() const {
  if (!uses_tsc_) return 0;
  return static_cast<uint64_t>((static_cast<unsigned __int128>(1000000000) << 32) /
                               ns_per_tick_q32_);
}

const TscClock& TscClock::Process() {
  static const TscClock clock(KernelClocksource(), Duration::Millis(5));
  return clock;
}

std::string TscClock::KernelClocksource() {
  std::ifstream f("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  f >> name;
  return name;
}

Instant TscClock::Monotonic() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant::FromNanos(static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
}

}  // namespace ustack
