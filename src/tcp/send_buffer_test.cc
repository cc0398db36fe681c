// Unit tests for the send buffer (send_buffer.h): the byte ring, and zero-copy extents mixed
// into it (checked against a byte model, with segments built by copying and by attaching).
#include "tcp/send_buffer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "base/block_cache.h"
#include "base/random.h"
#include "buf/test_eal.h"

namespace ustack {
namespace {

TEST(SendBuffer, AppendRespectsCapacity) {
  SendBuffer b(10000);
  std::vector<uint8_t> d(6000, 7);
  EXPECT_EQ(b.Append(d), 6000u);
  EXPECT_EQ(b.Append(d), 4000u);
  EXPECT_EQ(b.Append(d), 0u);
  EXPECT_EQ(b.size(), 10000u);
  EXPECT_EQ(b.free_space(), 0u);
}

// Random appends, discards and reads of two buffers (sharing `blocks` when given) against
// byte models; appends up to max_append bytes.
void RandomOperationsMatchModel(uint64_t seed, BlockCache* blocks, size_t max_append) {
  Random rnd(seed);
  SendBuffer bufs[2] = {SendBuffer(70000, false, blocks), SendBuffer(70000, false, blocks)};
  std::vector<uint8_t> models[2];
  uint8_t next = 0;
  for (int i = 0; i < 5000; ++i) {
    SendBuffer& b = bufs[i % 2];
    std::vector<uint8_t>& model = models[i % 2];
    if (rnd.Chance(0.5)) {
      std::vector<uint8_t> d(rnd.Below(max_append));
      for (auto& x : d) x = next++;
      const size_t n = b.Append(d);
      ASSERT_EQ(n, std::min<size_t>(d.size(), 70000 - model.size())) << "seed " << seed;
      model.insert(model.end(), d.begin(), d.begin() + static_cast<long>(n));
      next = static_cast<uint8_t>(next - (d.size() - n));
    } else {
      const uint32_t n = static_cast<uint32_t>(rnd.Below(model.size() + 1));
      b.Discard(n);
      model.erase(model.begin(), model.begin() + n);
    }
    ASSERT_EQ(b.size(), model.size()) << "seed " << seed;
    if (!model.empty()) {
      const uint32_t off = static_cast<uint32_t>(rnd.Below(model.size()));
      std::vector<uint8_t> out(rnd.Below(3000) + 1);
      const size_t got = b.CopyOut(off, out);
      ASSERT_EQ(got, std::min(out.size(), model.size() - off)) << "seed " << seed;
      for (size_t k = 0; k < got; ++k) ASSERT_EQ(out[k], model[off + k]) << "seed " << seed;
    }
  }
}

TEST(SendBuffer, RandomOperationsMatchModel) { RandomOperationsMatchModel(4242, nullptr, 9000); }

// Small appends keep the rings at their first size, drained often: blocks go back to the
// shared cache and come out again for the other buffer.
TEST(SendBuffer, RandomOperationsWithSharedBlockCacheMatchModel) {
  BlockCache cache({SendBuffer::kMinRing}, 2);
  RandomOperationsMatchModel(4343, &cache, 1500);
  RandomOperationsMatchModel(4444, &cache, 9000);
}

// The first ring comes from the cache; growth gives it back and takes the larger one from
// the heap; a drained first-size ring goes back, a larger one stays until Clear.
TEST(SendBuffer, FirstRingComesFromAndReturnsToTheCache) {
  if (!BlockCache::kKeepsBlocks) GTEST_SKIP() << "AddressSanitizer: nothing is kept";
  BlockCache cache({SendBuffer::kMinRing}, 4);
  SendBuffer b(100000, false, &cache);
  std::vector<uint8_t> d(3000, 5);
  ASSERT_EQ(b.Append(d), 3000u);
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 0u);
  b.Discard(3000);  // drained: the 4 KiB ring goes back
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 1u);
  ASSERT_EQ(b.Append(d), 3000u);
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 0u);
  ASSERT_EQ(b.Append(d), 3000u);  // grows to 8 KiB: the 4 KiB ring goes back
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 1u);
  std::vector<uint8_t> out(6000);
  EXPECT_EQ(b.CopyOut(0, out), 6000u);
  EXPECT_EQ(out, std::vector<uint8_t>(6000, 5));
  b.Discard(6000);
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 1u);  // the 8 KiB ring is not a cached size
  ASSERT_EQ(b.Append(d), 3000u);                    // into the kept 8 KiB ring
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 1u);
  b.Clear();
  EXPECT_EQ(cache.held(SendBuffer::kMinRing), 1u);
}

