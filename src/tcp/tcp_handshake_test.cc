// Connection-level tests, opening: handshakes (active, passive, simultaneous), MSS
// negotiation, RST for closed ports and refused connects, listener queues and overflow,
// ephemeral ports, SYN retries, and input validation (checksum, malformed headers).
#include <gtest/gtest.h>

#include <cerrno>
#include <set>

#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

using Handshake = TcpSimTest;

TEST_F(Handshake, ActiveAndPassiveOpen) {
  Start(11);
  Establish();
  EXPECT_EQ(sim->a.tcp.counters().active_opens, 1u);
  EXPECT_EQ(sim->b.tcp.counters().passive_opens, 1u);
  EXPECT_EQ(AsConn(client)->snd_mss(), 1460);  // min(peer 1460, ours 1460)
  EXPECT_EQ(AsConn(server)->snd_mss(), 1460);
  EXPECT_TRUE(csink.last & kEventOut);  // established reported to the active side
  EXPECT_TRUE(lsink.last & kEventIn);   // listener had a connection to accept
  EXPECT_EQ(listener->accept_queue_length(), 0u);
  EXPECT_EQ(client->remote_port(), 80);
  EXPECT_EQ(server->local_port(), 80);
  EXPECT_EQ(server->remote_port(), client->local_port());
  EXPECT_EQ(client->local_addr(), sim->a.addr);
  // Three segments: SYN, SYN-ACK, ACK.
  ASSERT_EQ(sim->log.size(), 3u);
  EXPECT_TRUE(sim->log[0].seg.has(kTcpSyn) && !sim->log[0].seg.has(kTcpAck));
  EXPECT_EQ(sim->log[0].seg.hdr.options.mss, 1460);
  EXPECT_TRUE(sim->log[1].seg.has(kTcpSyn) && sim->log[1].seg.has(kTcpAck));
  EXPECT_EQ(sim->log[1].seg.hdr.ack, sim->log[0].seg.hdr.seq + 1);
  EXPECT_EQ(sim->log[2].seg.hdr.flags, kTcpAck);
  EXPECT_EQ(sim->log[2].seg.hdr.ack, sim->log[1].seg.hdr.seq + 1);
  EXPECT_STREQ(TcpStateName(client->state()), "ESTABLISHED");
}

TEST_F(Handshake, BothDirections) {
  Start(12);
  Establish(80);
  auto l2 = sim->a.tcp.Listen(Ipv4Addr::Any(), 8080, 4, nullptr);
  ASSERT_TRUE(l2.ok());
  auto c2 = sim->b.tcp.Connect(Ipv4Addr::Any(), 0, sim->a.addr, 8080, nullptr, sim->now);
  ASSERT_TRUE(c2.ok());
  sim->Pump();
  TcpConnection* s2 = sim->a.tcp.Accept(*l2, nullptr);
  ASSERT_NE(s2, nullptr);
  EXPECT_EQ((*c2)->state(), TcpState::kEstablished);
  EXPECT_EQ(sim->a.tcp.connection_count(), 2u);
  EXPECT_EQ(sim->b.tcp.connection_count(), 2u);
}

TEST_F(Handshake, PeerWithoutMssOptionGets536) {
  Start(13);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 4, nullptr);
  ASSERT_TRUE(l.ok());
  TcpRepr syn;
  syn.src_port = 4000;
  syn.dst_port = 80;
  syn.seq = 5000;
  syn.flags = kTcpSyn;
  syn.window = 8000;
  Captured c = Craft(sim->a.addr, sim->b.addr, syn);
  sim->Deliver(c);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  SegInfo sa = Inspect(sim->b.ip.out.front().pkt);
  sim->b.ip.out.clear();
  EXPECT_EQ(sa.hdr.flags, kTcpSyn | kTcpAck);
  EXPECT_EQ(sa.hdr.ack, 5001u);
  EXPECT_EQ(sa.hdr.options.mss, 1460);
  TcpRepr ack = syn;
  ack.seq = 5001;
  ack.ack = sa.hdr.seq + 1;
  ack.flags = kTcpAck;
  Captured c2 = Craft(sim->a.addr, sim->b.addr, ack);
  sim->Deliver(c2);
  EXPECT_TRUE(sim->b.ip.out.empty());  // nothing to say to a bare ACK
  TcpConnection* s = sim->b.tcp.Accept(*l, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->state(), TcpState::kEstablished);
  EXPECT_EQ(AsConn(s)->snd_mss(), 536);  // RFC 9293 3.7.1 default
  EXPECT_EQ(AsConn(s)->snd_wnd(), 8000u);
}

