// TscClock against clock_gettime(CLOCK_MONOTONIC): the TSC path where this machine's kernel
// keeps its clock on the TSC, the fallback for any other clocksource.
#include "stack/tsc_clock.h"

#include "stack/stack.h"

#include <gtest/gtest.h>

#include <thread>

namespace ustack {
namespace {

TEST(TscClock, OtherClocksourcesReadClockGettime) {
  const TscClock c("hpet", Duration::Millis(1));
  EXPECT_FALSE(c.uses_tsc());
  EXPECT_EQ(c.ticks_per_second(), 0u);
  const Instant a = TscClock::Monotonic();
  const Instant n = c.Now();
  const Instant b = TscClock::Monotonic();
  EXPECT_LE(a, n);
  EXPECT_LE(n, b);
}

TEST(TscClock, TracksTheMonotonicClockAndNeverGoesBack) {
  if (TscClock::KernelClocksource() != "tsc") {
    GTEST_SKIP() << "clocksource is " << TscClock::KernelClocksource();
  }
  const TscClock c("tsc", Duration::Millis(5));
  ASSERT_TRUE(c.uses_tsc());
  EXPECT_GT(c.ticks_per_second(), 100'000'000u);  // any x86 TSC of this century
  Instant prev = c.Now();
  for (int round = 0; round < 5; ++round) {
    for (int i = 0; i < 100000; ++i) {
      const Instant n = c.Now();
      ASSERT_GE(n, prev);
      prev = n;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    // Within 50 us of clock_gettime after up to ~0.1 s: a rate error of a few ppm, plus a
    // possible preemption between the reads.
    const Instant a = TscClock::Monotonic();
    const Instant n = c.Now();
    const Instant b = TscClock::Monotonic();
    EXPECT_LT(std::abs((n - a).nanos()), 50'000 + (b - a).nanos()) << "round " << round;
  }
}

TEST(TscClock, ProcessClockIsStackNow) {
  const TscClock& c = TscClock::Process();  // calibrated at first use (a few ms)
  const Instant a = TscClock::Monotonic();
  const Instant n = c.Now();
  const Instant s = Stack::Now();
  const Instant b = TscClock::Monotonic();
  EXPECT_GT(n, a - Duration::Micros(50));
  EXPECT_LT(n, b + Duration::Micros(50));
  EXPECT_GE(s, n);
  EXPECT_LT(s, b + Duration::Micros(50));
}

}  // namespace
}  // namespace ustack
