// Loss recovery tests: SACK scoreboard and reporter units (RFC 2018, RFC 2883, RFC 6675),
// fast retransmit with and without SACK (RFC 5681 3.2, RFC 6582, RFC 6675, RFC 6937),
// limited transmit (RFC 3042), Eifel undo (RFC 3522), CUBIC (RFC 9438) and ABC (RFC 3465).
#include <gtest/gtest.h>

#include <netinet/tcp.h>

#include <set>

#include "tcp/cubic.h"
#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

TcpOptions Blocks(std::initializer_list<std::pair<uint32_t, uint32_t>> b) {
  TcpOptions o;
  for (auto [l, r] : b) o.sack[o.sack_count++] = TcpSackBlock{l, r};
  return o;
}

TEST(SackScoreboard, MergesAndAnswersLossQuestions) {
  SackScoreboard sb;
  bool dsack = false;
  const Seq32 una(1000);
  const Seq32 max(11000);
  EXPECT_EQ(sb.Update(Blocks({{3000, 4000}}), una, una, max, &dsack), 1000u);
  EXPECT_FALSE(dsack);
  EXPECT_EQ(sb.Update(Blocks({{4000, 5000}, {3000, 4000}}), una, una, max, &dsack), 1000u);
  ASSERT_EQ(sb.blocks().size(), 1u);  // adjacent blocks merge
  EXPECT_EQ(sb.blocks()[0].left, Seq32(3000));
  EXPECT_EQ(sb.Update(Blocks({{7000, 9000}}), una, una, max, &dsack), 2000u);
  EXPECT_EQ(sb.sacked_bytes(), 4000u);
  // RFC 6675 IsLost: more than 2 * 1000 bytes SACKed above.
  EXPECT_TRUE(sb.IsLost(Seq32(1000), 1000));
  EXPECT_FALSE(sb.IsLost(Seq32(5000), 1000));  // only 2000 bytes above: not yet
  EXPECT_FALSE(sb.IsLost(Seq32(9000), 1000));
  SeqRange h;
  ASSERT_TRUE(sb.NextHole(Seq32(1000), max, &h));
  EXPECT_EQ(h.left, Seq32(1000));
  EXPECT_EQ(h.right, Seq32(3000));
  ASSERT_TRUE(sb.NextHole(Seq32(3500), max, &h));
  EXPECT_EQ(h.left, Seq32(5000));
  EXPECT_EQ(h.right, Seq32(7000));
  // Blocks beyond SND.MAX are ignored; a block below the ACK is a D-SACK (RFC 2883 4).
  EXPECT_EQ(sb.Update(Blocks({{11000, 12000}}), una, una, max, &dsack), 0u);
  EXPECT_EQ(sb.Update(Blocks({{500, 900}}), una, una, max, &dsack), 0u);
  EXPECT_TRUE(dsack);
  sb.AdvanceTo(Seq32(3500));
  EXPECT_EQ(sb.blocks()[0].left, Seq32(3500));
  EXPECT_EQ(sb.sacked_bytes(), 3500u);
}

TEST(SackScoreboard, PipeExcludesSackedAndLost) {
  SackScoreboard sb;
  bool dsack = false;
  // 10 segments of 100 bytes: 0..999; segments 1..4 SACKed, segment 0 and 5.. outstanding.
  sb.Update(Blocks({{100, 500}}), Seq32(0), Seq32(0), Seq32(1000), &dsack);
  // Segment 0 is lost (400 > 200 bytes above), not retransmitted: pipe = 1000 - 400 - 100.
  EXPECT_EQ(sb.Pipe(Seq32(0), Seq32(1000), Seq32(0), 100), 500u);
  // Once retransmitted (HighRxt past it) it counts again.
  EXPECT_EQ(sb.Pipe(Seq32(0), Seq32(1000), Seq32(100), 100), 600u);
}

