// Robustness and socket-option tests: RFC 5961 challenge ACKs (RST, SYN, old ACK) and
// their rate limit, keepalive (RFC 9293 3.8.4), TCP_USER_TIMEOUT (RFC 5482), SO_LINGER
// zero (RST on close), TCP_CORK, TIME-WAIT reuse by a newer SYN (RFC 6191), urgent data
// kept inline (RFC 6093).
#include <gtest/gtest.h>

#include <cerrno>

#include "tcp/syn_cookies.h"
#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

using RobustTest = TcpSimTest;

TcpRepr FromClient(TcpConnection* client, uint8_t flags) {
  TcpRepr r;
  r.src_port = client->local_port();
  r.dst_port = 80;
  r.flags = flags;
  r.window = 1000;
  return r;
}

TEST_F(RobustTest, SynInEstablishedGetsChallengeAckNotReset) {
  Start(501);
  Establish();
  Connection* s = AsConn(server);
  TcpRepr r = FromClient(client, kTcpSyn);
  r.seq = (s->rcv_nxt() + 5).raw();  // RFC 5961 4.2: whatever the sequence number
  Captured x = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(x);
  EXPECT_EQ(server->state(), TcpState::kEstablished);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  const SegInfo ack = Inspect(sim->b.ip.out.front().pkt);
  EXPECT_EQ(ack.hdr.flags, kTcpAck);
  EXPECT_EQ(ack.hdr.seq, s->snd_nxt().raw());
  EXPECT_EQ(ack.hdr.ack, s->rcv_nxt().raw());
  EXPECT_EQ(sim->b.tcp.counters().challenge_acks, 1u);
  sim->b.ip.out.clear();
}

TEST_F(RobustTest, TooOldAckGetsChallengeAck) {
  Start(502);
  Establish();
  Connection* s = AsConn(server);
  TcpRepr r = FromClient(client, kTcpAck);
  r.seq = s->rcv_nxt().raw();
  r.ack = (s->snd_una() - (s->snd_wnd() + 1000)).raw();  // RFC 5961 5.2: too old
  Captured x = Craft(sim->a.addr, sim->b.addr, r, {9, 9});
  sim->Deliver(x);
  EXPECT_EQ(server->readable_bytes(), 0u);  // the whole segment is dropped
  EXPECT_EQ(sim->b.tcp.counters().challenge_acks, 1u);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  sim->b.ip.out.clear();
}

TEST_F(RobustTest, ChallengeAckRateLimit) {
  cfg_b.challenge_ack_limit = 2;
  Start(503);
  Establish();
  Connection* s = AsConn(server);
  for (int i = 0; i < 5; ++i) {
    TcpRepr r = FromClient(client, kTcpRst);
    r.seq = (s->rcv_nxt() + 10 + i).raw();
    Captured x = Craft(sim->a.addr, sim->b.addr, r);
    sim->Deliver(x);
  }
  EXPECT_EQ(server->state(), TcpState::kEstablished);
  EXPECT_EQ(sim->b.tcp.counters().challenge_acks, 2u);  // RFC 5961 7
  EXPECT_EQ(sim->b.tcp.counters().challenge_acks_limited, 3u);
  sim->b.ip.out.clear();
  sim->now += Duration::Seconds(1);  // a new second, a new budget
  TcpRepr r = FromClient(client, kTcpRst);
  r.seq = (s->rcv_nxt() + 99).raw();
  Captured x = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(x);
  EXPECT_EQ(sim->b.tcp.counters().challenge_acks, 3u);
  sim->b.ip.out.clear();
}

