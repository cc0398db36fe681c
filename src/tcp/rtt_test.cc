// Unit tests for the RFC 6298 estimator (rtt.h) and the Reno controller (congestion.h).
#include <gtest/gtest.h>

#include "tcp/congestion.h"
#include "tcp/rtt.h"

namespace ustack {
namespace {

RttEstimator Make() {
  return RttEstimator(Duration::Seconds(1), Duration::Millis(200), Duration::Seconds(60),
                      Duration::Millis(1));
}

TEST(Rtt, InitialRtoIsOneSecond) {
  RttEstimator r = Make();
  EXPECT_FALSE(r.has_sample());
  EXPECT_EQ(r.rto(), Duration::Seconds(1));  // RFC 6298 2.1
}

TEST(Rtt, FirstSampleSetsSrttAndRttvar) {
  RttEstimator r = Make();
  r.Sample(Duration::Millis(100));
  EXPECT_EQ(r.srtt(), Duration::Millis(100));  // RFC 6298 2.2
  EXPECT_EQ(r.rttvar(), Duration::Millis(50));
  EXPECT_EQ(r.rto(), Duration::Millis(300));  // 100 + 4*50
}

TEST(Rtt, SubsequentSamplesSmooth) {
  RttEstimator r = Make();
  r.Sample(Duration::Millis(100));
  r.Sample(Duration::Millis(200));
  // RFC 6298 2.3: RTTVAR = 3/4*50 + 1/4*|100-200| = 62.5; SRTT = 7/8*100 + 1/8*200 = 112.5.
  EXPECT_EQ(r.rttvar(), Duration::Micros(62500));
  EXPECT_EQ(r.srtt(), Duration::Micros(112500));
  EXPECT_EQ(r.rto(), Duration::Micros(112500 + 250000));
}

TEST(Rtt, ClampedToMinAndMax) {
  RttEstimator r = Make();
  r.Sample(Duration::Millis(1));
  EXPECT_EQ(r.rto(), Duration::Millis(200));  // RFC 6298 2.4 (with a 200 ms floor)
  RttEstimator big = Make();
  big.Sample(Duration::Seconds(50));
  EXPECT_EQ(big.rto(), Duration::Seconds(60));  // RFC 6298 2.5
}

TEST(Rtt, BackoffDoublesUntilMaxAndSampleResets) {
  RttEstimator r = Make();
  r.Sample(Duration::Millis(100));
  const Duration base = r.rto();
  r.Backoff();
  EXPECT_EQ(r.rto(), base * 2);  // RFC 6298 5.5
  r.Backoff();
  EXPECT_EQ(r.rto(), base * 4);
  for (int i = 0; i < 30; ++i) r.Backoff();
  EXPECT_EQ(r.rto(), Duration::Seconds(60));
  r.Sample(Duration::Millis(100));
  EXPECT_EQ(r.backoff_shift(), 0);
  EXPECT_LT(r.rto(), Duration::Seconds(1));
}

TEST(Rtt, SynTimeoutRaisesRtoToThreeSeconds) {
  RttEstimator r = Make();
  r.Backoff();
  r.ResetAfterSynTimeout();  // RFC 6298 5.7
  EXPECT_EQ(r.rto(), Duration::Seconds(3));
}

TEST(Reno, SlowStartThenAvoidanceThenTimeout) {
  RenoCongestion cc(1000);
  EXPECT_EQ(cc.cwnd(), 10000u);  // RFC 6928 initial window
  cc.OnAck(1000, 10000, Instant());
  EXPECT_EQ(cc.cwnd(), 11000u);  // slow start: +1 SMSS per ACK
  cc.OnRetransmitTimeout(11000, Instant());
  EXPECT_EQ(cc.cwnd(), 1000u);  // RFC 5681: LW = 1 SMSS
  EXPECT_EQ(cc.ssthresh(), 5500u);
  for (int i = 0; i < 5; ++i) cc.OnAck(1000, 1000, Instant());
  EXPECT_EQ(cc.cwnd(), 6000u);  // slow start up to and past ssthresh
  for (int i = 0; i < 6; ++i) cc.OnAck(1000, 6000, Instant());
  EXPECT_EQ(cc.cwnd(), 7000u);  // congestion avoidance: +1 SMSS per cwnd acknowledged
}

}  // namespace
}  // namespace ustack
