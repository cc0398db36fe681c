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

TEST_F(PacketTest, RetainSharesOneMbufUntilTheLastHandleGoes) {
  const unsigned before = Pool().available();
  Packet p = Packet::FromBytes(Pool().get(), Bytes(100));
  ASSERT_TRUE(p);
  Packet r = p.Retain();
  ASSERT_TRUE(r);
  EXPECT_EQ(r.mbuf(), p.mbuf());
  EXPECT_EQ(Pool().available(), before - 1);
  p.Reset();
  EXPECT_EQ(Pool().available(), before - 1);  // r still holds it
  EXPECT_EQ(r.head()[99], 99);
  r.Reset();
  EXPECT_EQ(Pool().available(), before);
  Packet chain = Packet::FromBytes(Pool().get(), Bytes(3000));
  ASSERT_FALSE(chain.contiguous());
  EXPECT_FALSE(chain.Retain());  // single segments only
}

TEST_F(PacketTest, ShareReferencesARangeWithoutCopyingAndWithoutTailroom) {
  const unsigned before = Pool().available();
  {
    const auto data = Bytes(3000);  // two segments: 2048 + 952 bytes
    Packet p = Packet::FromBytes(Pool().get(), data);
    ASSERT_EQ(p.segments(), 2);
    Packet s = p.Share(2000, 100, Pool().get());  // crosses the segment boundary
    ASSERT_TRUE(s);
    EXPECT_EQ(s.length(), 100u);
    EXPECT_EQ(s.segments(), 2);
    EXPECT_EQ(s.head().data(), p.head().data() + 2000);  // the same bytes, not a copy
    EXPECT_EQ(s.tailroom(), 0);
    std::vector<uint8_t> out(100);
    EXPECT_EQ(s.CopyOut(0, out), 100u);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 2000));
    // Appending to the shared chain adds a fresh segment: the shared bytes after the range
    // are untouched.
    const uint8_t extra[3] = {7, 7, 7};
    ASSERT_TRUE(s.AppendBytes(Pool().get(), extra));
    EXPECT_EQ(s.segments(), 3);
    std::vector<uint8_t> all(3000);
    p.CopyOut(0, all);
    EXPECT_EQ(all, data);
    // The original goes first; the shared bytes live on until the share goes too.
    p.Reset();
    EXPECT_EQ(s.CopyOut(0, out), 100u);
    EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 2000));
    EXPECT_FALSE(s.Share(50, 100, Pool().get()));  // out of range
    EXPECT_FALSE(s.Share(0, 0, Pool().get()));
  }
  EXPECT_EQ(Pool().available(), before);
}

TEST_F(PacketTest, ShareFailsCleanlyWhenThePoolIsDry) {
  PacketPool small("pkt_share", 8);
  ASSERT_TRUE(small.ok());
  Packet p = Packet::FromBytes(Pool().get(), Bytes(3000));
  std::vector<Packet> held;
  for (Packet q; (q = Packet::Alloc(small.get()));) held.push_back(std::move(q));
  const unsigned before = Pool().available();
  EXPECT_FALSE(p.Share(0, 3000, small.get()));
  EXPECT_EQ(Pool().available(), before);  // no reference left behind on p's mbufs
  held.pop_back();                        // one indirect mbuf: not enough for two segments
  EXPECT_FALSE(p.Share(0, 3000, small.get()));
  EXPECT_EQ(PacketPool::Available(small.get()), 1u);
  EXPECT_EQ(PacketPool::Capacity(small.get()), 8u);
  EXPECT_TRUE(p.Share(0, 2000, small.get()));
}

}  // namespace
}  // namespace ustack
