// Tests for the UDP header parser: round trip, length rules, truncation and garbage.
#include "wire/udp.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "base/random.h"

namespace ustack {
namespace {

TEST(UdpRepr, RoundTrip) {
  UdpRepr r{.src_port = 1234, .dst_port = 7, .length = 20, .checksum = 0xbeef};
  std::array<uint8_t, 20> buf{};
  r.Emit(std::span<uint8_t, kUdpHeaderLen>(buf.data(), kUdpHeaderLen));
  auto p = UdpRepr::Parse(buf, buf.size());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->src_port, 1234);
  EXPECT_EQ(p->dst_port, 7);
  EXPECT_EQ(p->length, 20);
  EXPECT_EQ(p->checksum, 0xbeef);
}

// RFC 768: the length field counts the header, so values under 8 are invalid, and it may not
// claim more than the IP payload.
TEST(UdpRepr, RejectsBadLengths) {
  std::array<uint8_t, 8> buf{0, 1, 0, 2, 0, 7, 0, 0};
  EXPECT_FALSE(UdpRepr::Parse(buf, 8));
  buf[5] = 9;
  EXPECT_FALSE(UdpRepr::Parse(buf, 8));
  buf[5] = 8;
  EXPECT_TRUE(UdpRepr::Parse(buf, 8));
}

TEST(UdpRepr, TruncatedAndGarbageNeverReadOutOfBounds) {
  Random rng(5);
  for (size_t len = 0; len < 8; ++len) {
    std::vector<uint8_t> v(len, 0xff);
    EXPECT_FALSE(UdpRepr::Parse(v, 100)) << len;
  }
  for (int i = 0; i < 10000; ++i) {
    std::vector<uint8_t> v(rng.Below(40));
    for (auto& b : v) b = static_cast<uint8_t>(rng.Next32());
    auto p = UdpRepr::Parse(v, v.size());
    if (p) {
      EXPECT_GE(p->length, kUdpHeaderLen);
      EXPECT_LE(p->length, v.size());
    }
  }
}

}  // namespace
}  // namespace ustack