TEST(SackReporter, MostRecentFirstAndDsack) {
  SackReporter rep;
  std::vector<SeqRange> ooo = {
      {Seq32(200), Seq32(300)}, {Seq32(500), Seq32(600)}, {Seq32(800), Seq32(900)}};
  rep.NoteReceived(Seq32(200), Seq32(300));
  rep.NoteReceived(Seq32(800), Seq32(900));
  rep.NoteReceived(Seq32(500), Seq32(600));
  TcpOptions o;
  rep.Fill(ooo, 3, &o);
  ASSERT_EQ(o.sack_count, 3);
  EXPECT_EQ(o.sack[0].left, 500u);  // RFC 2018 4: newest first
  EXPECT_EQ(o.sack[1].left, 800u);
  EXPECT_EQ(o.sack[2].left, 200u);
  rep.NoteDuplicate(Seq32(50), Seq32(100));
  rep.Fill(ooo, 3, &o);
  ASSERT_EQ(o.sack_count, 3);
  EXPECT_EQ(o.sack[0].left, 50u);  // RFC 2883 4: the D-SACK block first
  EXPECT_EQ(o.sack[1].left, 500u);
  rep.Fill(ooo, 2, &o);  // reported once
  EXPECT_EQ(o.sack[0].left, 500u);
  EXPECT_EQ(o.sack_count, 2);
}

TEST(Cubic, ReducesByBetaAndRegrowsTowardsWmax) {
  CubicCongestion cc(1000);
  Instant t = Instant::FromNanos(0);
  cc.SetRtt(Duration::Millis(100));
  EXPECT_EQ(cc.cwnd(), 10000u);  // RFC 6928 IW10
  cc.SetWindow(100000, 50000);   // in congestion avoidance at 100 segments
  cc.OnLoss(100000, t);
  EXPECT_EQ(cc.ssthresh(), 70000u);  // RFC 9438 4.6: beta_cubic = 0.7
  EXPECT_EQ(cc.cwnd(), 70000u);
  // K = cbrt(W_max (1 - beta) / C) = cbrt(100 * 0.3 / 0.4) ~ 4.2 s: by then cwnd is back
  // near W_max, and it grows beyond it afterwards (convex region).
  uint32_t at_k = 0;
  for (int ms = 0; ms <= 8000; ms += 10) {
    t = Instant::FromNanos(int64_t{ms} * 1'000'000);
    cc.OnAck(1000, cc.cwnd(), t);
    if (ms == 4200) at_k = cc.cwnd();
  }
  EXPECT_NEAR(cc.k(), 4.217, 0.01);
  EXPECT_GT(at_k, 90000u);
  EXPECT_LT(at_k, 110000u);
  EXPECT_GT(cc.cwnd(), 110000u);
  cc.OnRetransmitTimeout(cc.cwnd(), t);
  EXPECT_EQ(cc.cwnd(), 1000u);  // RFC 9438 4.8
}

TEST(Reno, AbcLimitsSlowStartGrowthToTwoSegments) {
  RenoCongestion cc(1000);
  const uint32_t start = cc.cwnd();
  cc.OnAck(5000, 5000, Instant());     // one stretch ACK of five segments
  EXPECT_EQ(cc.cwnd(), start + 2000);  // RFC 3465 2.2: L = 2 SMSS
}

using RecoveryTest = TcpSimTest;

// Sends `n` bytes from client to server with the `drop` predicate applied to the client's
// first transmissions of data segments (by payload start offset); returns true when all
// arrived in order within `limit`.
bool TransferWithDrops(Sim& s, TcpConnection* from, TcpConnection* to, size_t n,
                       const std::set<uint32_t>& drop_offsets, Duration limit) {
  const auto data = Pattern(n, 77);
  const uint32_t base = AsConn(from)->snd_nxt().raw();
  std::set<uint32_t> dropped;
  s.filter = [&](char f, Captured&, const SegInfo& seg) {
    if (f != 'a' || seg.payload.empty()) return true;
    const uint32_t off = seg.hdr.seq - base;
    if (drop_offsets.count(off) && !dropped.count(off)) {
      dropped.insert(off);
      return false;
    }
    return true;
  };
  size_t sent = 0;
  std::vector<uint8_t> got;
  const Instant end = s.now + limit;
  while (got.size() < n && s.now < end) {
    if (sent < n) {
      auto r = from->Send(std::span<const uint8_t>(data).subspan(sent), s.now);
      if (r.ok()) sent += *r;
    }
    s.Pump();
    Drain(to, got, s.now);
    s.Advance(Duration::Millis(1));
  }
  s.filter = nullptr;
  return got == data;
}