TEST_F(RobustTest, KeepaliveProbesAndAbortsDeadPeer) {
  Start(504);
  Establish();
  client->SetKeepalive(true, Duration::Seconds(10), Duration::Seconds(2), 3, sim->now);
  // A live peer answers the probes: the connection stays.
  sim->Run(Duration::Seconds(13), Duration::Millis(100));
  EXPECT_GE(sim->a.tcp.counters().keepalive_probes, 1u);
  EXPECT_EQ(client->state(), TcpState::kEstablished);
  const size_t mark = sim->log.size();
  sim->Run(Duration::Seconds(1), Duration::Millis(100));
  for (size_t i = mark; i < sim->log.size(); ++i) {
    const auto& e = sim->log[i];
    if (e.from == 'a') {  // RFC 9293 3.8.4: <SEQ=SND.UNA-1>, no data
      EXPECT_EQ(e.seg.hdr.seq, (AsConn(client)->snd_una() - 1).raw());
      EXPECT_TRUE(e.seg.payload.empty());
    }
  }
  // The peer vanishes: after cnt unanswered probes the connection is aborted.
  sim->filter = [](char from, Captured&, const SegInfo&) { return from != 'b'; };
  ASSERT_TRUE(sim->RunUntil([&] { return client->state() == TcpState::kClosed; },
                            Duration::Seconds(30), Duration::Millis(100)));
  EXPECT_EQ(client->TakeError(), ETIMEDOUT);
  EXPECT_EQ(sim->a.tcp.counters().keepalive_timeouts, 1u);
}

TEST_F(RobustTest, UserTimeoutAbortsBeforeRetryLimit) {
  Start(505);
  Establish();
  client->SetUserTimeout(Duration::Seconds(2));
  sim->filter = [](char from, Captured&, const SegInfo&) { return from != 'a'; };
  const Instant start = sim->now;
  ASSERT_TRUE(client->Send(Pattern(100, 1), sim->now).ok());
  ASSERT_TRUE(sim->RunUntil([&] { return client->state() == TcpState::kClosed; },
                            Duration::Seconds(20), Duration::Millis(10)));
  EXPECT_LT(sim->now - start, Duration::Seconds(4));  // RTOs at 0.2+0.4+0.8+1.6 s
  EXPECT_EQ(client->TakeError(), ETIMEDOUT);
  EXPECT_EQ(sim->a.tcp.counters().user_timeouts, 1u);
}

TEST_F(RobustTest, ZeroLingerCloseSendsRst) {
  Start(506);
  Establish();
  client->SetLinger(true, Duration::Nanos(0));
  ASSERT_TRUE(client->Send(Pattern(10, 1), sim->now).ok());
  client->Close(sim->now);
  sim->Pump();
  EXPECT_EQ(server->state(), TcpState::kClosed);
  EXPECT_EQ(server->TakeError(), ECONNRESET);
  EXPECT_EQ(sim->a.tcp.counters().resets_out, 1u);
}

TEST_F(RobustTest, CorkHoldsPartialSegmentsUntilUncorked) {
  Start(507);
  Establish();
  client->set_nodelay(true);
  client->SetCork(true);
  ASSERT_TRUE(client->Send(Pattern(100, 1), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 0u);
  ASSERT_TRUE(client->Send(Pattern(2000, 2), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 1448u);  // full segments go
  client->SetCork(false);
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 2100u);
}

TEST_F(RobustTest, TimeWaitReusedByNewerSyn) {
  Start(508);
  Establish();
  const uint16_t port = client->local_port();
  // The server closes first, so the server ends in TIME-WAIT.
  server->Close(sim->now);
  sim->Pump();
  client->Close(sim->now);
  sim->Pump();
  ASSERT_EQ(server->state(), TcpState::kTimeWait);
  sim->Advance(Duration::Seconds(1));
  // The same 4-tuple again: the SYN's timestamp is newer (RFC 6191).
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), port, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  sim->Pump();
  EXPECT_EQ(sim->b.tcp.counters().time_wait_reused, 1u);
  EXPECT_EQ((*c)->state(), TcpState::kEstablished);
  TcpConnection* again = sim->b.tcp.Accept(listener, &ssink);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE((*c)->Send(Pattern(10, 3), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(again->readable_bytes(), 10u);
}

TEST_F(RobustTest, UrgentDataStaysInline) {
  Start(509);
  Establish();
  Connection* s = AsConn(server);
  TcpRepr r = FromClient(client, kTcpAck | kTcpUrg | kTcpPsh);
  r.seq = s->rcv_nxt().raw();
  r.ack = s->snd_nxt().raw();
  r.urgent = 60000;  // RFC 6093: a pointer past the data must not matter
  r.options.timestamps = TcpTimestamps{sim->log[2].seg.hdr.options.timestamps->value + 1, 0};
  Captured x = Craft(sim->a.addr, sim->b.addr, r, {1, 2, 3, 4});
  sim->Deliver(x);
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, (std::vector<uint8_t>{1, 2, 3, 4}));  // RFC 6093 6: urgent bytes inline
  sim->b.ip.out.clear();
}

}  // namespace
}  // namespace ustack::test

