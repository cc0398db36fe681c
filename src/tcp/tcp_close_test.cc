// Connection-level tests, closing and resets: half-close, close with unread data (RST),
// TIME-WAIT duration and restart, simultaneous close, abort, orphaned FIN-WAIT-2, RST
// acceptance (in and out of window), SYN and unsent-ACK handling in ESTABLISHED, readiness.
#include <gtest/gtest.h>

#include <cerrno>
#include <deque>

#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

using CloseTest = TcpSimTest;

TEST_F(CloseTest, HalfCloseThenPassiveClose) {
  Start(41);
  Establish();
  const auto up = Pattern(3000, 1);
  ASSERT_TRUE(client->Send(up, sim->now).ok());
  client->Shutdown(false, true, sim->now);  // FIN after the queued data
  EXPECT_EQ(client->state(), TcpState::kFinWait1);
  EXPECT_EQ(client->Send(up, sim->now).error(), EPIPE);
  sim->Pump();
  EXPECT_EQ(client->state(), TcpState::kFinWait2);
  EXPECT_EQ(server->state(), TcpState::kCloseWait);
  EXPECT_EQ(ssink.last & (kEventIn | kEventRdHup), kEventIn | kEventRdHup);
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, up);
  uint8_t b[16];
  EXPECT_EQ(*server->Recv(b, sim->now), 0u);  // end of stream
  // The other direction still works.
  const auto down = Pattern(5000, 2);
  ASSERT_TRUE(server->Send(down, sim->now).ok());
  sim->Pump();
  std::vector<uint8_t> back;
  Drain(client, back, sim->now);
  EXPECT_EQ(back, down);
  EXPECT_EQ(client->events() & kEventHup, 0u);
  server->Close(sim->now);  // CLOSE-WAIT -> LAST-ACK -> CLOSED
  sim->Pump();
  EXPECT_EQ(client->state(), TcpState::kTimeWait);
  EXPECT_TRUE(client->events() & kEventHup);  // both directions closed
  EXPECT_EQ(*client->Recv(b, sim->now), 0u);
  EXPECT_EQ(sim->b.tcp.connection_count(), 0u);  // LAST-ACK completed and freed
  sim->Run(Duration::Seconds(60), Duration::Millis(100));
  EXPECT_EQ(client->state(), TcpState::kClosed);
  EXPECT_EQ(client->TakeError(), 0);
  EXPECT_EQ(sim->a.tcp.connection_count(), 1u);  // still the application's
  client->Close(sim->now);
  sim->Pump();
  EXPECT_EQ(sim->a.tcp.connection_count(), 0u);
}

TEST_F(CloseTest, CloseWithUnreadDataSendsRst) {
  Start(42);
  Establish();
  ASSERT_TRUE(client->Send(Pattern(100, 3), sim->now).ok());
  sim->Pump();
  ASSERT_EQ(server->readable_bytes(), 100u);
  const size_t mark = sim->log.size();
  server->Close(sim->now);  // RFC 9293 3.10.4 / RFC 2525 2.17
  sim->Pump();
  ASSERT_GT(sim->log.size(), mark);
  EXPECT_TRUE(sim->log[mark].seg.has(kTcpRst));
  EXPECT_FALSE(sim->log[mark].seg.has(kTcpFin));
  EXPECT_EQ(sim->b.tcp.connection_count(), 0u);
  EXPECT_EQ(client->state(), TcpState::kClosed);
  EXPECT_TRUE(csink.last & kEventErr);
  uint8_t b[8];
  EXPECT_EQ(client->Recv(b, sim->now).error(), ECONNRESET);  // once
  EXPECT_EQ(*client->Recv(b, sim->now), 0u);
  EXPECT_EQ(client->Send(Pattern(1, 1), sim->now).error(), EPIPE);
  EXPECT_EQ(sim->b.tcp.counters().resets_out, 1u);
  EXPECT_EQ(sim->b.tcp.counters().established_resets, 1u);
  EXPECT_EQ(sim->a.tcp.counters().established_resets, 1u);
  EXPECT_EQ(sim->a.tcp.counters().resets_in, 1u);
}

