// CongestionSlot (congestion_slot.h): builds the configured controller in place and replaces
// it on Reset with a fresh one of the new kind.
#include "tcp/congestion_slot.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

TEST(CongestionSlot, BuildsTheChosenController) {
  CongestionSlot cubic(TcpCongestionAlgo::kCubic, 1000);
  EXPECT_STREQ(cubic->name(), "cubic");
  CongestionSlot reno(TcpCongestionAlgo::kNewReno, 1000);
  EXPECT_STREQ(reno->name(), "reno");
  // RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)).
  EXPECT_EQ(reno->cwnd(), 10'000u);
  EXPECT_EQ((*cubic).cwnd(), 10'000u);
}

TEST(CongestionSlot, ResetStartsAFreshControllerOfTheNewKind) {
  CongestionSlot cc(TcpCongestionAlgo::kCubic, 1000);
  cc->OnLoss(20'000, Instant() + Duration::Seconds(1));
  ASSERT_NE(cc->ssthresh(), UINT32_MAX);
  cc.Reset(TcpCongestionAlgo::kNewReno, 1460);
  EXPECT_STREQ(cc->name(), "reno");
  EXPECT_EQ(cc->ssthresh(), UINT32_MAX);  // RFC 5681 3.1: initially arbitrarily high
  EXPECT_EQ(cc->cwnd(), 14'600u);
  cc.Reset(TcpCongestionAlgo::kCubic, 1460);
  EXPECT_STREQ(cc->name(), "cubic");
}

}  // namespace
}  // namespace ustack