namespace ustack::test {
namespace {

TEST(SynCookiesUnit, RoundTripAndExpiry) {
  Random rnd(7);
  SynCookies sc(rnd);
  const FourTuple t{Ipv4Addr::Of(10, 0, 0, 2), 80, Ipv4Addr::Of(10, 0, 0, 1), 40000};
  const Instant now = Instant::FromNanos(int64_t{1000} * 1'000'000'000);
  const uint32_t c = sc.Make(t, Seq32(12345), 1460, now);
  EXPECT_EQ(sc.Check(t, Seq32(12345), c, now), std::optional<uint16_t>(1460));
  EXPECT_EQ(sc.Check(t, Seq32(12345), c, now + Duration::Seconds(60)),
            std::optional<uint16_t>(1460));
  EXPECT_FALSE(sc.Check(t, Seq32(12345), c, now + Duration::Seconds(200)).has_value());
  EXPECT_FALSE(sc.Check(t, Seq32(12346), c, now).has_value());  // another peer ISN
  EXPECT_FALSE(sc.Check(t, Seq32(12345), c ^ 1, now).has_value());
  EXPECT_EQ(sc.Check(t, Seq32(1), sc.Make(t, Seq32(1), 1300, now), now),
            std::optional<uint16_t>(1200));  // the MSS rounds down to the table
  const CookieOptions o = SynCookies::DecodeOptions(
      SynCookies::EncodeOptions(0xabcdef12u, CookieOptions{7, true, true}));
  EXPECT_TRUE(o.wscale_ok);
  EXPECT_EQ(o.wscale, 7);
  EXPECT_TRUE(o.sack_ok);
  EXPECT_FALSE(SynCookies::DecodeOptions(SynCookies::EncodeOptions(5, CookieOptions{})).wscale_ok);
}

TEST_F(RobustTest, SynCookiesWhenHalfOpenQueueIsFull) {
  Start(510);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 1, &lsink);
  ASSERT_TRUE(l.ok());
  // One half-open connection from a crafted SYN fills the queue (backlog 1).
  TcpRepr syn;
  syn.src_port = 999;
  syn.dst_port = 80;
  syn.seq = 5000;
  syn.flags = kTcpSyn;
  syn.window = 1000;
  Captured x = Craft(sim->a.addr, sim->b.addr, syn);
  sim->Deliver(x);
  sim->b.ip.out.clear();
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  sim->Pump();
  const TcpCounters& bc = sim->b.tcp.counters();
  EXPECT_EQ(bc.cookies_sent, 1u);
  EXPECT_EQ(bc.cookies_validated, 1u);
  ASSERT_EQ((*c)->state(), TcpState::kEstablished);
  TcpConnection* s = sim->b.tcp.Accept(*l, &ssink);
  ASSERT_NE(s, nullptr);
  // The options survived in the cookie's timestamp bits.
  EXPECT_TRUE(AsConn(s)->ts_ok());
  EXPECT_TRUE(AsConn(s)->ws_ok());
  EXPECT_TRUE(AsConn(s)->sack_ok());
  EXPECT_EQ(AsConn(s)->snd_wscale(), 7);
  const auto data = Pattern(100000, 4);
  ASSERT_TRUE((*c)->Send(data, sim->now).ok());
  std::vector<uint8_t> got;
  ASSERT_TRUE(sim->RunUntil(
      [&] {
        Drain(s, got, sim->now);
        return got.size() == data.size();
      },
      Duration::Seconds(5)));
  EXPECT_EQ(got, data);
  // A forged ACK does not validate: it is answered with RST.
  TcpRepr forged;
  forged.src_port = 1234;
  forged.dst_port = 80;
  forged.seq = 777;
  forged.ack = 888;
  forged.flags = kTcpAck;
  Captured y = Craft(sim->a.addr, sim->b.addr, forged);
  sim->Deliver(y);
  EXPECT_EQ(bc.cookies_failed, 1u);
  ASSERT_FALSE(sim->b.ip.out.empty());
  EXPECT_TRUE(Inspect(sim->b.ip.out.back().pkt).has(kTcpRst));
  sim->b.ip.out.clear();
}

}  // namespace
}  // namespace ustack::test
