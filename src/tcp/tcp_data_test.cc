// Connection-level tests, data transfer: bulk both ways with content checks, out-of-order
// delivery, duplicates, loss recovered by RTO with exponential backoff, retry exhaustion,
// zero-window probing, Nagle, delayed and coalesced ACKs, and seeded random impairment.
#include <gtest/gtest.h>

#include <cerrno>
#include <deque>

#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

// Sends dx from x to y and dy from y to x, reading at both ends, stepping the clock by 1 ms
// per round, until everything arrived or `limit` of simulated time passes.
bool Exchange(Sim& s, TcpConnection* x, TcpConnection* y, const std::vector<uint8_t>& dx,
              const std::vector<uint8_t>& dy, std::vector<uint8_t>& at_y,
              std::vector<uint8_t>& at_x, Duration limit,
              const std::function<void()>& each_round = nullptr) {
  size_t sx = 0;
  size_t sy = 0;
  const Instant end = s.now + limit;
  while (at_y.size() < dx.size() || at_x.size() < dy.size()) {
    if (s.now > end) return false;
    if (sx < dx.size()) {
      auto r = x->Send(std::span<const uint8_t>(dx).subspan(sx), s.now);
      if (r.ok()) sx += *r;
    }
    if (sy < dy.size()) {
      auto r = y->Send(std::span<const uint8_t>(dy).subspan(sy), s.now);
      if (r.ok()) sy += *r;
    }
    s.Pump();
    if (each_round) each_round();
    Drain(y, at_y, s.now);
    Drain(x, at_x, s.now);
    s.Advance(Duration::Millis(1));
  }
  return true;
}

using DataTest = TcpSimTest;

TEST_F(DataTest, OneMebibyteEachWay) {
  Start(31);
  Establish();
  const auto dx = Pattern(1 << 20, 1);
  const auto dy = Pattern(1 << 20, 2);
  std::vector<uint8_t> at_server, at_client;
  ASSERT_TRUE(Exchange(*sim, client, server, dx, dy, at_server, at_client, Duration::Seconds(60)));
  EXPECT_EQ(at_server, dx);
  EXPECT_EQ(at_client, dy);
  EXPECT_EQ(sim->a.tcp.counters().retrans_segs, 0u);
  EXPECT_EQ(sim->b.tcp.counters().retrans_segs, 0u);
  // Full-size segments were used.
  size_t max_payload = 0;
  for (const auto& e : sim->log) max_payload = std::max(max_payload, e.seg.payload.size());
  EXPECT_EQ(max_payload, 1448u);  // RFC 7323 3.2 / RFC 6691: MSS minus the 12-byte TSopt
  EXPECT_GT(AsConn(client)->rtt().srtt().nanos(), -1);
  EXPECT_GT(AsConn(client)->cc().cwnd(), 14600u);  // slow start grew the window
}

TEST_F(DataTest, OutOfOrderSegmentsAreHeldAndDelivered) {
  Start(32);
  Establish();
  client->set_nodelay(true);
  const auto data = Pattern(5 * 1448, 3);
  ASSERT_EQ(*client->Send(data, sim->now), data.size());
  std::deque<Captured> held;
  uint32_t hole = 0;
  sim->filter = [&](char from, Captured& c, const SegInfo& s) {
    if (from == 'a' && !s.payload.empty() && held.empty()) {
      hole = s.hdr.seq;
      held.push_back(std::move(c));
      return false;
    }
    return true;
  };
  const size_t log_start = sim->log.size();
  sim->Pump();
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(sim->b.tcp.counters().ooo_segments, 4u);
  // Each out-of-order segment drew an immediate duplicate ACK for the hole, carrying SACK
  // blocks (RFC 2018 4: the block with the newest segment first).
  int dupacks = 0;
  for (size_t i = log_start; i < sim->log.size(); ++i) {
    const auto& e = sim->log[i];
    if (e.from == 'b' && e.seg.payload.empty() && e.seg.hdr.ack == hole) {
      ++dupacks;
      ASSERT_GE(e.seg.hdr.options.sack_count, 1);
      EXPECT_EQ(e.seg.hdr.options.sack[0].left, hole + 1448);
      EXPECT_EQ(e.seg.hdr.options.sack[0].right, hole + 1448 * (1 + dupacks));
    }
  }
  EXPECT_EQ(dupacks, 4);
  // RFC 5681 3.2: the third duplicate ACK triggered a fast retransmit that filled the hole.
  EXPECT_EQ(sim->a.tcp.counters().fast_retransmits, 1u);
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 0u);
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, data);
  EXPECT_EQ(AsConn(server)->ooo_count(), 0u);
  EXPECT_EQ(AsConn(client)->snd_una(), AsConn(client)->snd_nxt());  // all acknowledged
  // The late original is a duplicate: RFC 2883 4.1.1 reports it in a D-SACK block.
  sim->filter = nullptr;
  const size_t mark = sim->log.size();
  sim->Deliver(held.front());
  held.clear();
  sim->Pump();
  bool dsack = false;
  for (size_t i = mark; i < sim->log.size(); ++i) {
    const auto& o = sim->log[i].seg.hdr.options;
    if (sim->log[i].from == 'b' && o.sack_count >= 1 && o.sack[0].left == hole &&
        o.sack[0].right == hole + 1448) {
      dsack = true;
    }
  }
  EXPECT_TRUE(dsack);
  EXPECT_EQ(sim->a.tcp.counters().dsacks_in, 1u);
}