TEST_F(RecoveryTest, SackRecoversMultipleLossesWithoutTimeout) {
  Start(301);
  Establish();
  // Three losses in one window, all repaired from SACK information (RFC 6675).
  ASSERT_TRUE(TransferWithDrops(*sim, client, server, 40 * 1448, {2 * 1448, 5 * 1448, 7 * 1448},
                                Duration::Seconds(5)));
  const TcpCounters& c = sim->a.tcp.counters();
  EXPECT_EQ(c.rto_expired, 0u);
  EXPECT_EQ(c.fast_retransmits, 1u);  // one recovery episode for the window
  EXPECT_EQ(c.sack_recoveries, 1u);
  EXPECT_EQ(c.retrans_segs, 3u);  // exactly the lost segments
  EXPECT_FALSE(AsConn(client)->in_recovery());
  EXPECT_LT(AsConn(client)->cc().ssthresh(), UINT32_MAX);  // the window was reduced
}

TEST_F(RecoveryTest, NewRenoPartialAcksWithoutSack) {
  cfg_a.sack = false;
  cfg_b.sack = false;
  cfg_a.congestion = TcpCongestionAlgo::kNewReno;
  Start(302);
  Establish();
  ASSERT_FALSE(AsConn(client)->sack_ok());
  ASSERT_TRUE(TransferWithDrops(*sim, client, server, 40 * 1448, {2 * 1448, 6 * 1448},
                                Duration::Seconds(5)));
  const TcpCounters& c = sim->a.tcp.counters();
  EXPECT_EQ(c.rto_expired, 0u);
  EXPECT_EQ(c.fast_retransmits, 1u);  // RFC 6582: the partial ACK keeps recovery going
  EXPECT_EQ(c.sack_recoveries, 0u);
  EXPECT_EQ(c.retrans_segs, 2u);
  EXPECT_STREQ(AsConn(client)->cc().name(), "reno");
}

TEST_F(RecoveryTest, LimitedTransmitSendsNewDataOnFirstDupAcks) {
  // The DupThresh rule itself: on this zero-latency link RACK (RFC 8985 6) would judge
  // segment 0 lost at the first SACK, before any limited transmit.
  cfg_a.rack = false;
  Start(303);
  Establish();
  // cwnd (IW10) is full with 12 segments queued; only segments 1 and 2 arrive, so two
  // duplicate ACKs come back. RFC 3042 sends segments 10 and 11 on them, whose duplicate
  // ACKs then trigger the fast retransmit of segment 0.
  const uint32_t base = AsConn(client)->snd_nxt().raw();
  std::set<uint32_t> seen;
  sim->filter = [&](char f, Captured&, const SegInfo& s) {
    if (f != 'a' || s.payload.empty()) return true;
    const uint32_t idx = (s.hdr.seq - base) / 1448;
    const bool first = seen.insert(idx).second;
    return !(first && (idx == 0 || (idx >= 3 && idx <= 9)));
  };
  const auto data = Pattern(12 * 1448, 6);
  ASSERT_EQ(*client->Send(data, sim->now), data.size());
  sim->Pump();
  EXPECT_EQ(sim->a.tcp.counters().fast_retransmits, 1u);
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 0u);
  // Segment 10 went out before segment 0 was retransmitted.
  int first10 = -1;
  int retx0 = -1;
  int zero_count = 0;
  for (size_t i = 0; i < sim->log.size(); ++i) {
    const auto& e = sim->log[i];
    if (e.from != 'a' || e.seg.payload.empty()) continue;
    if (e.seg.hdr.seq == base + 10 * 1448 && first10 < 0) first10 = static_cast<int>(i);
    if (e.seg.hdr.seq == base && ++zero_count == 2) retx0 = static_cast<int>(i);
  }
  ASSERT_GE(first10, 0);
  ASSERT_GE(retx0, 0);
  EXPECT_LT(first10, retx0);
  std::vector<uint8_t> got;
  ASSERT_TRUE(sim->RunUntil(
      [&] {
        Drain(server, got, sim->now);
        return got.size() == data.size();
      },
      Duration::Seconds(5)));
  EXPECT_EQ(got, data);
}

