// Unit tests of the raw ping-pong's pure parts: probe frames and the latency histogram.
#include <gtest/gtest.h>

#include <array>

#include "latency_histogram.h"
#include "probe.h"

namespace ustack::rawbench {
namespace {

constexpr MacAddr kA{{0x02, 0, 0, 0, 0, 1}};
constexpr MacAddr kB{{0x02, 0, 0, 0, 0, 2}};

TEST(RawProbe, WriteReadStampAndSwap) {
  std::array<uint8_t, 64> f{};
  f.fill(0xee);
  ASSERT_TRUE(WriteProbe(f, kA, kB, {7, 123456789}));
  EXPECT_EQ(f[12], 0x88);
  EXPECT_EQ(f[13], 0xB5);
  EXPECT_EQ(f[63], 0);  // padding zeroed
  auto p = ReadProbe(f);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->seq, 7u);
  EXPECT_EQ(p->tsc, 123456789u);
  StampProbe(f, {8, 42});
  EXPECT_EQ(ReadProbe(f)->seq, 8u);
  EXPECT_EQ(ReadProbe(f)->tsc, 42u);
  ASSERT_TRUE(SwapMacs(f));
  EXPECT_TRUE(std::equal(kB.b.begin(), kB.b.end(), f.begin()));
  EXPECT_TRUE(std::equal(kA.b.begin(), kA.b.end(), f.begin() + 6));
  EXPECT_EQ(ReadProbe(f)->seq, 8u);  // the payload is untouched
}

TEST(RawProbe, RejectsShortAndForeignFrames) {
  std::array<uint8_t, kProbeMinFrame - 1> shorter{};
  EXPECT_FALSE(WriteProbe(shorter, kA, kB, {}));
  EXPECT_FALSE(ReadProbe(shorter));
  std::array<uint8_t, 64> ipv4{};
  ipv4[12] = 0x08;
  EXPECT_FALSE(ReadProbe(ipv4));
  std::array<uint8_t, 11> tiny{};
  EXPECT_FALSE(SwapMacs(tiny));
}

TEST(RawHistogram, NearestRankPercentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.5), 0u);
  for (uint64_t ns = 1; ns <= 1000; ++ns) h.Record(ns);
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.Percentile(0.5), 500u);
  EXPECT_EQ(h.Percentile(0.99), 990u);
  EXPECT_EQ(h.Percentile(0.999), 999u);
  EXPECT_EQ(h.Percentile(1.0), 1000u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 1000u);
  EXPECT_DOUBLE_EQ(h.mean(), 500.5);
}

TEST(RawHistogram, SlowSamplesAboveTheBuckets) {
  LatencyHistogram h;
  for (int i = 0; i < 98; ++i) h.Record(900);
  h.Record(LatencyHistogram::kExactNs + 5);
  h.Record(5'000'000);
  EXPECT_EQ(h.Percentile(0.98), 900u);
  EXPECT_EQ(h.Percentile(0.99), LatencyHistogram::kExactNs + 5);
  EXPECT_EQ(h.Percentile(1.0), 5'000'000u);
  h.Clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.Percentile(0.5), 0u);
}

}  // namespace
}  // namespace ustack::rawbench
