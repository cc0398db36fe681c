// SentLog: per-segment records, marks and byte totals.
#include "tcp/sent_log.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/block_cache.h"

namespace ustack {
namespace {

Instant At(int64_t ms) { return Instant::FromNanos(ms * 1000000); }

std::vector<SentSeg> Records(const SentLog& log) { return {log.begin(), log.end()}; }

SentLog ThreeSegments() {
  SentLog log;
  log.OnSend(Seq32(100), Seq32(200), At(1));
  log.OnSend(Seq32(200), Seq32(300), At(2));
  log.OnSend(Seq32(300), Seq32(400), At(3));
  return log;
}

TEST(SentLog, NewDataAppendsInOrder) {
  SentLog log = ThreeSegments();
  const auto r = Records(log);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[1].start, Seq32(200));
  EXPECT_EQ(r[1].end, Seq32(300));
  EXPECT_EQ(r[1].xmit, At(2));
  EXPECT_LT(r[0].order, r[1].order);
  EXPECT_EQ(log.InFlight(), 300u);
}

TEST(SentLog, RetransmissionSplitsAndRestamps) {
  SentLog log = ThreeSegments();
  log.OnSend(Seq32(250), Seq32(350), At(9));
  const auto r = Records(log);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_EQ(r[1].end, Seq32(250));
  EXPECT_FALSE(r[1].retransmitted);
  EXPECT_EQ(r[2].start, Seq32(250));
  EXPECT_TRUE(r[2].retransmitted);
  EXPECT_EQ(r[2].xmit, At(9));
  EXPECT_TRUE(r[3].retransmitted);
  EXPECT_EQ(r[3].end, Seq32(350));
  EXPECT_EQ(r[2].order, r[3].order);  // one transmission
  EXPECT_FALSE(r[4].retransmitted);
}

TEST(SentLog, RetransmissionPlusNewDataAppendsTheRest) {
  SentLog log = ThreeSegments();
  log.OnSend(Seq32(350), Seq32(450), At(9));
  const auto r = Records(log);
  ASSERT_EQ(r.size(), 5u);
  EXPECT_TRUE(r[3].retransmitted);
  EXPECT_EQ(r[4].start, Seq32(400));
  EXPECT_EQ(r[4].end, Seq32(450));
  EXPECT_FALSE(r[4].retransmitted);
}

TEST(SentLog, SackMarksOnceAndKeepsTotals) {
  SentLog log = ThreeSegments();
  std::vector<Seq32> seen;
  auto visit = [&](const SentSeg& s) { seen.push_back(s.start); };
  log.Sack(Seq32(200), Seq32(400), visit);
  log.Sack(Seq32(200), Seq32(300), visit);  // again: nothing new
  EXPECT_EQ(seen, (std::vector<Seq32>{Seq32(200), Seq32(300)}));
  EXPECT_EQ(log.sacked_bytes(), 200u);
  EXPECT_EQ(log.sacked_segs(), 2u);
  EXPECT_EQ(log.InFlight(), 100u);
}

TEST(SentLog, PartialSackSplits) {
  SentLog log = ThreeSegments();
  log.Sack(Seq32(150), Seq32(300), [](const SentSeg&) {});
  EXPECT_EQ(log.sacked_bytes(), 150u);
  EXPECT_EQ(log.size(), 4u);
}

TEST(SentLog, LostBytesLeaveThePipeUntilResent) {
  SentLog log = ThreeSegments();
  SentSeg& first = *log.begin();
  EXPECT_TRUE(log.MarkLost(first));
  EXPECT_FALSE(log.MarkLost(first));
  EXPECT_EQ(log.lost_bytes(), 100u);
  EXPECT_EQ(log.InFlight(), 200u);
  ASSERT_NE(log.FirstLost(), nullptr);
  EXPECT_EQ(log.FirstLost()->start, Seq32(100));
  log.OnSend(Seq32(100), Seq32(200), At(5));
  EXPECT_EQ(log.lost_bytes(), 0u);
  EXPECT_EQ(log.FirstLost(), nullptr);
  EXPECT_EQ(log.InFlight(), 300u);
}

TEST(SentLog, SackOfALostSegmentTakesItOutOfLost) {
  SentLog log = ThreeSegments();
  log.MarkLost(*log.begin());
  log.Sack(Seq32(100), Seq32(200), [](const SentSeg&) {});
  EXPECT_EQ(log.lost_bytes(), 0u);
  EXPECT_EQ(log.sacked_bytes(), 100u);
}

TEST(SentLog, CumulativeAckDeliversOnlyWhatWasNotSacked) {
  SentLog log = ThreeSegments();
  log.Sack(Seq32(200), Seq32(300), [](const SentSeg&) {});
  std::vector<Seq32> seen;
  log.AckTo(Seq32(350), [&](const SentSeg& s) { seen.push_back(s.end); });
  // [100,200) and the acknowledged half of [300,400).
  EXPECT_EQ(seen, (std::vector<Seq32>{Seq32(200), Seq32(350)}));
  EXPECT_EQ(log.size(), 1u);
  EXPECT_EQ(log.begin()->start, Seq32(350));
  EXPECT_EQ(log.sacked_bytes(), 0u);
  EXPECT_EQ(log.sacked_segs(), 0u);
  EXPECT_EQ(log.InFlight(), 50u);
  log.AckTo(Seq32(400), [](const SentSeg&) {});
  EXPECT_TRUE(log.empty());
  EXPECT_EQ(log.InFlight(), 0u);
}

TEST(SentLog, ClearMarksAfterTimeout) {
  SentLog log = ThreeSegments();
  log.Sack(Seq32(300), Seq32(400), [](const SentSeg&) {});
  log.MarkLost(*log.begin());
  log.ClearMarks();
  EXPECT_EQ(log.sacked_bytes(), 0u);
  EXPECT_EQ(log.lost_bytes(), 0u);
  EXPECT_EQ(log.InFlight(), 300u);
}

TEST(SentLog, ManySegmentsCompactAndStayConsistent) {
  SentLog log;
  uint32_t seq = 0;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 100; ++i, seq += 10) log.OnSend(Seq32(seq), Seq32(seq + 10), At(round));
    log.AckTo(Seq32(seq - 50), [](const SentSeg&) {});
    EXPECT_EQ(log.InFlight(), 50u);
    ASSERT_EQ(log.size(), 5u);
  }
}

