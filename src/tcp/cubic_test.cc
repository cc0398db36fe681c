// CubicCongestion (RFC 9438): the Reno-friendly increase and the undo of a spurious
// reduction, on a frozen clock so only acknowledged bytes drive the window.
#include "tcp/cubic.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

constexpr uint32_t kMss = 1000;

// Acknowledges `bytes` one segment at a time at `now`.
void AckBytes(CubicCongestion& cc, uint32_t bytes, Instant now) {
  for (uint32_t done = 0; done < bytes; done += kMss) cc.OnAck(kMss, cc.cwnd(), now);
}

// RFC 9438 4.3: after a reduction W_est grows by alpha_cubic = 3(1 - beta)/(1 + beta) (0.53)
// segments per window, and by 1 (as Reno) once it has reached the window before the
// reduction.
TEST(CubicTest, RenoFriendlyAlphaBecomesOneAboveThePriorWindow) {
  CubicCongestion cc(kMss);
  cc.SetRtt(Duration::Millis(100));
  const Instant now = Instant() + Duration::Seconds(10);
  cc.OnLoss(10 * kMss, now);  // cwnd 10 segments: ssthresh = cwnd = 7, W_max = prior = 10
  ASSERT_EQ(cc.cwnd(), 7 * kMss);
  // Below the prior window: about 0.53 segments per window of acknowledgments (once the
  // epoch's first windows have passed).
  while (cc.cwnd() < 8 * kMss) AckBytes(cc, cc.cwnd(), now);
  uint32_t before = cc.cwnd();
  AckBytes(cc, before, now);
  EXPECT_NEAR(static_cast<double>(cc.cwnd() - before) / kMss, 0.53, 0.15);
  // Grow past the prior window of 10 segments.
  while (cc.cwnd() < 12 * kMss) AckBytes(cc, cc.cwnd(), now);
  before = cc.cwnd();
  AckBytes(cc, before, now);
  EXPECT_NEAR(static_cast<double>(cc.cwnd() - before) / kMss, 1.0, 0.15);
}

// RFC 9438 4.9: undoing a spurious reduction restores W_max and K (and the window), so the
// fast convergence of the spurious event does not lower the next plateau.
TEST(CubicTest, UndoRestoresWmaxAndK) {
  CubicCongestion cc(kMss);
  cc.SetRtt(Duration::Millis(10));
  Instant now = Instant() + Duration::Seconds(1);
  cc.OnLoss(40 * kMss, now);  // from the initial window: W_max 10
  cc.SetWindow(cc.ssthresh(), cc.ssthresh());
  for (int i = 0; i < 200; ++i) {  // congestion avoidance for 2 s
    now = now + Duration::Millis(10);
    AckBytes(cc, cc.cwnd(), now);
  }
  const uint32_t cwnd = cc.cwnd();
  const uint32_t ssthresh = cc.ssthresh();
  const double w_max = cc.w_max();
  const double k = cc.k();
  cc.OnLoss(cwnd, now);  // the spurious one
  EXPECT_LT(cc.cwnd(), cwnd);
  cc.Undo(cwnd, ssthresh);
  EXPECT_EQ(cc.cwnd(), cwnd);
  EXPECT_EQ(cc.ssthresh(), ssthresh);
  EXPECT_DOUBLE_EQ(cc.w_max(), w_max);
  EXPECT_DOUBLE_EQ(cc.k(), k);
}

}  // namespace
}  // namespace ustack