TEST_F(CloseTest, TimeWaitLastsTwoMslThenFrees) {
  cfg_a.time_wait = Duration::Seconds(10);
  Start(43);
  Establish();
  client->Close(sim->now);  // active close
  sim->Pump();
  EXPECT_EQ(server->state(), TcpState::kCloseWait);
  // Lose the client's last ACK once: the server retransmits its FIN, which restarts 2 MSL.
  int acks_dropped = 0;
  server->Close(sim->now);
  sim->filter = [&](char from, Captured&, const SegInfo& s) {
    if (from == 'a' && s.hdr.flags == kTcpAck && acks_dropped == 0 &&
        AsConn(client)->state() == TcpState::kTimeWait) {
      ++acks_dropped;
      return false;
    }
    return true;
  };
  sim->Pump();
  ASSERT_EQ(acks_dropped, 1);
  EXPECT_EQ(sim->a.tcp.connection_count(), 1u);
  const Instant tw_start = sim->now;
  // The server's FIN comes again after its RTO (200 ms); the client re-ACKs it.
  ASSERT_TRUE(
      sim->RunUntil([&] { return sim->b.tcp.connection_count() == 0; }, Duration::Seconds(2)));
  const Instant restart = sim->now;
  EXPECT_GT(restart, tw_start);
  sim->Run(restart + Duration::Seconds(10) - Duration::Millis(1) - sim->now);
  EXPECT_EQ(sim->a.tcp.connection_count(), 1u);  // still in TIME-WAIT
  sim->Run(Duration::Millis(1));
  EXPECT_EQ(sim->a.tcp.connection_count(), 0u);  // freed after 2 MSL from the last FIN
}

TEST_F(CloseTest, SimultaneousCloseGoesThroughClosing) {
  cfg_a.time_wait = cfg_b.time_wait = Duration::Seconds(5);
  Start(44);
  Establish();
  client->Shutdown(false, true, sim->now);
  server->Shutdown(false, true, sim->now);
  sim->FlushAll();  // both FINs leave before either arrives
  std::deque<Captured> fins;
  for (auto& c : sim->a.ip.out) fins.push_back(std::move(c));
  for (auto& c : sim->b.ip.out) fins.push_back(std::move(c));
  sim->a.ip.out.clear();
  sim->b.ip.out.clear();
  ASSERT_EQ(fins.size(), 2u);
  for (auto& c : fins) sim->Deliver(c);
  EXPECT_EQ(client->state(), TcpState::kClosing);
  EXPECT_EQ(server->state(), TcpState::kClosing);
  sim->Pump();
  EXPECT_EQ(client->state(), TcpState::kTimeWait);
  EXPECT_EQ(server->state(), TcpState::kTimeWait);
  sim->Run(Duration::Seconds(5), Duration::Millis(100));
  EXPECT_EQ(client->state(), TcpState::kClosed);
  EXPECT_EQ(server->state(), TcpState::kClosed);
}

TEST_F(CloseTest, AbortSendsRstAndFreesAtOnce) {
  Start(45);
  Establish();
  client->Abort(sim->now);
  sim->Pump();
  EXPECT_EQ(sim->a.tcp.connection_count(), 0u);
  EXPECT_EQ(server->state(), TcpState::kClosed);
  EXPECT_EQ(server->TakeError(), ECONNRESET);
  EXPECT_TRUE(ssink.last & kEventHup);
}

TEST_F(CloseTest, RstMustBeInWindow) {
  Start(46);
  Establish();
  Connection* s = AsConn(server);
  TcpRepr r;
  r.src_port = client->local_port();
  r.dst_port = 80;
  r.flags = kTcpRst;
  r.seq = (s->rcv_adv() + 100000).raw();  // beyond the window
  Captured x = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(x);
  EXPECT_EQ(server->state(), TcpState::kEstablished);  // RFC 9293 3.10.7.4: dropped
  EXPECT_TRUE(sim->b.ip.out.empty());                  // silently
  EXPECT_EQ(sim->b.tcp.counters().drop_out_of_window, 1u);
  r.seq = (s->rcv_nxt() - 1).raw();  // just before the window
  Captured y = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(y);
  EXPECT_EQ(server->state(), TcpState::kEstablished);
  r.seq = (s->rcv_nxt() + 1000).raw();  // inside the window: RFC 5961 3.2 challenge ACK
  Captured z = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(z);
  EXPECT_EQ(server->state(), TcpState::kEstablished);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  const SegInfo ch = Inspect(sim->b.ip.out.front().pkt);
  EXPECT_EQ(ch.hdr.flags, kTcpAck);
  EXPECT_EQ(ch.hdr.ack, s->rcv_nxt().raw());
  EXPECT_EQ(sim->b.tcp.counters().challenge_acks, 1u);
  sim->b.ip.out.clear();
  r.seq = s->rcv_nxt().raw();  // RFC 5961 3.2: an exact match resets
  Captured w = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(w);
  EXPECT_EQ(server->state(), TcpState::kClosed);
  EXPECT_EQ(server->TakeError(), ECONNRESET);
  EXPECT_EQ(sim->b.tcp.counters().resets_in, 1u);
}