TEST_F(RecoveryTest, EifelUndoesSpuriousFastRetransmit) {
  Start(304);
  Establish();
  client->set_nodelay(true);
  // Reordering, not loss: the first segment is delayed past later ones. The fast retransmit
  // is spurious; the ACK that covers it echoes the original's older TSval (RFC 3522).
  const uint32_t base = AsConn(client)->snd_nxt().raw();
  std::deque<Captured> held;
  bool released = false;
  sim->filter = [&](char f, Captured& c, const SegInfo& s) {
    if (f != 'a' || s.hdr.seq != base || s.payload.empty()) return true;
    if (held.empty()) {
      held.push_back(std::move(c));
      return false;
    }
    if (!released) {  // the retransmission: the original arrives first, the copy is lost
      released = true;
      sim->Deliver(held.front());
      return false;
    }
    return true;
  };
  const auto data = Pattern(8 * 1448, 7);
  ASSERT_EQ(*client->Send(std::span<const uint8_t>(data).first(1448), sim->now), 1448u);
  sim->Pump();
  sim->Advance(Duration::Millis(5));
  const uint32_t cwnd_before = AsConn(client)->cc().cwnd();
  ASSERT_EQ(*client->Send(std::span<const uint8_t>(data).subspan(1448), sim->now),
            data.size() - 1448);
  sim->Pump();
  sim->Advance(Duration::Millis(5));
  EXPECT_EQ(sim->a.tcp.counters().fast_retransmits, 1u);
  EXPECT_EQ(sim->a.tcp.counters().spurious_undos, 1u);
  EXPECT_GE(AsConn(client)->cc().cwnd(), cwnd_before);
  EXPECT_FALSE(AsConn(client)->in_recovery());
  held.clear();
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, data);
}

TEST_F(RecoveryTest, DsackUndoesSpuriousFastRetransmitWithoutTimestamps) {
  cfg_a.timestamps = false;  // Eifel cannot tell: only the peer's D-SACK shows it
  Start(306);
  Establish();
  client->set_nodelay(true);
  // Reordering, not loss: the first segment is delayed past later ones; the original
  // arrives before the retransmission, which the peer reports back as a D-SACK (RFC 2883).
  const uint32_t base = AsConn(client)->snd_nxt().raw();
  std::deque<Captured> held;
  bool released = false;
  sim->filter = [&](char f, Captured& c, const SegInfo& s) {
    if (f != 'a' || s.hdr.seq != base || s.payload.empty()) return true;
    if (held.empty()) {
      held.push_back(std::move(c));
      return false;
    }
    if (!released) {
      released = true;
      sim->Deliver(held.front());  // the original first, then the copy
    }
    return true;
  };
  const auto data = Pattern(8 * 1448, 8);
  ASSERT_EQ(*client->Send(std::span<const uint8_t>(data).first(1448), sim->now), 1448u);
  sim->Pump();
  sim->Advance(Duration::Millis(5));
  const uint32_t cwnd_before = AsConn(client)->cc().cwnd();
  const uint32_t ssthresh_before = AsConn(client)->cc().ssthresh();
  ASSERT_EQ(*client->Send(std::span<const uint8_t>(data).subspan(1448), sim->now),
            data.size() - 1448);
  sim->Pump();
  sim->Advance(Duration::Millis(5));
  EXPECT_EQ(sim->a.tcp.counters().fast_retransmits, 1u);
  EXPECT_EQ(sim->a.tcp.counters().spurious_undos, 0u);
  EXPECT_GE(sim->a.tcp.counters().dsacks_in, 1u);
  EXPECT_EQ(sim->a.tcp.counters().dsack_undos, 1u);  // RFC 3708
  EXPECT_GE(AsConn(client)->cc().cwnd(), cwnd_before);
  EXPECT_EQ(AsConn(client)->cc().ssthresh(), ssthresh_before);
  EXPECT_FALSE(AsConn(client)->in_recovery());
  held.clear();
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, data);
}

