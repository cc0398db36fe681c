// Tests of the adaptive poll back-off on a manual clock: busy while active and during the
// idle_after grace, doubling sleep steps up to the cap, reset on traffic, never past the
// next timer deadline, and busy mode never sleeping.
#include "runtime/idle_policy.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

constexpr Instant kT0 = Instant::FromNanos(1000000000);

IdlePolicyConfig Adaptive() {
  IdlePolicyConfig c;
  c.mode = PollMode::kAdaptive;
  c.idle_after = Duration::Micros(100);
  c.min_sleep = Duration::Micros(10);
  c.max_sleep = Duration::Micros(50);
  return c;
}

TEST(IdlePolicy, BusyModeNeverSleeps) {
  IdlePolicyConfig c = Adaptive();
  c.mode = PollMode::kBusy;
  IdlePolicy p(c, kT0);
  EXPECT_EQ(p.Next(kT0 + Duration::Seconds(10), false), Duration());
}

TEST(IdlePolicy, PollsWhileActiveAndDuringGrace) {
  IdlePolicy p(Adaptive(), kT0);
  EXPECT_EQ(p.Next(kT0 + Duration::Micros(50), true), Duration());
  // 99 us after the last traffic: still inside idle_after.
  EXPECT_EQ(p.Next(kT0 + Duration::Micros(149), false), Duration());
  EXPECT_EQ(p.step(), Duration());
}

TEST(IdlePolicy, BacksOffByDoublingUpToTheCap) {
  IdlePolicy p(Adaptive(), kT0);
  Instant t = kT0 + Duration::Micros(100);
  EXPECT_EQ(p.Next(t, false), Duration::Micros(10));
  EXPECT_EQ(p.Next(t + Duration::Micros(10), false), Duration::Micros(20));
  EXPECT_EQ(p.Next(t + Duration::Micros(30), false), Duration::Micros(40));
  EXPECT_EQ(p.Next(t + Duration::Micros(70), false), Duration::Micros(50));
  EXPECT_EQ(p.Next(t + Duration::Micros(120), false), Duration::Micros(50));
}

TEST(IdlePolicy, TrafficResetsToBusyPolling) {
  IdlePolicy p(Adaptive(), kT0);
  Instant t = kT0 + Duration::Micros(500);
  EXPECT_GT(p.Next(t, false), Duration());
  EXPECT_EQ(p.Next(t + Duration::Micros(1), true), Duration());
  EXPECT_EQ(p.step(), Duration());
  // The grace period starts again from the traffic.
  EXPECT_EQ(p.Next(t + Duration::Micros(90), false), Duration());
  EXPECT_EQ(p.Next(t + Duration::Micros(101), false), Duration::Micros(10));
}

TEST(IdlePolicy, NeverSleepsPastTheNextDeadline) {
  const Instant t = kT0 + Duration::Seconds(1);
  const Duration nap = Duration::Micros(50);
  EXPECT_EQ(IdlePolicy::ClampToDeadline(nap, t, Instant::Max()), nap);
  EXPECT_EQ(IdlePolicy::ClampToDeadline(nap, t, t + Duration::Micros(7)), Duration::Micros(7));
  EXPECT_EQ(IdlePolicy::ClampToDeadline(nap, t, t), Duration());                        // due
  EXPECT_EQ(IdlePolicy::ClampToDeadline(nap, t, t - Duration::Micros(3)), Duration());  // late
}

}  // namespace
}  // namespace ustack
