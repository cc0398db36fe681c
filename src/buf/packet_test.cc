// Unit tests for Packet over real DPDK mbufs (EAL without hugepages).
#include "buf/packet.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "base/checksum.h"
#include "buf/test_eal.h"

namespace ustack {
namespace {

class PacketTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitTestEal()); }
  static PacketPool& Pool() {
    static PacketPool pool("pkt_test", 1024);
    return pool;
  }
};

std::vector<uint8_t> Bytes(size_t n) {
  std::vector<uint8_t> v(n);
  std::iota(v.begin(), v.end(), 0);
  return v;
}

TEST_F(PacketTest, AllocReservesHeadroomAndPrependPull) {
  Packet p = Packet::Alloc(Pool().get());
  ASSERT_TRUE(p);
  EXPECT_GE(p.headroom(), kTxHeadroom);
  uint8_t* h = p.Prepend(20);
  ASSERT_NE(h, nullptr);
  h[0] = 0xab;
  EXPECT_EQ(p.length(), 20u);
  EXPECT_TRUE(p.Pull(4));
  EXPECT_EQ(p.length(), 16u);
  EXPECT_FALSE(p.Pull(17));
  EXPECT_EQ(p.Prepend(60000), nullptr);
}

TEST_F(PacketTest, MultiSegmentAppendCopyOutChecksumTrim) {
  const auto data = Bytes(5000);
  Packet p = Packet::FromBytes(Pool().get(), data);
  ASSERT_TRUE(p);
  EXPECT_GT(p.segments(), 1);
  EXPECT_EQ(p.length(), 5000u);
  std::vector<uint8_t> out(5000);
  EXPECT_EQ(p.CopyOut(0, out), 5000u);
  EXPECT_EQ(out, data);
  EXPECT_EQ(ChecksumFold(p.ChecksumSum(3, 4000)),
            ChecksumFold(ChecksumAdd(0, std::span(data).subspan(3, 4000))));
  EXPECT_TRUE(p.TruncateTo(2100));
  EXPECT_EQ(p.length(), 2100u);
  std::vector<uint8_t> out2(3000);
  EXPECT_EQ(p.CopyOut(0, out2), 2100u);
  EXPECT_TRUE(std::equal(out2.begin(), out2.begin() + 2100, data.begin()));
  EXPECT_FALSE(p.TrimBack(3000));
}

TEST_F(PacketTest, MakeContiguousAndCopy) {
  const auto data = Bytes(3000);
  Packet p = Packet::FromBytes(Pool().get(), data);
  ASSERT_TRUE(p);
  Packet q = p.Copy(Pool().get());
  ASSERT_TRUE(q);
  EXPECT_EQ(q.length(), 3000u);
  EXPECT_FALSE(p.MakeContiguous(4000));
  EXPECT_TRUE(p.MakeContiguous(64));
  EXPECT_GE(p.head().size(), 64u);
  std::vector<uint8_t> out(3000);
  q.CopyOut(0, out);
  EXPECT_EQ(out, data);
}

TEST_F(PacketTest, ExhaustedPoolGivesInvalidPacket) {
  PacketPool small("pkt_small", 8);
  ASSERT_TRUE(small.ok());
  std::vector<Packet> held;
  for (int i = 0; i < 16; ++i) {
    Packet p = Packet::Alloc(small.get());
    if (!p) break;
    held.push_back(std::move(p));
  }
  EXPECT_LE(held.size(), 8u);
  EXPECT_FALSE(Packet::Alloc(small.get()));
  held.clear();
  EXPECT_TRUE(Packet::Alloc(small.get()));
}

}  // namespace
}  // namespace ustack