TEST_F(DataTest, LossRecoveredByRtoWithBackoff) {
  cfg_a.tail_loss_probe = false;  // the RTO alone (the probe has its own tests)
  Start(34);
  Establish();
  const auto data = Pattern(100, 5);
  ASSERT_TRUE(client->Send(data, sim->now).ok());
  int dropped = 0;
  sim->filter = [&](char from, Captured&, const SegInfo& s) {
    if (from == 'a' && !s.payload.empty() && dropped < 4) {
      ++dropped;
      return false;
    }
    return true;
  };
  ASSERT_TRUE(sim->RunUntil([&] { return server->readable_bytes() == data.size(); },
                            Duration::Seconds(10)));
  std::vector<Instant> sends;
  for (const auto& e : sim->log) {
    if (e.from == 'a' && !e.seg.payload.empty()) sends.push_back(e.at);
  }
  ASSERT_EQ(sends.size(), 5u);
  // RFC 6298 5.5: the RTO doubles on each expiry, from the 200 ms floor.
  EXPECT_EQ(sends[1] - sends[0], Duration::Millis(200));
  EXPECT_EQ(sends[2] - sends[1], Duration::Millis(400));
  EXPECT_EQ(sends[3] - sends[2], Duration::Millis(800));
  EXPECT_EQ(sends[4] - sends[3], Duration::Millis(1600));
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 4u);
  EXPECT_EQ(sim->a.tcp.counters().retrans_segs, 4u);
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, data);
  // Karn: no sample from the retransmission, so the backoff stays until new data is timed.
  EXPECT_EQ(AsConn(client)->rtt().backoff_shift(), 4);
  ASSERT_TRUE(client->Send(data, sim->now).ok());
  sim->Run(Duration::Millis(100));
  EXPECT_EQ(AsConn(client)->rtt().backoff_shift(), 0);
}

TEST_F(DataTest, RetriesExhaustedAbortsWithTimeout) {
  cfg_a.max_retries = 3;
  Start(35);
  Establish();
  sim->filter = [](char from, Captured&, const SegInfo&) { return from != 'a'; };
  ASSERT_TRUE(client->Send(Pattern(10, 1), sim->now).ok());
  ASSERT_TRUE(sim->RunUntil([&] { return client->state() == TcpState::kClosed; },
                            Duration::Seconds(10), Duration::Millis(5)));
  EXPECT_TRUE(csink.last & kEventErr);
  EXPECT_EQ(client->TakeError(), ETIMEDOUT);
  EXPECT_EQ(sim->a.tcp.counters().connections_aborted, 1u);
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 4u);
  EXPECT_EQ(client->Send(Pattern(10, 1), sim->now).error(), EPIPE);
}

