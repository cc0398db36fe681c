// DsackUndo (RFC 3708 2 with RFC 2883 4 D-SACK reports).
#include "tcp/dsack_undo.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

Seq32 S(uint32_t v) { return Seq32(v); }

TEST(DsackUndoTest, AllRetransmissionsReportedIsSpurious) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(1000), S(2000));
  u.OnRetransmit(S(5000), S(6000));
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
  EXPECT_TRUE(u.OnDsack(S(5000), S(6000)));
  EXPECT_FALSE(u.active());  // one undo per episode
  EXPECT_FALSE(u.OnDsack(S(5000), S(6000)));
}

TEST(DsackUndoTest, OneRetransmissionNotReportedIsNoUndo) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(1000), S(2000));
  u.OnRetransmit(S(3000), S(4000));
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));  // the same report twice adds nothing
  EXPECT_TRUE(u.active());
}

TEST(DsackUndoTest, DuplicateOfDataNeverRetransmittedCountsForNothing) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(1000), S(2000));
  EXPECT_FALSE(u.OnDsack(S(2000), S(3000)));  // network duplication of an original
  EXPECT_TRUE(u.OnDsack(S(1000), S(2000)));
}

TEST(DsackUndoTest, NothingRetransmittedIsNoUndo) {
  DsackUndo u;
  u.Begin();
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
  u.CloseAt(S(9000));
  EXPECT_FALSE(u.active());
}

TEST(DsackUndoTest, SegmentSentThreeTimesNeedsTwoReports) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(1000), S(2000));
  u.OnRetransmit(S(1000), S(2000));
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
  EXPECT_TRUE(u.OnDsack(S(1000), S(2000)));
}

TEST(DsackUndoTest, AdjacentRetransmissionsMergeAndOneBlockCoversThem) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(1000), S(2000));
  u.OnRetransmit(S(2000), S(3000));
  u.OnRetransmit(S(3000), S(4000));
  EXPECT_EQ(u.ranges(), 1u);
  EXPECT_FALSE(u.OnDsack(S(1000), S(3000)));
  EXPECT_TRUE(u.OnDsack(S(3000), S(4000)));
}

TEST(DsackUndoTest, TooManyRangesGivesUp) {
  DsackUndo u;
  u.Begin();
  for (uint32_t i = 0; i <= DsackUndo::kMaxRanges; ++i) {
    u.OnRetransmit(S(1000 + 2000 * i), S(2000 + 2000 * i));
  }
  EXPECT_FALSE(u.active());
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
}

TEST(DsackUndoTest, WindowClosesOnceDataSentAfterRecoveryIsAcknowledged) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(1000), S(2000));
  u.CloseAt(S(20000));
  u.OnAck(S(20000));
  EXPECT_TRUE(u.active());  // a D-SACK may still ride on the ACK of the last byte
  u.OnAck(S(20001));
  EXPECT_FALSE(u.active());
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
}

TEST(DsackUndoTest, RetransmissionsAfterCancelAreIgnored) {
  DsackUndo u;
  u.Begin();
  u.Cancel();
  u.OnRetransmit(S(1000), S(2000));
  EXPECT_FALSE(u.OnDsack(S(1000), S(2000)));
}

TEST(DsackUndoTest, SequenceWrapIsHandled) {
  DsackUndo u;
  u.Begin();
  u.OnRetransmit(S(0xFFFFFC00u), S(0x00000200u));
  EXPECT_FALSE(u.OnDsack(S(0xFFFFFC00u), S(0)));
  EXPECT_TRUE(u.OnDsack(S(0), S(0x200)));
}

}  // namespace
}  // namespace ustack
