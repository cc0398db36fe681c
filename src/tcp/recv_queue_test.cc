// Unit tests for the in-order receive queue and out-of-order reassembly (recv_queue.h).
#include "tcp/recv_queue.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/block_cache.h"
#include "base/random.h"
#include "buf/test_eal.h"

namespace ustack {
namespace {

class RecvQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    for (size_t i = 0; i < stream_.size(); ++i) stream_[i] = static_cast<uint8_t>(i * 7 + 3);
  }
  static PacketPool& Pool() {
    static PacketPool pool("rq_test", 4096);
    return pool;
  }
  // A chunk holding stream bytes [from, to), behind `lead` junk bytes (like a header).
  RecvChunk Chunk(uint32_t from, uint32_t to, uint32_t lead = 5) {
    std::vector<uint8_t> b(lead, 0xee);
    b.insert(b.end(), stream_.begin() + from, stream_.begin() + to);
    Packet p = Packet::FromBytes(Pool().get(), b);
    EXPECT_TRUE(p);
    return RecvChunk{std::move(p), lead, to - from};
  }
  std::vector<uint8_t> ReadAll(RecvQueue& q) {
    std::vector<uint8_t> out(q.size());
    EXPECT_EQ(q.Read(out), out.size());
    return out;
  }
  std::vector<uint8_t> Range(uint32_t from, uint32_t to) {
    return {stream_.begin() + from, stream_.begin() + to};
  }
  std::vector<uint8_t> stream_ = std::vector<uint8_t>(20000);
};

TEST_F(RecvQueueTest, PartialReadsAcrossChunks) {
  RecvQueue q;
  q.Push(Chunk(0, 100));
  q.Push(Chunk(100, 250));
  q.Push(RecvChunk{});  // empty chunks are ignored
  EXPECT_EQ(q.size(), 250u);
  std::vector<uint8_t> out(70);
  std::vector<uint8_t> got;
  while (!q.empty()) {
    const size_t n = q.Read(out);
    got.insert(got.end(), out.begin(), out.begin() + static_cast<long>(n));
  }
  EXPECT_EQ(got, Range(0, 250));
}

TEST_F(RecvQueueTest, FillsHolesInOrder) {
  ReassemblyQueue r(16);
  RecvQueue q;
  Seq32 nxt(0xfffffff0u);  // wraps around 2^32 on the way
  const auto S = [&](uint32_t off) { return Seq32(0xfffffff0u + off); };
  EXPECT_EQ(r.Add(S(10), Chunk(10, 20), false), ReassemblyQueue::Insert::kQueued);
  EXPECT_EQ(r.Add(S(30), Chunk(30, 40), false), ReassemblyQueue::Insert::kQueued);
  EXPECT_EQ(r.count(), 2u);
  EXPECT_FALSE(r.Drain(nxt, q));  // nothing starts at rcv_nxt yet
  q.Push(Chunk(0, 10));
  nxt = nxt + 10;
  EXPECT_FALSE(r.Drain(nxt, q));
  EXPECT_EQ(nxt, S(20));
  q.Push(Chunk(20, 30));
  nxt = nxt + 10;
  EXPECT_FALSE(r.Drain(nxt, q));
  EXPECT_EQ(nxt, S(40));
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(ReadAll(q), Range(0, 40));
}

TEST_F(RecvQueueTest, OverlapsResolvedAndDuplicatesDetected) {
  ReassemblyQueue r(16);
  const Seq32 base(1000);
  ASSERT_EQ(r.Add(base + 10, Chunk(10, 20), false), ReassemblyQueue::Insert::kQueued);
  EXPECT_EQ(r.Add(base + 12, Chunk(12, 18), false), ReassemblyQueue::Insert::kDuplicate);
  ASSERT_EQ(r.Add(base + 15, Chunk(15, 30), false), ReassemblyQueue::Insert::kQueued);
  ASSERT_EQ(r.Add(base + 5, Chunk(5, 12), false), ReassemblyQueue::Insert::kQueued);
  ASSERT_EQ(r.Add(base + 40, Chunk(40, 50), false), ReassemblyQueue::Insert::kQueued);
  ASSERT_EQ(r.Add(base + 35, Chunk(35, 60), false), ReassemblyQueue::Insert::kQueued);  // covers
  EXPECT_EQ(r.bytes(), 25u + 25u);  // [5,30) and [35,60), disjoint
  RecvQueue q;
  Seq32 nxt = base;
  q.Push(Chunk(0, 8));  // overlaps the first held entry
  nxt = nxt + 8;
  EXPECT_FALSE(r.Drain(nxt, q));
  EXPECT_EQ(nxt, base + 30);
  EXPECT_EQ(ReadAll(q), Range(0, 30));
}

TEST_F(RecvQueueTest, FinBecomesInOrderAndLaterDataDiscarded) {
  ReassemblyQueue r(16);
  const Seq32 base(77);
  ASSERT_EQ(r.Add(base + 10, Chunk(10, 20), true), ReassemblyQueue::Insert::kQueued);
  ASSERT_EQ(r.Add(base + 25, Chunk(25, 30), false), ReassemblyQueue::Insert::kQueued);  // bogus
  RecvQueue q;
  q.Push(Chunk(0, 10));
  Seq32 nxt = base + 10;
  EXPECT_TRUE(r.Drain(nxt, q));
  EXPECT_EQ(nxt, base + 20);  // points at the FIN
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(ReadAll(q), Range(0, 20));
}