TEST_F(DataTest, ZeroWindowIsProbedAndTransferResumes) {
  cfg_b.receive_buffer = 4096;
  cfg_b.receive_buffer_max = 4096;  // a fixed 4 KiB buffer (no autosizing, no scaling)
  Start(36);
  Establish();
  const auto data = Pattern(20000, 6);
  ASSERT_EQ(*client->Send(data, sim->now), data.size());
  sim->Run(Duration::Seconds(1));
  EXPECT_EQ(server->readable_bytes(), 4096u);
  EXPECT_EQ(AsConn(client)->snd_wnd(), 0u);
  EXPECT_EQ(AsConn(client)->timer_kind(), TimerKind::kPersist);
  // Probes keep going while the window stays shut, further and further apart.
  const size_t mark = sim->log.size();
  sim->Run(Duration::Seconds(20), Duration::Millis(10));
  std::vector<Instant> probes;
  for (size_t i = mark; i < sim->log.size(); ++i) {
    if (sim->log[i].from == 'a' && sim->log[i].seg.payload.size() == 1) {
      probes.push_back(sim->log[i].at);
    }
  }
  ASSERT_GE(probes.size(), 3u);
  EXPECT_GT(probes[2] - probes[1], probes[1] - probes[0]);
  EXPECT_EQ(client->state(), TcpState::kEstablished);  // answered probes keep it open
  EXPECT_EQ(server->readable_bytes(), 4096u);          // the probe bytes were not taken
  // The other direction keeps working meanwhile: the prober's ACKs must be acceptable to a
  // receiver whose window is zero.
  const auto down = Pattern(3000, 8);
  ASSERT_TRUE(server->Send(down, sim->now).ok());
  sim->Run(Duration::Millis(100));
  EXPECT_EQ(AsConn(server)->snd_una(), AsConn(server)->snd_nxt());
  std::vector<uint8_t> down_got;
  Drain(client, down_got, sim->now);
  EXPECT_EQ(down_got, down);
  // The window-opening update is lost; the next probe learns the window instead.
  bool dropped = false;
  sim->filter = [&](char from, Captured&, const SegInfo& s) {
    if (from == 'b' && !dropped && s.hdr.window > 0) {
      dropped = true;
      return false;
    }
    return true;
  };
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  sim->Pump();
  EXPECT_TRUE(dropped);
  const Instant end = sim->now + Duration::Seconds(60);
  while (got.size() < data.size() && sim->now < end) {
    Drain(server, got, sim->now);
    sim->Advance(Duration::Millis(10));
  }
  EXPECT_EQ(got, data);
}

TEST_F(DataTest, NagleHoldsSmallSegmentsUntilAcked) {
  Start(37);
  Establish();
  const std::vector<uint8_t> small(10, 7);
  ASSERT_TRUE(client->Send(small, sim->now).ok());
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 10u);  // nothing outstanding: sent at once
  ASSERT_TRUE(client->Send(small, sim->now).ok());
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 10u);  // held: the first is not yet acknowledged
  sim->Advance(Duration::Millis(40));        // delayed ACK, then the held bytes go
  EXPECT_EQ(server->readable_bytes(), 20u);
  client->set_nodelay(true);
  ASSERT_TRUE(client->Send(small, sim->now).ok());
  sim->Pump();
  ASSERT_TRUE(client->Send(small, sim->now).ok());
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 40u);  // TCP_NODELAY: both at once
}

TEST_F(DataTest, EarlyOutputSendsEarlierConnectionsDuringTheApplicationsTurn) {
  cfg_a.early_output_sends = 2;
  Start();
  Establish();
  RecordingSink sink2, ssink2;
  auto c2 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &sink2, sim->now);
  ASSERT_TRUE(c2.ok());
  sim->Pump();
  ASSERT_NE(sim->b.tcp.Accept(listener, &ssink2), nullptr);
  ASSERT_EQ((*c2)->state(), TcpState::kEstablished);
  std::deque<Captured>& out = sim->a.ip.out;
  out.clear();
  const std::vector<uint8_t> d(100, 'x');
  ASSERT_TRUE(client->Send(d, sim->now).ok());
  EXPECT_TRUE(out.empty());  // the first send waits for the end of the turn
  ASSERT_TRUE((*c2)->Send(d, sim->now).ok());
  // The second send outputs the connection written before it and pushes its frame.
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(sim->a.ip.pushes, 1);
  SegInfo first = Inspect(out[0].pkt);
  EXPECT_EQ(first.hdr.src_port, client->local_port());
  EXPECT_EQ(first.payload.size(), 100u);
  // The latest connection waits: its next write joins the same segment.
  ASSERT_TRUE((*c2)->Send(d, sim->now).ok());
  sim->a.tcp.Flush(sim->now);
  ASSERT_EQ(out.size(), 2u);
  SegInfo second = Inspect(out[1].pkt);
  EXPECT_EQ(second.hdr.src_port, (*c2)->local_port());
  EXPECT_EQ(second.payload.size(), 200u);
  sim->Pump();
}

