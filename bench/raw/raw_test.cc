// Unit tests of the raw ping-pong's pure part: probe frames (its latency histogram is
// base/latency_histogram.h, tested in src/base/tests/latency_histogram_test.cc).
#include <gtest/gtest.h>

#include <array>

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

}  // namespace
}  // namespace ustack::rawbench