TEST_F(Handshake, MssIsMinimumOfBothSides) {
  Start(14);
  sim->b.ip.mtu = 1000;  // b advertises 960
  Establish();
  EXPECT_EQ(AsConn(client)->snd_mss(), 960);
  EXPECT_EQ(AsConn(server)->snd_mss(), 960);
}

TEST_F(Handshake, ResetForSegmentsToClosedPort) {
  Start(15);
  TcpRepr r;
  r.src_port = 5000;
  r.dst_port = 81;
  r.seq = 1000;
  r.ack = 777;
  r.flags = kTcpAck;
  r.window = 1000;
  Captured c1 = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(c1);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  SegInfo s = Inspect(sim->b.ip.out.front().pkt);
  // RFC 9293 3.10.7.1: with ACK: <SEQ=SEG.ACK><CTL=RST>.
  EXPECT_EQ(s.hdr.flags, kTcpRst);
  EXPECT_EQ(s.hdr.seq, 777u);
  EXPECT_EQ(s.hdr.src_port, 81);
  EXPECT_EQ(s.hdr.dst_port, 5000);
  EXPECT_EQ(sim->b.ip.out.front().dst, sim->a.addr);
  sim->b.ip.out.clear();
  // Without ACK: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; SYN and FIN count in SEG.LEN.
  r.flags = kTcpSyn | kTcpFin;
  r.ack = 0;
  Captured c2 = Craft(sim->a.addr, sim->b.addr, r, {1, 2, 3, 4, 5});
  sim->Deliver(c2);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  s = Inspect(sim->b.ip.out.front().pkt);
  EXPECT_EQ(s.hdr.flags, kTcpRst | kTcpAck);
  EXPECT_EQ(s.hdr.seq, 0u);
  EXPECT_EQ(s.hdr.ack, 1000u + 5 + 2);
  sim->b.ip.out.clear();
  // A RST to a closed port is dropped silently.
  r.flags = kTcpRst;
  Captured c3 = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(c3);
  EXPECT_TRUE(sim->b.ip.out.empty());
  EXPECT_EQ(sim->b.tcp.counters().drop_no_connection, 3u);
  EXPECT_EQ(sim->b.tcp.counters().resets_out, 2u);
}

TEST_F(Handshake, ConnectToClosedPortIsRefused) {
  Start(16);
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 9999, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  client = *c;
  EXPECT_EQ(client->state(), TcpState::kSynSent);
  sim->Pump();
  // RFC 9293 3.10.7.3: RST with an acceptable ACK in SYN-SENT: connection refused.
  EXPECT_EQ(client->state(), TcpState::kClosed);
  EXPECT_TRUE(csink.last & kEventErr);
  EXPECT_TRUE(csink.last & kEventHup);
  EXPECT_EQ(sim->a.tcp.counters().resets_in, 1u);
  uint8_t buf[8];
  EXPECT_EQ(client->Recv(buf, sim->now).error(), ECONNREFUSED);
  EXPECT_EQ(client->TakeError(), 0);
  EXPECT_EQ(client->Send(std::span<const uint8_t>(buf, 1), sim->now).error(), EPIPE);
  EXPECT_EQ(sim->a.tcp.connection_count(), 1u);  // still held by the application
  client->Close(sim->now);
  sim->Pump();
  EXPECT_EQ(sim->a.tcp.connection_count(), 0u);
}