// With a BlockCache the first storage comes from it and goes back once everything is
// acknowledged; growth past it gives it back at once, and the larger storage stays.
TEST(SentLog, FirstStorageComesFromTheCacheAndGoesBackWhenIdle) {
  BlockCache cache({SentLog::kInitialBytes}, 4);
  SentLog log(&cache);
  uint32_t seq = 0;
  // Sends n records, checks the blocks held in flight and after the ACK of all of them.
  auto round = [&](int n, size_t held_in_flight, size_t held_idle) {
    for (int i = 0; i < n; ++i, seq += 10) log.OnSend(Seq32(seq), Seq32(seq + 10), At(1));
    ASSERT_EQ(log.size(), static_cast<size_t>(n));
    ASSERT_EQ(log.InFlight(), static_cast<uint32_t>(n) * 10);
    if (BlockCache::kKeepsBlocks) {
      EXPECT_EQ(cache.held(SentLog::kInitialBytes), held_in_flight);
    }
    uint32_t delivered = 0;
    log.AckTo(Seq32(seq), [&](const SentSeg& s) { delivered += s.len(); });
    EXPECT_EQ(delivered, static_cast<uint32_t>(n) * 10);
    EXPECT_TRUE(log.empty());
    if (BlockCache::kKeepsBlocks) {
      EXPECT_EQ(cache.held(SentLog::kInitialBytes), held_idle);
    }
  };
  for (int i = 0; i < 4; ++i) round(3, 0, 1);
  round(40, 1, 1);  // grew past the first storage: that went back, the larger one stays
  round(3, 1, 1);
}

}  // namespace
}  // namespace ustack