TEST_F(DataTest, DelayedAndCoalescedAcks) {
  Start(38);
  Establish();
  size_t mark = sim->log.size();
  const auto count_b = [&] {
    int n = 0;
    for (size_t i = mark; i < sim->log.size(); ++i) n += sim->log[i].from == 'b';
    return n;
  };
  ASSERT_TRUE(client->Send(Pattern(100, 1), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(count_b(), 0);  // RFC 1122 4.2.3.2: the ACK is delayed
  sim->Advance(Duration::Millis(39));
  EXPECT_EQ(count_b(), 0);
  sim->Advance(Duration::Millis(1));
  EXPECT_EQ(count_b(), 1);  // after delayed_ack (40 ms)
  // Ten full segments in one burst: at least every second one must be acknowledged, but
  // they arrive in one poll round, so one coalesced ACK covers them all.
  mark = sim->log.size();
  ASSERT_TRUE(client->Send(Pattern(10 * 1448, 2), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(count_b(), 1);
  EXPECT_EQ(server->readable_bytes(), 100u + 10 * 1448);
  EXPECT_EQ(AsConn(client)->snd_una(), AsConn(client)->snd_nxt());
}

TEST_F(DataTest, RandomImpairmentSeeds) {
  for (uint64_t seed = 100; seed < 130; ++seed) {
    const double loss = 0.02 + static_cast<double>(seed % 5) * 0.03;
    cfg_a = cfg_b = TcpConfig{};
    Start(seed);
    Establish();
    std::deque<Captured> held;
    Random& rnd = sim->rnd;
    bool closing = false;
    sim->filter = [&](char, Captured& c, const SegInfo&) {
      if (rnd.Chance(loss)) return false;  // loss
      if (closing) return true;
      if (rnd.Chance(0.04)) {  // reordering: deliver later
        held.push_back(std::move(c));
        return false;
      }
      if (rnd.Chance(0.03)) {  // duplication
        Captured copy{c.pkt.Copy(TestPool().get()), c.src, c.dst};
        held.push_back(std::move(copy));
      }
      return true;
    };
    const auto release = [&] {
      while (!held.empty()) {
        Captured c = std::move(held.front());
        held.pop_front();
        sim->Deliver(c);
      }
    };
    const auto dump = [&] {
      const size_t n = sim->log.size();
      for (size_t i = n > 60 ? n - 60 : 0; i < n; ++i) {
        const auto& e = sim->log[i];
        printf("%c t=%lld seq=%u ack=%u fl=%02x len=%zu win=%u\n", e.from,
               (long long)(e.at.nanos() / 1000000), e.seg.hdr.seq, e.seg.hdr.ack, e.seg.hdr.flags,
               e.seg.payload.size(), e.seg.hdr.window);
      }
    };
    const auto dx = Pattern(150000, seed);
    const auto dy = Pattern(120000, seed + 1000);
    std::vector<uint8_t> at_server, at_client;
    ASSERT_TRUE(Exchange(*sim, client, server, dx, dy, at_server, at_client, Duration::Seconds(600),
                         release))
        <<
        [&] {
          dump();
          return "";
        }()
        << "seed " << seed << " got " << at_server.size() << "/" << at_client.size() << " states "
        << TcpStateName(client->state()) << "/" << TcpStateName(server->state()) << " errors "
        << client->TakeError() << "/" << server->TakeError() << " now " << sim->now.nanos()
        << " a.resets_in " << sim->a.tcp.counters().resets_in << " b.resets_in "
        << sim->b.tcp.counters().resets_in << " a.rst_out " << sim->a.tcp.counters().resets_out
        << " b.rst_out " << sim->b.tcp.counters().resets_out << " aborted "
        << sim->a.tcp.counters().connections_aborted << "/"
        << sim->b.tcp.counters().connections_aborted;
    if (at_server.size() != dx.size()) dump();
    ASSERT_EQ(at_server, dx) << "seed " << seed;
    ASSERT_EQ(at_client, dy) << "seed " << seed;
    // Close both ways (still lossy) and let everything finish, TIME-WAIT included.
    client->Close(sim->now);
    server->Close(sim->now);
    closing = true;
    release();
    sim->RunUntil(
        [&] { return sim->a.tcp.connection_count() + sim->b.tcp.connection_count() == 0; },
        Duration::Seconds(200), Duration::Millis(50));
    EXPECT_EQ(sim->a.tcp.connection_count(), 0u) << "seed " << seed;
    EXPECT_EQ(sim->b.tcp.connection_count(), 0u) << "seed " << seed;
  }
}

}  // namespace
}  // namespace ustack::test