TEST_F(Handshake, RstWithBadAckInSynSentIsIgnored) {
  Start(17);
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  SegInfo syn = Inspect(sim->a.ip.out.front().pkt);
  sim->a.ip.out.clear();
  TcpRepr rst;
  rst.src_port = 80;
  rst.dst_port = syn.hdr.src_port;
  rst.seq = 1;
  rst.ack = syn.hdr.seq + 5;  // acknowledges something never sent
  rst.flags = kTcpRst | kTcpAck;
  Captured x = Craft(sim->b.addr, sim->a.addr, rst);
  sim->Deliver(x);
  EXPECT_EQ((*c)->state(), TcpState::kSynSent);
  rst.flags = kTcpRst;  // no ACK: dropped
  rst.ack = 0;
  Captured y = Craft(sim->b.addr, sim->a.addr, rst);
  sim->Deliver(y);
  EXPECT_EQ((*c)->state(), TcpState::kSynSent);
  EXPECT_TRUE(sim->a.ip.out.empty());
}

TEST_F(Handshake, LostSynAckAndLostFinalAck) {
  Start(28);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 4, nullptr);
  int synacks_dropped = 0;
  int acks_dropped = 0;
  bool drop_acks = true;
  sim->filter = [&](char from, Captured&, const SegInfo& s) {
    if (from == 'b' && s.has(kTcpSyn) && synacks_dropped == 0) {
      ++synacks_dropped;
      return false;
    }
    if (from == 'a' && s.hdr.flags == kTcpAck && s.payload.empty() && drop_acks) {
      ++acks_dropped;
      return false;
    }
    return true;
  };
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  // The SYN is retransmitted after 1 s; the duplicate SYN draws the SYN-ACK again.
  ASSERT_TRUE(
      sim->RunUntil([&] { return (*c)->state() == TcpState::kEstablished; }, Duration::Seconds(2)));
  EXPECT_GE(acks_dropped, 1);
  EXPECT_EQ((*l)->accept_queue_length(), 0u);  // the server is still half-open
  drop_acks = false;
  // Data carries the ACK that completes the server's handshake.
  const auto data = Pattern(100, 9);
  ASSERT_TRUE((*c)->Send(data, sim->now).ok());
  sim->Pump();
  TcpConnection* s = sim->b.tcp.Accept(*l, nullptr);
  ASSERT_NE(s, nullptr);
  std::vector<uint8_t> got;
  Drain(s, got, sim->now);
  EXPECT_EQ(got, data);
}

TEST_F(Handshake, SimultaneousOpen) {
  Start(18);
  auto ca = sim->a.tcp.Connect(Ipv4Addr::Any(), 5000, sim->b.addr, 6000, &csink, sim->now);
  auto cb = sim->b.tcp.Connect(Ipv4Addr::Any(), 6000, sim->a.addr, 5000, &ssink, sim->now);
  ASSERT_TRUE(ca.ok());
  ASSERT_TRUE(cb.ok());
  sim->Pump();  // the SYNs cross, then the SYN-ACKs cross (RFC 9293 3.5 Figure 7)
  EXPECT_EQ((*ca)->state(), TcpState::kEstablished);
  EXPECT_EQ((*cb)->state(), TcpState::kEstablished);
  int synacks = 0;
  for (const auto& e : sim->log) synacks += e.seg.has(kTcpSyn) && e.seg.has(kTcpAck);
  EXPECT_EQ(synacks, 2);
  const std::vector<uint8_t> msg = {'h', 'i'};
  ASSERT_TRUE((*ca)->Send(msg, sim->now).ok());
  sim->Pump();
  std::vector<uint8_t> got;
  Drain(*cb, got, sim->now);
  EXPECT_EQ(got, msg);
}

