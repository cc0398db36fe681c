// Tail loss probe (RFC 8985 7): a lost tail is probed after the PTO instead of waiting for
// the RTO, with new data when there is some, and the ACKs after the probe decide whether
// the congestion window is reduced.
#include <gtest/gtest.h>

#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

using TlpTest = TcpSimTest;

// Times at which `from` sent segments carrying payload.
std::vector<Instant> DataSends(const Sim& sim, char from) {
  std::vector<Instant> v;
  for (const auto& e : sim.log) {
    if (e.from == from && !e.seg.payload.empty()) v.push_back(e.at);
  }
  return v;
}

// Warms the RTT estimator with an exchange, then sends `n` bytes whose last segment is lost
// once; returns when the server has all of it.
void LoseTail(Sim& sim, TcpConnection* client, TcpConnection* server, size_t n) {
  std::vector<uint8_t> got;
  const auto warm = Pattern(100, 1);
  ASSERT_TRUE(client->Send(warm, sim.now).ok());
  sim.Run(Duration::Millis(300), Duration::Millis(5));
  Drain(server, got, sim.now);
  sim.log.clear();
  const auto data = Pattern(n, 2);
  const Seq32 last = AsConn(client)->snd_nxt() + static_cast<uint32_t>(n - 1);
  bool dropped = false;
  sim.filter = [&](char from, Captured&, const SegInfo& s) {
    const bool tail = from == 'a' && !s.payload.empty() &&
                      Seq32(s.hdr.seq) + static_cast<uint32_t>(s.payload.size() - 1) == last;
    if (tail && !dropped) {
      dropped = true;
      return false;
    }
    return true;
  };
  ASSERT_TRUE(client->Send(data, sim.now).ok());
  got.clear();
  ASSERT_TRUE(sim.RunUntil([&] { return Drain(server, got, sim.now), got.size() == n; },
                           Duration::Seconds(5), Duration::Millis(1)));
  EXPECT_EQ(got, data);
}

TEST_F(TlpTest, LostTailIsProbedBeforeTheRto) {
  cfg_a.rto_min = Duration::Seconds(1);  // so that PTO and RTO differ on this fast path
  Start(901);
  Establish();
  LoseTail(*sim, client, server, 5 * 1448);
  const auto sends = DataSends(*sim, 'a');
  ASSERT_EQ(sends.size(), 6u);  // five segments and one probe
  const Connection* c = AsConn(client);
  // RFC 8985 7.2: PTO = 2 * SRTT, plus WCDelAckT as one segment is left in flight.
  EXPECT_GE(sends[5] - sends[4], c->rtt().srtt() * 2 + Duration::Millis(200));
  EXPECT_LT(sends[5] - sends[4], c->rtt().rto());
  EXPECT_EQ(sim->a.tcp.counters().tlp_probes, 1u);
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 0u);
  // RFC 8985 7.4.2: the probe repaired a loss: the window is reduced as in fast recovery.
  EXPECT_EQ(sim->a.tcp.counters().tlp_recoveries, 0u);  // no ACK beyond the probe yet
  const auto more = Pattern(100, 3);
  ASSERT_TRUE(client->Send(more, sim->now).ok());
  sim->Run(Duration::Millis(100));
  EXPECT_EQ(sim->a.tcp.counters().tlp_recoveries, 1u);
}

TEST_F(TlpTest, SpuriousProbeIsReportedByDsackAndKeepsTheWindow) {
  Start(902);
  Establish();
  const auto warm = Pattern(100, 1);
  ASSERT_TRUE(client->Send(warm, sim->now).ok());
  sim->Run(Duration::Millis(300), Duration::Millis(5));
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  // The server's ACKs are held back past the PTO: nothing was lost, the probe is spurious.
  std::deque<Captured> held;
  sim->filter = [&](char from, Captured& c, const SegInfo&) {
    if (from != 'b') return true;
    held.push_back(std::move(c));
    return false;
  };
  ASSERT_TRUE(client->Send(Pattern(3 * 1448, 4), sim->now).ok());
  const uint32_t cwnd = AsConn(client)->cc().cwnd();
  ASSERT_TRUE(
      sim->RunUntil([&] { return sim->a.tcp.counters().tlp_probes == 1; }, Duration::Seconds(2)));
  sim->filter = nullptr;
  for (Captured& c : held) sim->Deliver(c);
  sim->Run(Duration::Millis(100));
  // RFC 8985 7.4.1: the D-SACK of the probe shows both copies arrived: no reduction.
  EXPECT_GE(sim->a.tcp.counters().dsacks_in, 1u);
  EXPECT_EQ(sim->a.tcp.counters().tlp_recoveries, 0u);
  EXPECT_GE(AsConn(client)->cc().cwnd(), cwnd);
}

TEST_F(TlpTest, DisabledMeansTheRtoRepairsTheTail) {
  cfg_a.tail_loss_probe = false;
  Start(903);
  Establish();
  LoseTail(*sim, client, server, 5 * 1448);
  EXPECT_EQ(sim->a.tcp.counters().tlp_probes, 0u);
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 1u);
}

TEST_F(TlpTest, NoProbeWithoutSack) {
  cfg_a.sack = false;
  Start(904);
  Establish();
  LoseTail(*sim, client, server, 5 * 1448);
  EXPECT_EQ(sim->a.tcp.counters().tlp_probes, 0u);  // RFC 8985 7.2: needs SACK
}

}  // namespace
}  // namespace ustack::test
