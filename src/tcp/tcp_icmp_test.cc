// ICMP errors for TCP: path MTU discovery (RFC 1191) with RFC 5927 validation, hard errors
// in SYN-SENT and soft errors reported on timeout (RFC 1122 4.2.3.9).
#include <gtest/gtest.h>

#include <cerrno>

#include "base/byte_order.h"
#include "tcp/tcp_test_harness.h"
#include "wire/icmp.h"

namespace ustack::test {
namespace {

using IcmpTest = TcpSimTest;

// An ICMP error as the network layer passes it: about a segment a sent to b.
struct Quote {
  std::array<uint8_t, 8> bytes{};
  IcmpErrorInfo info;
};

Quote QuoteOf(const Sim& sim, const TcpConnection* c, Seq32 seq, uint8_t type, uint8_t code,
              uint16_t mtu, uint16_t total_length) {
  Quote q;
  StoreBe16(q.bytes.data(), c->local_port());
  StoreBe16(q.bytes.data() + 2, c->remote_port());
  StoreBe32(q.bytes.data() + 4, seq.raw());
  q.info.type = type;
  q.info.code = code;
  q.info.next_hop_mtu = mtu;
  q.info.src = sim.a.addr;
  q.info.dst = sim.b.addr;
  q.info.total_length = total_length;
  q.info.transport = q.bytes;
  return q;
}

// Payload bytes of a full segment (the MSS minus the timestamps option).
uint32_t Payload(const Connection* c) { return c->snd_mss() - (c->ts_ok() ? 12u : 0u); }

size_t LargestPayloadFromA(const Sim& sim) {
  size_t largest = 0;
  for (const auto& e : sim.log) {
    if (e.from == 'a') largest = std::max(largest, e.seg.payload.size());
  }
  return largest;
}

// Sends `n` bytes from the client without delivering anything; returns them.
std::vector<uint8_t> SendUndelivered(Sim& sim, TcpConnection* client, size_t n) {
  std::vector<uint8_t> data = Pattern(n, sim.seed);
  EXPECT_EQ(*client->Send(data, sim.now), n);
  sim.FlushAll();
  sim.a.ip.out.clear();  // all lost at a hop with a smaller MTU
  return data;
}

TEST_F(IcmpTest, FragNeededLowersMssAndResendsInFlightData) {
  Start(801);
  Establish();
  const auto data = SendUndelivered(*sim, client, 4 * 1448);
  Connection* c = AsConn(client);
  const uint32_t segments = c->cc().cwnd() / Payload(c);
  // RFC 1191 4: the router reports its next-hop MTU; RFC 5927 4.1: the quote is in flight.
  const Quote q =
      QuoteOf(*sim, client, c->snd_una(), kIcmpDestUnreachable, kIcmpCodeFragNeeded, 1000, 1500);
  sim->a.tcp.OnIcmpError(q.info, sim->now);
  EXPECT_EQ(sim->a.tcp.counters().pmtu_updates, 1u);
  EXPECT_EQ(c->snd_mss(), 1000 - 40);
  // RFC 1191 6.5: not a congestion signal: as many (smaller) segments as before.
  EXPECT_EQ(c->cc().cwnd() / Payload(c), segments);
  sim->log.clear();
  std::vector<uint8_t> got;
  ASSERT_TRUE(sim->RunUntil([&] { return Drain(server, got, sim->now), got.size() == data.size(); },
                            Duration::Seconds(5)));
  EXPECT_EQ(got, data);
  EXPECT_LE(LargestPayloadFromA(*sim), 1000u - 40u);
  EXPECT_GT(LargestPayloadFromA(*sim), 0u);
}

TEST_F(IcmpTest, FragNeededOutsideTheWindowIsIgnored) {
  Start(802);
  Establish();
  SendUndelivered(*sim, client, 2 * 1448);
  Connection* c = AsConn(client);
  const uint16_t mss = c->snd_mss();
  // RFC 5927 4.1: a sequence number not in flight means a forged or stale error.
  for (const Seq32 seq : {c->snd_una() - 1, c->snd_nxt() + 1, c->snd_una() + 100000}) {
    const Quote q =
        QuoteOf(*sim, client, seq, kIcmpDestUnreachable, kIcmpCodeFragNeeded, 600, 1500);
    sim->a.tcp.OnIcmpError(q.info, sim->now);
  }
  EXPECT_EQ(c->snd_mss(), mss);
  EXPECT_EQ(sim->a.tcp.counters().drop_icmp_out_of_window, 3u);
  EXPECT_EQ(sim->a.tcp.counters().pmtu_updates, 0u);
}

TEST_F(IcmpTest, BogusOrTinyMtuIsClampedOrIgnored) {
  Start(803);
  Establish();
  SendUndelivered(*sim, client, 2 * 1448);
  Connection* c = AsConn(client);
  // RFC 1191 4: a "next-hop MTU" not below the refused datagram is bogus.
  Quote q =
      QuoteOf(*sim, client, c->snd_una(), kIcmpDestUnreachable, kIcmpCodeFragNeeded, 1500, 1500);
  sim->a.tcp.OnIcmpError(q.info, sim->now);
  EXPECT_EQ(c->snd_mss(), 1460);
  // RFC 1191 5: no MTU given: the next plateau below the datagram's length (1492).
  q = QuoteOf(*sim, client, c->snd_una(), kIcmpDestUnreachable, kIcmpCodeFragNeeded, 0, 1500);
  sim->a.tcp.OnIcmpError(q.info, sim->now);
  EXPECT_EQ(c->snd_mss(), 1492 - 40);
}

TEST_F(IcmpTest, PortUnreachableAbortsConnectAttempt) {
  Start(804);
  auto r = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 81, &csink, sim->now);
  ASSERT_TRUE(r.ok());
  TcpConnection* c = *r;
  sim->FlushAll();
  ASSERT_EQ(c->state(), TcpState::kSynSent);
  sim->a.ip.out.clear();
  const Quote q =
      QuoteOf(*sim, c, AsConn(c)->snd_una(), kIcmpDestUnreachable, kIcmpCodePortUnreachable, 0, 60);
  sim->a.tcp.OnIcmpError(q.info, sim->now);
  EXPECT_EQ(c->state(), TcpState::kClosed);
  EXPECT_EQ(c->TakeError(), ECONNREFUSED);  // RFC 1122 4.2.3.9, as Linux reports it
  c->Close(sim->now);
}

TEST_F(IcmpTest, SoftErrorIsReportedWhenTheConnectionTimesOut) {
  cfg_a.max_retries = 3;
  Start(805);
  Establish();
  sim->filter = [](char from, Captured&, const SegInfo&) { return from != 'a'; };
  SendUndelivered(*sim, client, 100);
  Connection* c = AsConn(client);
  const Quote q =
      QuoteOf(*sim, client, c->snd_una(), kIcmpDestUnreachable, kIcmpCodeHostUnreachable, 0, 140);
  sim->a.tcp.OnIcmpError(q.info, sim->now);
  EXPECT_EQ(client->state(), TcpState::kEstablished);  // soft: the connection goes on
  ASSERT_TRUE(sim->RunUntil([&] { return client->state() == TcpState::kClosed; },
                            Duration::Seconds(120), Duration::Millis(50)));
  EXPECT_EQ(client->TakeError(), EHOSTUNREACH);  // not ETIMEDOUT
}

}  // namespace
}  // namespace ustack::test