TEST_F(Handshake, ListenBacklogOverflowDropsSyn) {
  Start(19);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 1, &lsink);
  ASSERT_TRUE(l.ok());
  auto c1 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
  sim->Pump();
  EXPECT_EQ((*l)->accept_queue_length(), 1u);
  EXPECT_EQ((*l)->events(), kEventIn);
  auto c2 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
  sim->Pump();
  EXPECT_EQ(sim->b.tcp.counters().drop_listen_overflow, 1u);
  EXPECT_EQ((*c1)->state(), TcpState::kEstablished);
  EXPECT_EQ((*c2)->state(), TcpState::kSynSent);
  ASSERT_NE(sim->b.tcp.Accept(*l, nullptr), nullptr);
  EXPECT_EQ((*l)->events(), 0u);
  EXPECT_EQ(sim->b.tcp.Accept(*l, nullptr), nullptr);
  // The SYN retransmission (after the initial 1 s RTO) now gets in.
  ASSERT_TRUE(sim->RunUntil([&] { return (*c2)->state() == TcpState::kEstablished; },
                            Duration::Seconds(2)));
  EXPECT_NE(sim->b.tcp.Accept(*l, nullptr), nullptr);
}

TEST_F(Handshake, EphemeralPortExhaustion) {
  cfg_a.ephemeral_lo = 40000;
  cfg_a.ephemeral_hi = 40001;
  Start(20);
  ASSERT_TRUE(sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 16, nullptr).ok());
  std::set<uint16_t> ports;
  for (int i = 0; i < 2; ++i) {
    auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
    ASSERT_TRUE(c.ok());
    EXPECT_GE((*c)->local_port(), 40000);
    EXPECT_LE((*c)->local_port(), 40001);
    ports.insert((*c)->local_port());
  }
  EXPECT_EQ(ports.size(), 2u);
  auto c3 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
  EXPECT_EQ(c3.error(), EADDRNOTAVAIL);
  // A different remote port is a different 4-tuple: the same local ports can serve it.
  auto c4 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 81, nullptr, sim->now);
  EXPECT_TRUE(c4.ok());
  // An explicit port that collides is EADDRINUSE.
  auto c5 = sim->a.tcp.Connect(Ipv4Addr::Any(), *ports.begin(), sim->b.addr, 80, nullptr, sim->now);
  EXPECT_EQ(c5.error(), EADDRINUSE);
}

// RFC 6056 3.3.3: towards one destination the ports follow each other, so a port is not
// reused (and refused by the peer's TIME-WAIT) until the whole range has gone by.
TEST_F(Handshake, EphemeralPortsWalkTheRangePerDestination) {
  cfg_a.ephemeral_lo = 50000;
  cfg_a.ephemeral_hi = 50099;
  Start(22);
  std::set<uint16_t> seen;
  uint16_t prev = 0;
  for (int i = 0; i < 100; ++i) {
    auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
    ASSERT_TRUE(c.ok());
    const uint16_t port = (*c)->local_port();
    if (i > 0) {
      EXPECT_EQ(port, prev == 50099 ? 50000 : prev + 1);
    }
    EXPECT_TRUE(seen.insert(port).second) << "port " << port << " reused early";
    prev = port;
    (*c)->Abort(sim->now);  // gone at once: only the sequence keeps ports apart
  }
}

TEST_F(Handshake, SynRetriesThenTimeout) {
  cfg_a.syn_retries = 2;
  Start(21);
  sim->filter = [](char, Captured&, const SegInfo&) { return false; };  // black hole
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  const Instant t0 = sim->now;
  ASSERT_TRUE(sim->RunUntil([&] { return (*c)->state() == TcpState::kClosed; },
                            Duration::Seconds(30), Duration::Millis(10)));
  std::vector<Instant> syns;
  for (const auto& e : sim->log) {
    if (e.seg.has(kTcpSyn)) syns.push_back(e.at);
  }
  ASSERT_EQ(syns.size(), 3u);  // the SYN and two retries
  EXPECT_EQ(syns[1] - syns[0], Duration::Seconds(1));
  EXPECT_EQ(syns[2] - syns[1], Duration::Seconds(2));
  EXPECT_EQ(sim->now - t0, Duration::Seconds(7));  // gives up after another 4 s
  EXPECT_EQ((*c)->TakeError(), ETIMEDOUT);
  EXPECT_EQ(sim->a.tcp.counters().connections_aborted, 1u);
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 3u);
}

