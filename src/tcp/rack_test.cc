// RACK (RFC 8985 6) on a SentLog with explicit times.
#include "tcp/rack.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

Instant At(int64_t us) { return Instant::FromNanos(us * 1000); }
Duration Us(int64_t us) { return Duration::Micros(us); }
const Duration kSrtt = Us(10000);

// Segments of 100 bytes starting at 0, sent at 0, 10, 20, ... us.
SentLog Flight(int n) {
  SentLog log;
  for (int i = 0; i < n; ++i) {
    log.OnSend(Seq32(i * 100), Seq32((i + 1) * 100), At(i * 10));
  }
  return log;
}

// One ACK at `now` SACKing [left, right).
void SackAt(Rack& rack, SentLog& log, Seq32 una, Seq32 left, Seq32 right, Instant now,
            bool dsack = false) {
  rack.BeginAck();
  auto d = [&](const SentSeg& s) { rack.OnDelivered(s, now); };
  log.AckTo(una, d);
  log.Sack(left, right, d);
  rack.EndAck(now, dsack, una, Seq32(100000));
}

Duration Detect(Rack& rack, SentLog& log, Instant now, bool in_recovery = false) {
  uint32_t marked = 0;
  return rack.DetectLoss(log, now, rack.ReoWnd(in_recovery, log.sacked_segs(), kSrtt), &marked);
}

// RFC 8985 6.2: with a minimum RTT of 1 ms, one SACKed segment above a hole leaves the hole
// a reordering window (min_RTT / 4) before it is lost; the timer says when.
TEST(Rack, OneSackWaitsAQuarterRtt) {
  Rack rack;
  rack.OnRttSample(Us(1000));
  SentLog log = Flight(4);
  SackAt(rack, log, Seq32(0), Seq32(100), Seq32(200), At(1010));  // segment 1 after 1000 us
  EXPECT_EQ(rack.rtt(), Us(1000));
  const Duration wait = Detect(rack, log, At(1010));
  EXPECT_EQ(wait, Us(240));  // segment 0: sent at 0, + rtt 1000 + reo_wnd 250 - now 1010
  EXPECT_EQ(log.lost_bytes(), 0u);
  EXPECT_EQ(Detect(rack, log, At(1250)), Duration::Nanos(0));
  EXPECT_EQ(log.lost_bytes(), 100u);
  EXPECT_EQ(log.FirstLost()->start, Seq32(0));
}

// RFC 8985 6.2 step 4: with DupThresh segments SACKed and no reordering seen, the window is
// zero: the hole is lost at once (RFC 6675 behaviour).
TEST(Rack, DupThreshSackedMeansNoReorderingWindow) {
  Rack rack;
  rack.OnRttSample(Us(1000));
  SentLog log = Flight(5);
  SackAt(rack, log, Seq32(0), Seq32(100), Seq32(400), At(1030));
  EXPECT_EQ(Detect(rack, log, At(1030)), Duration::Nanos(0));
  EXPECT_EQ(log.lost_bytes(), 100u);  // only segment 0: segment 4 was sent after segment 3
}

// Segments sent after the most recently delivered one are never judged by it.
TEST(Rack, LaterSegmentsAreNotLost) {
  Rack rack;
  rack.OnRttSample(Us(1000));
  SentLog log = Flight(6);
  SackAt(rack, log, Seq32(0), Seq32(200), Seq32(300), At(5000));  // segment 2
  Detect(rack, log, At(5300));        // past segment 1's time + RACK.rtt + reo_wnd
  ASSERT_EQ(log.lost_bytes(), 200u);  // 0 and 1
  for (const SentSeg& s : log) EXPECT_EQ(s.lost, s.end <= Seq32(200));
}

// RFC 8985 6.2 step 3: an original delivered below the highest delivered sequence is
// reordering, which widens the window from then on.
TEST(Rack, LateOriginalSetsReorderingSeen) {
  Rack rack;
  rack.OnRttSample(Us(1000));
  SentLog log = Flight(5);
  SackAt(rack, log, Seq32(0), Seq32(100), Seq32(400), At(1030));
  EXPECT_FALSE(rack.reordering_seen());
  SackAt(rack, log, Seq32(400), Seq32(400), Seq32(400), At(1040));  // segment 0 arrives late
  EXPECT_TRUE(rack.reordering_seen());
  EXPECT_EQ(rack.ReoWnd(true, 3, kSrtt), Us(250));  // no longer zero in recovery either
}

// A retransmission counts as later than originals sent in the same instant.
TEST(Rack, RetransmissionInTheSameInstantIsLater) {
  Rack rack;
  rack.OnRttSample(Us(0));
  SentLog log;
  log.OnSend(Seq32(0), Seq32(100), At(0));
  log.OnSend(Seq32(100), Seq32(200), At(0));
  log.OnSend(Seq32(200), Seq32(300), At(0));
  log.OnSend(Seq32(0), Seq32(100), At(0));  // resent in the same instant
  SackAt(rack, log, Seq32(0), Seq32(200), Seq32(300), At(0));
  Detect(rack, log, At(0));
  EXPECT_EQ(log.lost_bytes(), 100u);  // segment 1 only; the retransmission is not judged
  EXPECT_FALSE(log.begin()->lost);
}

// RFC 8985 6.2 step 2: a retransmission delivered faster than the minimum RTT was the
// original's delivery: it gives no RACK sample.
TEST(Rack, SpuriousRetransmissionGivesNoSample) {
  Rack rack;
  rack.OnRttSample(Us(1000));
  SentLog log = Flight(2);
  log.OnSend(Seq32(0), Seq32(100), At(900));  // retransmitted at 900 us
  SackAt(rack, log, Seq32(100), Seq32(100), Seq32(100), At(1000));
  EXPECT_FALSE(rack.has_rtt());
}

// RFC 8985 6.2 step 4: one widening per round trip with D-SACK; back to 1 after 16
// recoveries without one.
TEST(Rack, DsackWidensTheWindowPerRound) {
  Rack rack;
  rack.OnRttSample(Us(1000));
  SentLog log = Flight(3);
  SackAt(rack, log, Seq32(0), Seq32(200), Seq32(300), At(1000));
  SackAt(rack, log, Seq32(0), Seq32(0), Seq32(0), At(1001), true);
  EXPECT_EQ(rack.reo_wnd_mult(), 2);
  SackAt(rack, log, Seq32(0), Seq32(0), Seq32(0), At(1002), true);  // same round
  EXPECT_EQ(rack.reo_wnd_mult(), 2);
  rack.EndAck(At(1003), true, Seq32(100001), Seq32(200000));  // a later round
  EXPECT_EQ(rack.reo_wnd_mult(), 3);
  for (int i = 0; i < Rack::kReoWndPersist; ++i) rack.OnRecoveryExit();
  EXPECT_EQ(rack.reo_wnd_mult(), 1);
}

// The window never exceeds SRTT.
TEST(Rack, ReorderingWindowCappedBySrtt) {
  Rack rack;
  rack.OnRttSample(Us(100000));
  SentLog log = Flight(3);
  SackAt(rack, log, Seq32(0), Seq32(200), Seq32(300), At(100000));
  SackAt(rack, log, Seq32(300), Seq32(300), Seq32(300), At(100001));  // late: reordering
  EXPECT_EQ(rack.ReoWnd(false, 0, Us(8000)), Us(8000));
}

}  // namespace
}  // namespace ustack