TEST(SendBuffer, CopyOutPastEndCopiesNothing) {
  SendBuffer b(100);
  std::vector<uint8_t> out(10);
  EXPECT_EQ(b.CopyOut(0, out), 0u);
  const std::vector<uint8_t> d = {1, 2, 3};
  ASSERT_EQ(b.Append(d), 3u);
  EXPECT_EQ(b.CopyOut(3, out), 0u);
  EXPECT_EQ(b.CopyOut(1, out), 2u);
  EXPECT_EQ(out[0], 2);
  b.Discard(100);  // clamped
  EXPECT_TRUE(b.empty());
}

// Zero-copy extents: mbufs whose bytes the buffer references instead of copying.
class SendBufferZc : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    start_ = Pool().available();
  }
  void TearDown() override { EXPECT_EQ(Pool().available(), start_); }  // nothing leaked
  static PacketPool& Pool() {
    static PacketPool pool("sndbuf_zc", 2047);  // test fixture state
    return pool;
  }
  // A single-segment packet holding `bytes`.
  static Packet Mbuf(std::span<const uint8_t> bytes) {
    Packet p = Packet::Alloc(Pool().get());
    EXPECT_TRUE(p);
    uint8_t* d = p ? p.Append(static_cast<uint16_t>(bytes.size())) : nullptr;
    if (d) std::memcpy(d, bytes.data(), bytes.size());
    return p;
  }
  // The payload of a segment built by AppendTo, after a 40-byte stand-in header.
  static std::vector<uint8_t> Payload(const SendBuffer& b, uint32_t off, uint32_t len,
                                      uint16_t* segs = nullptr) {
    Packet seg = Packet::Alloc(Pool().get());
    EXPECT_TRUE(seg.Append(40));
    EXPECT_TRUE(b.AppendTo(seg, off, len));
    if (segs) *segs = seg.segments();
    std::vector<uint8_t> out(len);
    EXPECT_EQ(seg.CopyOut(40, out), len);
    return out;
  }
  unsigned start_ = 0;
};

TEST_F(SendBufferZc, ExtentsAreReferencesNotCopies) {
  std::vector<uint8_t> d(1000, 5);
  Packet m = Mbuf(d);
  SendBuffer b(10000);
  ASSERT_EQ(b.AppendRef(m, 100, 800), 800u);
  EXPECT_EQ(b.extents(), 1u);
  EXPECT_EQ(Pool().available(), start_ - 1);  // one mbuf, now with two holders
  m.head()[100] = 9;  // (a test only: the contract says such bytes never change)
  uint8_t first = 0;
  ASSERT_EQ(b.CopyOut(0, {&first, 1}), 1u);
  EXPECT_EQ(first, 9);  // the buffer reads the application's mbuf itself
  m.Reset();
  EXPECT_EQ(Pool().available(), start_ - 1);  // the buffer keeps it alive
  b.Discard(799);
  EXPECT_EQ(Pool().available(), start_ - 1);
  b.Discard(1);  // the extent's last byte is acknowledged: the mbuf goes back
  EXPECT_EQ(Pool().available(), start_);
  EXPECT_EQ(b.extents(), 0u);
  // Out-of-range references and a full buffer take nothing.
  Packet n = Mbuf(d);
  EXPECT_EQ(b.AppendRef(n, 900, 200), 0u);
  SendBuffer small(100);
  EXPECT_EQ(small.AppendRef(n, 0, 1000), 100u);
  EXPECT_EQ(small.AppendRef(n, 100, 10), 0u);
}

TEST_F(SendBufferZc, ConsecutiveBytesOfOneMbufExtendOneExtent) {
  std::vector<uint8_t> d(2000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i);
  Packet m = Mbuf(d);
  SendBuffer b(10000);
  EXPECT_EQ(b.AppendRef(m, 0, 500), 500u);
  EXPECT_EQ(b.AppendRef(m, 500, 500), 500u);
  EXPECT_EQ(b.extents(), 1u);
  const std::vector<uint8_t> ring = {1, 2, 3};
  EXPECT_EQ(b.Append(ring), 3u);
  EXPECT_EQ(b.AppendRef(m, 1000, 10), 10u);  // after ring bytes: a new extent
  EXPECT_EQ(b.extents(), 2u);
  std::vector<uint8_t> out(1013);
  ASSERT_EQ(b.CopyOut(0, out), 1013u);
  EXPECT_TRUE(std::equal(out.begin(), out.begin() + 1000, d.begin()));
  EXPECT_EQ(out[1000], 1);
  EXPECT_EQ(out[1002], 3);
  EXPECT_TRUE(std::equal(out.begin() + 1003, out.end(), d.begin() + 1000));
  b.Clear();
  EXPECT_EQ(b.extents(), 0u);
}