// RFC 9293 3.8.3 (MUST-20): from the third retransmission (R1) of the same segment on, TCP
// passes negative advice to IP for the peer, so a stale link address is asked for again.
TEST_F(Handshake, SynRetransmissionsPassNegativeAdviceFromR1) {
  cfg_a.syn_retries = 4;
  Start(22);
  sim->filter = [](char, Captured&, const SegInfo&) { return false; };  // black hole
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  const Instant t0 = sim->now;
  ASSERT_TRUE(sim->RunUntil([&] { return (*c)->state() == TcpState::kClosed; },
                            Duration::Seconds(60), Duration::Millis(10)));
  // Retransmissions at 1, 3, 7 and 15 s: the third and the fourth come with advice.
  const auto& advice = sim->a.ip.advice;
  ASSERT_EQ(advice.size(), 2u);
  EXPECT_EQ(advice[0].dst, sim->b.addr);
  EXPECT_EQ(advice[0].at - t0, Duration::Seconds(7));
  EXPECT_EQ(advice[1].at - t0, Duration::Seconds(15));
  EXPECT_EQ((*c)->TakeError(), ETIMEDOUT);
  EXPECT_TRUE(sim->b.ip.advice.empty());
}

TEST_F(Handshake, ArgumentErrors) {
  Start(27);
  const Ipv4Addr other = Ipv4Addr::Of(10, 9, 9, 9);
  EXPECT_EQ(sim->b.tcp.Listen(other, 80, 4, nullptr).error(), EADDRNOTAVAIL);
  EXPECT_EQ(sim->b.tcp.Listen(Ipv4Addr::Any(), 0, 4, nullptr).error(), EINVAL);
  EXPECT_EQ(sim->a.tcp.Connect(other, 0, sim->b.addr, 80, nullptr, sim->now).error(),
            EADDRNOTAVAIL);
  EXPECT_EQ(sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 0, nullptr, sim->now).error(),
            EINVAL);
  EXPECT_EQ(
      sim->a.tcp.Connect(Ipv4Addr::Any(), 0, Ipv4Addr::Broadcast(), 80, nullptr, sim->now).error(),
      EINVAL);
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*c)->Send(Pattern(4, 1), sim->now).error(), ENOTCONN);  // still SYN-SENT
  uint8_t b[4];
  EXPECT_EQ((*c)->Recv(b, sim->now).error(), EAGAIN);
  EXPECT_EQ((*c)->events(), 0u);
}

TEST_F(Handshake, ExactListenerBeforeWildcard) {
  Start(22);
  auto any = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 4, nullptr);
  auto exact = sim->b.tcp.Listen(sim->b.addr, 80, 4, nullptr);
  ASSERT_TRUE(any.ok());
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(sim->b.tcp.Listen(sim->b.addr, 80, 4, nullptr).error(), EADDRINUSE);
  ASSERT_TRUE(sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now).ok());
  sim->Pump();
  EXPECT_EQ((*exact)->accept_queue_length(), 1u);
  EXPECT_EQ((*any)->accept_queue_length(), 0u);
}

TEST_F(Handshake, CloseListenerResetsQueuedConnections) {
  Start(23);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 4, nullptr);
  RecordingSink s1, s2;
  auto c1 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &s1, sim->now);
  auto c2 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &s2, sim->now);
  sim->Pump();
  ASSERT_EQ((*l)->accept_queue_length(), 2u);
  EXPECT_EQ(sim->b.tcp.connection_count(), 2u);
  sim->b.tcp.CloseListener(*l, sim->now);
  EXPECT_EQ(sim->b.tcp.connection_count(), 0u);
  sim->Pump();
  EXPECT_EQ((*c1)->state(), TcpState::kClosed);
  EXPECT_EQ((*c2)->state(), TcpState::kClosed);
  EXPECT_EQ((*c1)->TakeError(), ECONNRESET);
  EXPECT_TRUE(s2.last & kEventErr);
  EXPECT_EQ(sim->b.tcp.counters().resets_out, 2u);
}