TEST_F(RecvQueueTest, PureFinLearnedAfterData) {
  ReassemblyQueue r(16);
  const Seq32 base(0);
  ASSERT_EQ(r.Add(base + 10, Chunk(10, 20), false), ReassemblyQueue::Insert::kQueued);
  EXPECT_EQ(r.Add(base + 20, RecvChunk{}, true), ReassemblyQueue::Insert::kDuplicate);
  RecvQueue q;
  Seq32 nxt = base + 10;
  EXPECT_TRUE(r.Drain(nxt, q));
  EXPECT_EQ(nxt, base + 20);
}

TEST_F(RecvQueueTest, EntryLimit) {
  ReassemblyQueue r(3);
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_EQ(r.Add(Seq32(100 + 20 * i), Chunk(20 * i, 20 * i + 10), false),
              ReassemblyQueue::Insert::kQueued);
  }
  EXPECT_EQ(r.Add(Seq32(500), Chunk(0, 10), false), ReassemblyQueue::Insert::kNoRoom);
  EXPECT_EQ(r.Add(Seq32(95), Chunk(0, 3), false), ReassemblyQueue::Insert::kNoRoom);  // in front
  r.set_max_entries(4);  // a larger window: room for one more, wherever it goes
  EXPECT_EQ(r.Add(Seq32(500), Chunk(0, 10), false), ReassemblyQueue::Insert::kQueued);
  EXPECT_EQ(r.Add(Seq32(95), Chunk(0, 3), false), ReassemblyQueue::Insert::kNoRoom);
  EXPECT_EQ(r.count(), 4u);
  r.Clear();
  EXPECT_TRUE(r.empty());
}

TEST_F(RecvQueueTest, RandomSegmentsReassembleTheStream) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Random rnd(seed);
    ReassemblyQueue r(1000);
    RecvQueue q;
    const uint32_t total = 8000;
    const Seq32 isn(static_cast<uint32_t>(rnd.Next32()));
    Seq32 nxt = isn;
    int guard = 0;
    while (nxt - isn < static_cast<int32_t>(total) && ++guard < 100000) {
      const uint32_t from = static_cast<uint32_t>(rnd.Below(total));
      const uint32_t to =
          std::min<uint32_t>(total, from + 1 + static_cast<uint32_t>(rnd.Below(700)));
      const uint32_t done = static_cast<uint32_t>(nxt - isn);
      if (to <= done) continue;
      if (from <= done) {  // in order: trim and push, then drain
        q.Push(Chunk(done, to));
        nxt = isn + to;
        ASSERT_FALSE(r.Drain(nxt, q)) << "seed " << seed;
      } else {
        r.Add(isn + from, Chunk(from, to), false);
      }
    }
    ASSERT_EQ(nxt - isn, static_cast<int32_t>(total)) << "seed " << seed;
    ASSERT_EQ(ReadAll(q), Range(0, total)) << "seed " << seed;
  }
}

// The ring under the queue: order kept across wrap-around and growth, nothing left behind.
TEST_F(RecvQueueTest, ChunkRingKeepsOrderThroughWrapAndGrowth) {
  const unsigned start = Pool().available();
  RecvQueue q;
  uint32_t pushed = 0;
  uint32_t read = 0;
  // Interleave pushes and partial reads so the ring wraps, then burst past its capacity.
  for (int round = 0; round < 40; ++round) {
    const int burst = round % 10 == 9 ? 37 : 3;
    for (int i = 0; i < burst; ++i, pushed += 50) q.Push(Chunk(pushed, pushed + 50));
    std::vector<uint8_t> out(120);
    const size_t n = q.Read(out);
    ASSERT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(n)),
              Range(read, read + static_cast<uint32_t>(n)));
    read += static_cast<uint32_t>(n);
  }
  EXPECT_EQ(ReadAll(q), Range(read, pushed));
  q.Push(Chunk(0, 10));
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(Pool().available(), start);
}

// With a BlockCache: two queues sharing one cache keep their bytes apart while the smallest
// ring storage goes back whenever a queue empties, and growth beyond it still works.
TEST_F(RecvQueueTest, SharedBlockCacheKeepsQueuesApart) {
  const unsigned start = Pool().available();
  BlockCache cache({ChunkRing::kInitialBytes}, 4);
  {
    RecvQueue a(&cache);
    RecvQueue b(&cache);
    uint32_t pushed = 0;
    for (int round = 0; round < 30; ++round) {
      const int burst = round % 7 == 6 ? 9 : 1 + round % 3;  // past 4 chunks: growth
      const uint32_t from = pushed;
      for (int i = 0; i < burst; ++i, pushed += 20) {
        a.Push(Chunk(pushed, pushed + 20));
        b.Push(Chunk(pushed + 20, pushed + 20));  // empty: ignored
      }
      b.Push(Chunk(from, pushed));
      ASSERT_EQ(ReadAll(a), Range(from, pushed)) << "round " << round;
      if (BlockCache::kKeepsBlocks && burst <= 4) {
        EXPECT_EQ(cache.held(ChunkRing::kInitialBytes), 1u);
      }
      ASSERT_EQ(ReadAll(b), Range(from, pushed)) << "round " << round;
      if (BlockCache::kKeepsBlocks) {
        EXPECT_GE(cache.held(ChunkRing::kInitialBytes), 1u);
      }
    }
  }
  EXPECT_EQ(Pool().available(), start);
}

}  // namespace
}  // namespace ustack