TEST_F(SendBufferZc, AttachChainsLongRunsAndCopiesShortOnes) {
  std::vector<uint8_t> d(2000);
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i * 7);
  Packet m = Mbuf(d);
  const std::vector<uint8_t> ring(100, 0xee);
  for (const bool attach : {false, true}) {
    SendBuffer b(10000, attach);
    ASSERT_EQ(b.Append(ring), 100u);
    ASSERT_EQ(b.AppendRef(m, 0, 2000), 2000u);
    ASSERT_EQ(b.Append(ring), 100u);
    uint16_t segs = 0;
    // Ring, then 1400 zero-copy bytes, then ring again.
    std::vector<uint8_t> got = Payload(b, 50, 1500, &segs);
    std::vector<uint8_t> want(50, 0xee);
    want.insert(want.end(), d.begin(), d.begin() + 1450);
    EXPECT_EQ(got, want) << "attach " << attach;
    // Copying: one segment. Attaching: header + ring bytes, the shared run.
    EXPECT_EQ(segs, attach ? 2 : 1) << "attach " << attach;
    got = Payload(b, 1900, 300, &segs);  // the end of the extent, then ring bytes
    want.assign(d.begin() + 1800, d.end());
    want.insert(want.end(), ring.begin(), ring.end());
    EXPECT_EQ(got, want) << "attach " << attach;
    EXPECT_EQ(segs, 1) << "a 200-byte run is copied";
    got = Payload(b, 100, 2100, &segs);  // shared run, then ring bytes in a fresh segment
    want.assign(d.begin(), d.end());
    want.insert(want.end(), ring.begin(), ring.end());
    EXPECT_EQ(got, want) << "attach " << attach;
    EXPECT_EQ(segs, attach ? 3 : 2) << "attach " << attach;  // 2 copying: 40 + 2100 > 2048
    EXPECT_FALSE(b.AppendTo(m, 2100, 200));                  // past the end
  }
}

TEST_F(SendBufferZc, RandomMixMatchesModel) {
  const uint64_t seed = 9001;
  Random rnd(seed);
  for (const bool attach : {false, true}) {
    SendBuffer b(70000, attach);
    std::vector<uint8_t> model;
    uint8_t next = 0;
    for (int i = 0; i < 3000; ++i) {
      const uint64_t op = rnd.Below(10);
      if (op < 3) {
        std::vector<uint8_t> d(rnd.Below(5000));
        for (auto& x : d) x = next++;
        const size_t n = b.Append(d);
        ASSERT_EQ(n, std::min<size_t>(d.size(), 70000 - model.size())) << "seed " << seed;
        model.insert(model.end(), d.begin(), d.begin() + static_cast<long>(n));
        next = static_cast<uint8_t>(next - (d.size() - n));
      } else if (op < 6) {
        std::vector<uint8_t> d(rnd.Below(2000) + 1);
        for (auto& x : d) x = static_cast<uint8_t>(rnd.Below(256));
        Packet m = Mbuf(d);
        const auto off = static_cast<uint32_t>(rnd.Below(d.size()));
        const auto len = static_cast<uint32_t>(rnd.Below(d.size() - off) + 1);
        const uint32_t n = b.AppendRef(m, off, len);
        ASSERT_EQ(n, std::min<uint32_t>(len, 70000 - static_cast<uint32_t>(model.size())))
            << "seed " << seed;
        model.insert(model.end(), d.begin() + off, d.begin() + off + n);
      } else if (op < 8) {
        const auto n = static_cast<uint32_t>(rnd.Below(model.size() / 2 + 1));
        b.Discard(n);
        model.erase(model.begin(), model.begin() + n);
      } else if (!model.empty()) {
        const auto off = static_cast<uint32_t>(rnd.Below(model.size()));
        const auto len =
            static_cast<uint32_t>(std::min<size_t>(rnd.Below(1460) + 1, model.size() - off));
        const std::vector<uint8_t> got = Payload(b, off, len);
        ASSERT_TRUE(std::equal(got.begin(), got.end(), model.begin() + off))
            << "seed " << seed << " attach " << attach << " step " << i;
        std::vector<uint8_t> out(len);
        ASSERT_EQ(b.CopyOut(off, out), len);
        ASSERT_TRUE(std::equal(out.begin(), out.end(), model.begin() + off)) << "seed " << seed;
      }
      ASSERT_EQ(b.size(), model.size()) << "seed " << seed;
    }
    b.Discard(b.size());
    EXPECT_EQ(b.extents(), 0u);
  }
}

}  // namespace
}  // namespace ustack