TEST_F(Handshake, CorruptedChecksumIsDroppedAndCounted) {
  Start(24);
  Establish();
  const std::vector<uint8_t> msg = {1, 2, 3, 4, 5, 6, 7, 8};
  ASSERT_TRUE(client->Send(msg, sim->now).ok());
  int corrupted = 0;
  sim->filter = [&](char from, Captured& c, const SegInfo& s) {
    if (from == 'a' && !s.payload.empty() && corrupted == 0) {
      c.pkt.head()[c.pkt.length() - 1] ^= 0x40;  // flip a payload bit
      ++corrupted;
    }
    return true;
  };
  sim->Pump();
  EXPECT_EQ(sim->b.tcp.counters().drop_bad_checksum, 1u);
  EXPECT_EQ(server->readable_bytes(), 0u);
  // The retransmission repairs it.
  ASSERT_TRUE(
      sim->RunUntil([&] { return server->readable_bytes() == msg.size(); }, Duration::Seconds(3)));
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, msg);
}

TEST_F(Handshake, MalformedSegmentsAreDroppedAndCounted) {
  Start(25);
  ASSERT_TRUE(sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 4, nullptr).ok());
  // Too short for a header.
  std::vector<uint8_t> tiny(10, 0);
  Captured c1{Packet::FromBytes(TestPool().get(), tiny), sim->a.addr, sim->b.addr};
  sim->Deliver(c1);
  // Data offset 4 (below the minimum of 5), checksum valid.
  TcpRepr r;
  r.src_port = 1234;
  r.dst_port = 80;
  r.flags = kTcpSyn;
  std::vector<uint8_t> b(20);
  ASSERT_TRUE(r.Emit(b));
  b[12] = 4 << 4;
  FillTcpChecksumV4(b, sim->a.addr, sim->b.addr);
  Captured c2{Packet::FromBytes(TestPool().get(), b), sim->a.addr, sim->b.addr};
  sim->Deliver(c2);
  // A bad option length: MSS with length 3.
  std::vector<uint8_t> o(24);
  ASSERT_TRUE(r.Emit(o));
  o[12] = 6 << 4;
  o[20] = 2;
  o[21] = 3;
  FillTcpChecksumV4(o, sim->a.addr, sim->b.addr);
  Captured c3{Packet::FromBytes(TestPool().get(), o), sim->a.addr, sim->b.addr};
  sim->Deliver(c3);
  // Source port zero.
  r.src_port = 0;
  Captured c4 = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(c4);
  EXPECT_EQ(sim->b.tcp.counters().drop_malformed, 4u);
  EXPECT_EQ(sim->b.tcp.counters().segs_in, 4u);
  EXPECT_EQ(sim->b.tcp.connection_count(), 0u);
  EXPECT_TRUE(sim->b.ip.out.empty());
}

TEST_F(Handshake, RandomGarbageNeverCrashes) {
  Start(26);
  Establish();
  Random rnd(26);
  for (int i = 0; i < 3000; ++i) {
    std::vector<uint8_t> g(20 + rnd.Below(60));
    for (auto& x : g) x = static_cast<uint8_t>(rnd.Next32());
    g[0] = static_cast<uint8_t>(client->local_port() >> 8);  // aim some at the connection
    g[1] = static_cast<uint8_t>(client->local_port());
    g[2] = 0;
    g[3] = 80;
    if (rnd.Chance(0.8)) FillTcpChecksumV4(g, sim->a.addr, sim->b.addr);
    Captured c{Packet::FromBytes(TestPool().get(), g), sim->a.addr, sim->b.addr};
    sim->Deliver(c);
    sim->b.ip.out.clear();
  }
  sim->Pump();
  SUCCEED();  // no crash, no hang; the counters saw it
  const auto& k = sim->b.tcp.counters();
  EXPECT_GT(k.drop_bad_checksum + k.drop_malformed + k.drop_out_of_window, 0u);
}

}  // namespace
}  // namespace ustack::test