TEST_F(CloseTest, SynInEstablishedGetsChallengeAck) {
  Start(47);
  Establish();
  Connection* s = AsConn(server);
  TcpRepr r;
  r.src_port = client->local_port();
  r.dst_port = 80;
  r.flags = kTcpSyn;
  r.seq = (s->rcv_nxt() + 10).raw();
  Captured x = Craft(sim->a.addr, sim->b.addr, r);
  sim->Deliver(x);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  SegInfo reply = Inspect(sim->b.ip.out.front().pkt);
  EXPECT_EQ(reply.hdr.flags, kTcpAck);  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
  EXPECT_EQ(reply.hdr.ack, s->rcv_nxt().raw());
  EXPECT_EQ(reply.hdr.seq, s->snd_nxt().raw());
  EXPECT_EQ(server->state(), TcpState::kEstablished);
}

TEST_F(CloseTest, AckOfUnsentDataIsAnsweredAndDropped) {
  Start(48);
  Establish();
  Connection* s = AsConn(server);
  TcpRepr r;
  r.src_port = client->local_port();
  r.dst_port = 80;
  r.flags = kTcpAck;
  r.seq = s->rcv_nxt().raw();
  r.ack = (s->snd_nxt() + 5000).raw();
  r.window = 1000;
  Captured x = Craft(sim->a.addr, sim->b.addr, r, {1, 2, 3});
  sim->Deliver(x);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);
  EXPECT_EQ(Inspect(sim->b.ip.out.front().pkt).hdr.flags, kTcpAck);
  EXPECT_EQ(server->readable_bytes(), 0u);  // the data went with it
  EXPECT_NE(s->snd_wnd(), 1000u);           // and the window was not taken
}

TEST_F(CloseTest, OrphanedFinWait2TimesOut) {
  cfg_a.time_wait = Duration::Seconds(3);
  Start(49);
  Establish();
  client->Close(sim->now);
  sim->Pump();
  EXPECT_EQ(server->state(), TcpState::kCloseWait);  // the server never closes
  EXPECT_EQ(sim->a.tcp.connection_count(), 1u);
  sim->Run(Duration::Seconds(3), Duration::Millis(100));
  EXPECT_EQ(sim->a.tcp.connection_count(), 0u);
}

TEST_F(CloseTest, CloseInSynSentFreesAtOnce) {
  Start(50);
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, nullptr, sim->now);
  ASSERT_TRUE(c.ok());
  (*c)->Close(sim->now);
  sim->Pump();
  EXPECT_EQ(sim->a.tcp.connection_count(), 0u);
}

TEST_F(CloseTest, OutOfOrderFinIsHeldUntilTheHoleFills) {
  // Zero-latency link: RACK (RFC 8985 6) would repair the hole at the first SACK, before the
  // receiver's state can be looked at.
  cfg_a.rack = false;
  Start(51);
  Establish();
  const auto data = Pattern(3000, 7);
  ASSERT_TRUE(client->Send(data, sim->now).ok());
  client->Shutdown(false, true, sim->now);
  std::deque<Captured> held;
  sim->filter = [&](char from, Captured& c, const SegInfo& s) {
    if (from == 'a' && !s.payload.empty() && held.empty()) {
      held.push_back(std::move(c));
      return false;
    }
    return true;
  };
  sim->Pump();
  EXPECT_EQ(server->state(), TcpState::kEstablished);  // the FIN waits behind the hole
  EXPECT_GE(AsConn(server)->ooo_count(), 1u);
  sim->filter = nullptr;
  sim->Deliver(held.front());
  sim->Pump();
  EXPECT_EQ(server->state(), TcpState::kCloseWait);
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, data);
  uint8_t b[4];
  EXPECT_EQ(*server->Recv(b, sim->now), 0u);
}

TEST_F(CloseTest, ReadinessBits) {
  Start(52);
  Establish();
  EXPECT_EQ(client->events(), kEventOut);
  EXPECT_EQ(client->writable_bytes(), cfg_a.send_buffer);
  ASSERT_TRUE(server->Send(Pattern(10, 1), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(client->events(), kEventOut | kEventIn);
  EXPECT_EQ(csink.last, kEventOut | kEventIn);
  client->Shutdown(true, false, sim->now);  // SHUT_RD: reads end
  uint8_t b[4];
  EXPECT_EQ(*client->Recv(b, sim->now), 0u);
  EXPECT_TRUE(client->events() & kEventRdHup);
}

}  // namespace
}  // namespace ustack::test