TEST_F(RecoveryTest, PerStackAndPerConnectionController) {
  cfg_a.congestion = TcpCongestionAlgo::kNewReno;
  Start(305);
  Establish();
  EXPECT_STREQ(AsConn(client)->cc().name(), "reno");
  EXPECT_STREQ(AsConn(server)->cc().name(), "cubic");  // the default, like Linux
  const uint32_t cwnd = AsConn(client)->cc().cwnd();
  client->SetCongestion(TcpCongestionAlgo::kCubic);
  EXPECT_STREQ(AsConn(client)->cc().name(), "cubic");
  EXPECT_EQ(AsConn(client)->cc().cwnd(), cwnd);  // the window carries over
}

TEST_F(RecoveryTest, TcpInfoShowsRecoveryState) {
  cfg_a.rack = false;  // recovery from DupThresh SACKed segments (RACK starts at the first)
  Start(306);
  Establish();
  client->set_nodelay(true);
  const uint32_t base = AsConn(client)->snd_nxt().raw();
  bool dropped = false;
  struct tcp_info seen {};
  bool captured = false;
  sim->filter = [&](char f, Captured&, const SegInfo& s) {
    if (f == 'a' && s.hdr.seq == base && !s.payload.empty() && !dropped) {
      dropped = true;
      return false;
    }
    if (!captured && AsConn(client)->in_recovery()) {
      client->GetInfo(&seen, sim->now);
      captured = true;
    }
    return true;
  };
  ASSERT_TRUE(client->Send(Pattern(8 * 1448, 2), sim->now).ok());
  sim->Pump();
  ASSERT_TRUE(captured);
  EXPECT_EQ(seen.tcpi_ca_state, TCP_CA_Recovery);
  EXPECT_GE(seen.tcpi_sacked, 3u);
  EXPECT_GE(seen.tcpi_unacked, 8u);
  struct tcp_info after;
  client->GetInfo(&after, sim->now);
  EXPECT_EQ(after.tcpi_ca_state, TCP_CA_Open);
  EXPECT_EQ(after.tcpi_total_retrans, 1u);
}

TEST_F(RecoveryTest, RandomLossBothControllersKeepDataIntact) {
  for (int variant = 0; variant < 4; ++variant) {
    cfg_a = cfg_b = TcpConfig{};
    cfg_a.sack = cfg_b.sack = (variant & 1) != 0;
    cfg_a.congestion = cfg_b.congestion =
        (variant & 2) ? TcpCongestionAlgo::kCubic : TcpCongestionAlgo::kNewReno;
    Start(400 + variant);
    Establish();
    const auto dx = Pattern(300000, variant);
    std::vector<uint8_t> got;
    Random& rnd = sim->rnd;
    sim->filter = [&](char, Captured&, const SegInfo&) { return !rnd.Chance(0.05); };
    size_t sent = 0;
    const Instant end = sim->now + Duration::Seconds(120);
    while (got.size() < dx.size() && sim->now < end) {
      if (sent < dx.size()) {
        auto r = client->Send(std::span<const uint8_t>(dx).subspan(sent), sim->now);
        if (r.ok()) sent += *r;
      }
      sim->Pump();
      Drain(server, got, sim->now);
      sim->Advance(Duration::Millis(1));
    }
    EXPECT_EQ(got, dx) << "variant " << variant;
    EXPECT_GT(sim->a.tcp.counters().fast_retransmits, 0u) << "variant " << variant;
    sim->filter = nullptr;
  }
}

}  // namespace
}  // namespace ustack::test
