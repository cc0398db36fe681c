// Buffer sizing tests: receive-buffer autosizing (dynamic right-sizing) during a bulk transfer
// over a link with delay, a fixed receive buffer (SO_RCVBUF's TcpSockSettings) that neither
// grows nor changes the window scale it implies, send-buffer growth with cwnd, and TCP_MAXSEG
// on the SYN's MSS option and on segment sizes. Pure logic of autosize.h is tested directly.
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <deque>
#include <utility>

#include "tcp/autosize.h"
#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

// A link with a one-way delay: the Sim's filter takes every segment and Release() hands it
// to its host once `delay` has passed, one at a time (the receiver ACKs every second one
// instead of one stretch ACK per window, which would hold slow start back).
class DelayLine {
 public:
  DelayLine(Sim& s, Duration delay) : sim_(s), delay_(delay) {
    sim_.filter = [this](char, Captured& c, const SegInfo&) {
      q_.emplace_back(sim_.now + delay_, std::move(c));
      return false;
    };
  }
  // Runs the clock for `d` with nothing new to send (the last ACKs cross the link).
  void Settle(Duration d) {
    const Instant end = sim_.now + d;
    while (sim_.now < end) {
      sim_.Advance(Duration::Millis(1));
      Release();
      sim_.Pump();
    }
  }
  void Release() {
    while (!q_.empty() && q_.front().first <= sim_.now) {
      Captured c = std::move(q_.front().second);
      q_.pop_front();
      sim_.Deliver(c);
      sim_.FlushAll();  // segments arrive one by one, each answered as it would be on a wire
    }
  }

 private:
  Sim& sim_;
  Duration delay_;
  std::deque<std::pair<Instant, Captured>> q_;
};

struct Transfer {
  uint32_t max_adv_window = 0;  // largest window the receiver advertised (bytes, scaled)
  uint32_t max_flight = 0;      // largest amount of data the sender had in flight
  bool done = false;
};

// Sends `data` from x to y over `line`, reading everything at y each millisecond.
Transfer Bulk(Sim& s, DelayLine& line, TcpConnection* x, TcpConnection* y,
              const std::vector<uint8_t>& data, std::vector<uint8_t>& got, Duration limit) {
  Transfer t;
  size_t sent = 0;
  size_t logged = s.log.size();
  const Instant end = s.now + limit;
  while (got.size() < data.size() && s.now < end) {
    if (sent < data.size()) {
      auto r = x->Send(std::span<const uint8_t>(data).subspan(sent), s.now);
      if (r.ok()) sent += *r;
    }
    s.Advance(Duration::Millis(1));
    line.Release();
    s.Pump();
    Drain(y, got, s.now);
    t.max_flight =
        std::max(t.max_flight, static_cast<uint32_t>(AsConn(x)->snd_nxt() - AsConn(x)->snd_una()));
    for (; logged < s.log.size(); ++logged) {
      const LogEntry& e = s.log[logged];
      if (e.from != 'b' || e.seg.has(kTcpSyn)) continue;
      const uint32_t w = uint32_t{e.seg.hdr.window} << AsConn(y)->rcv_wscale();
      t.max_adv_window = std::max(t.max_adv_window, w);
    }
  }
  t.done = got.size() == data.size();
  return t;
}

using AutosizeTest = TcpSimTest;

TEST(AutosizeLogic, GrowsToTwiceTheBytesReadPerRoundTrip) {
  RcvAutosize a;
  const Instant t0 = Instant::FromNanos(1'000'000'000);
  a.Start(Seq32(1000), t0);
  a.OnTsSample(Duration::Millis(40));
  EXPECT_EQ(a.rtt(), Duration::Millis(40));
  // Within one round trip nothing changes.
  EXPECT_EQ(a.Adjust(Seq32(1000 + 200000), t0 + Duration::Millis(20), 100000, 1 << 20, {}),
            100000u);
  // After it: 2 x 300000 bytes read, capped by the maximum.
  EXPECT_EQ(a.Adjust(Seq32(1000 + 300000), t0 + Duration::Millis(41), 100000, 1 << 20, {}),
            600000u);
  EXPECT_EQ(a.Adjust(Seq32(1000 + 900000), t0 + Duration::Millis(90), 600000, 1 << 20, {}),
            1u << 20);
  // Never shrinks: a slow reader keeps the buffer it has.
  EXPECT_EQ(a.Adjust(Seq32(1000 + 900010), t0 + Duration::Millis(200), 1 << 20, 2 << 20, {}),
            1u << 20);
  // A larger sample moves the estimate by 1/8, a smaller one replaces it.
  a.OnTsSample(Duration::Millis(120));
  EXPECT_EQ(a.rtt(), Duration::Millis(50));
  a.OnTsSample(Duration::Millis(10));
  EXPECT_EQ(a.rtt(), Duration::Millis(10));
}

TEST(AutosizeLogic, NoEstimateNoGrowthAndSizesFromSettings) {
  RcvAutosize a;
  const Instant t0 = Instant::FromNanos(1'000'000'000);
  a.Start(Seq32(0), t0);
  EXPECT_EQ(a.Adjust(Seq32(500000), t0 + Duration::Seconds(1), 1000, 1 << 20, {}), 1000u);
  // Window timing without timestamps: one window of data took 30 ms.
  a.OnDataIn(Seq32(0), 65535, t0);
  a.OnDataIn(Seq32(70000), 65535, t0 + Duration::Millis(30));
  EXPECT_EQ(a.rtt(), Duration::Millis(30));

  TcpConfig cfg;
  TcpSockSettings none;
  EXPECT_EQ(InitialReceiveBuffer(cfg, none), cfg.receive_buffer);
  EXPECT_EQ(MaxReceiveBuffer(cfg, none), cfg.receive_buffer_max);
  cfg.receive_buffer_max = 1000;  // below the initial size: autosizing off
  EXPECT_EQ(MaxReceiveBuffer(cfg, none), cfg.receive_buffer);
  TcpSockSettings fixed{.rcvbuf = 5000, .sndbuf = 7000, .user_mss = 900};
  EXPECT_EQ(InitialReceiveBuffer(cfg, fixed), 5000u);
  EXPECT_EQ(MaxReceiveBuffer(cfg, fixed), 5000u);
  EXPECT_EQ(InitialSendBuffer(cfg, fixed), 7000u);
  EXPECT_EQ(MaxSendBuffer(cfg, fixed), 7000u);
  EXPECT_EQ(ClampMss(1460, fixed), 900);
  EXPECT_EQ(ClampMss(536, fixed), 536);
  EXPECT_EQ(SendBufferTarget(100000, 262144, 4 << 20), 262144u);
  EXPECT_EQ(SendBufferTarget(1 << 20, 262144, 4 << 20), 2u << 20);
  EXPECT_EQ(SendBufferTarget(4 << 20, 262144, 4 << 20), 4u << 20);
  EXPECT_EQ(SendBufferTarget(140000, 262144, 4 << 20), 524288u);     // grows by doubling at least
  EXPECT_EQ(SendBufferTarget(1 << 20, 2 << 20, 4 << 20), 2u << 20);  // room enough: no change
  // Held out-of-order segments: two windows' worth of full segments, within [256, 4096].
  EXPECT_EQ(OooSegmentLimit(256 * 1024, 1460), 358u);
  EXPECT_EQ(OooSegmentLimit(4096, 1460), 256u);
  EXPECT_EQ(OooSegmentLimit(6 << 20, 1460), 4096u);
  EXPECT_EQ(OooSegmentLimit(1 << 20, 0), 256u);
}

// Memory pressure (fewer than a quarter of the packet buffers free): neither buffer grows,
// each refusal is counted, and the transfer completes within the initial sizes.
TEST_F(AutosizeTest, NoGrowthWhileBuffersAreTight) {
  cfg_b.receive_buffer_max = 4 << 20;
  cfg_a.send_buffer_max = 4 << 20;
  Start(706);
  Establish();
  sim->a.ip.buffers_tight = true;
  sim->b.ip.buffers_tight = true;
  DelayLine line(*sim, Duration::Millis(20));
  const auto data = Pattern(4 << 20, 76);
  std::vector<uint8_t> got;
  const Transfer t = Bulk(*sim, line, client, server, data, got, Duration::Seconds(30));
  ASSERT_TRUE(t.done);
  EXPECT_EQ(got, data);
  EXPECT_EQ(AsConn(server)->rcv_buf(), 256u * 1024);
  EXPECT_EQ(client->send_buffer(), 256u * 1024);
  EXPECT_EQ(sim->b.tcp.counters().rcv_buf_grown, 0u);
  EXPECT_EQ(sim->a.tcp.counters().snd_buf_grown, 0u);
  EXPECT_GT(sim->b.tcp.counters().buf_growth_refused, 0u);
  EXPECT_GT(sim->a.tcp.counters().buf_growth_refused, 0u);
}

// A bulk transfer over a 20 ms one-way link: the 256 KiB initial window would cap it at
// 256 KiB per 40 ms; autosizing grows the receive buffer and the advertised window beyond
// that, within receive_buffer_max, and tcpi_rcv_space follows.
TEST_F(AutosizeTest, ReceiveWindowGrowsDuringBulkTransferOnDelayedLink) {
  cfg_b.receive_buffer_max = 4 << 20;
  Start(701);
  Establish();
  EXPECT_EQ(AsConn(server)->rcv_wscale(), 7);  // fits 4 MiB, chosen on the SYN-ACK
  DelayLine line(*sim, Duration::Millis(20));
  const auto data = Pattern(12 << 20, 71);
  std::vector<uint8_t> got;
  const Transfer t = Bulk(*sim, line, client, server, data, got, Duration::Seconds(30));
  ASSERT_TRUE(t.done);
  EXPECT_EQ(got, data);
  EXPECT_GT(AsConn(server)->rcv_buf(), 1u << 20);
  EXPECT_LE(AsConn(server)->rcv_buf(), 4u << 20);
  EXPECT_GT(t.max_adv_window, 1u << 20);
  EXPECT_GT(t.max_flight, 512u * 1024);  // the sender used the larger window
  EXPECT_GT(sim->b.tcp.counters().rcv_buf_grown, 0u);
  EXPECT_GE(AsConn(server)->rcv_autosize().rtt(), Duration::Millis(40));
  EXPECT_LT(AsConn(server)->rcv_autosize().rtt(), Duration::Millis(50));
  struct tcp_info info;
  server->GetInfo(&info, sim->now);
  EXPECT_EQ(info.tcpi_rcv_space, AsConn(server)->rcv_buf());
  EXPECT_GT(info.tcpi_rcv_rtt, 0u);
}

// SO_RCVBUF (TcpSockSettings::rcvbuf on the listener, inherited by the connection): the
// buffer stays at its size, the window never exceeds it, and the shift fits it (RFC 7323 2.3).
TEST_F(AutosizeTest, FixedReceiveBufferStaysAndChoosesTheShift) {
  Start(702);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 16, &lsink, TcpSockSettings{.rcvbuf = 200000});
  ASSERT_TRUE(l.ok());
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c.ok());
  client = *c;
  sim->Pump();
  server = sim->b.tcp.Accept(*l, &ssink);
  ASSERT_NE(server, nullptr);
  const SegInfo& synack = sim->log[1].seg;
  ASSERT_TRUE(synack.has(kTcpSyn) && synack.has(kTcpAck));
  EXPECT_EQ(synack.hdr.options.window_scale, std::optional<uint8_t>(2));  // 200000 > 65535 << 1
  DelayLine line(*sim, Duration::Millis(20));
  const auto data = Pattern(3 << 20, 72);
  std::vector<uint8_t> got;
  const Transfer t = Bulk(*sim, line, client, server, data, got, Duration::Seconds(30));
  ASSERT_TRUE(t.done);
  EXPECT_EQ(got, data);
  EXPECT_EQ(AsConn(server)->rcv_buf(), 200000u);
  EXPECT_LE(t.max_adv_window, 200000u + 3);  // rounded up to the shift's unit at most
  EXPECT_GT(t.max_adv_window, 150000u);
  EXPECT_EQ(sim->b.tcp.counters().rcv_buf_grown, 0u);
  struct tcp_info info;
  server->GetInfo(&info, sim->now);
  EXPECT_EQ(info.tcpi_rcv_space, 200000u);
}

// The send buffer grows with cwnd (about 2 x cwnd, at most send_buffer_max), so the sender is
// not held to its initial 256 KiB; the writer is told there is room again (EPOLLOUT).
TEST_F(AutosizeTest, SendBufferGrowsWithCwnd) {
  cfg_b.receive_buffer = 8 << 20;  // the receiver never limits this sender
  cfg_a.send_buffer_max = 2 << 20;
  Start(703);
  Establish();
  EXPECT_EQ(client->send_buffer(), 256u * 1024);
  DelayLine line(*sim, Duration::Millis(20));
  const auto data = Pattern(12 << 20, 73);
  std::vector<uint8_t> got;
  const int out_events_before = csink.calls;
  const Transfer t = Bulk(*sim, line, client, server, data, got, Duration::Seconds(30));
  ASSERT_TRUE(t.done);
  EXPECT_EQ(got, data);
  EXPECT_EQ(client->send_buffer(), 2u << 20);  // reached the maximum
  EXPECT_GT(t.max_flight, 256u * 1024);        // more in flight than the initial buffer
  EXPECT_GT(sim->a.tcp.counters().snd_buf_grown, 0u);
  EXPECT_GT(csink.calls, out_events_before);
  line.Settle(Duration::Millis(100));
  EXPECT_TRUE(csink.last & kEventOut);
  EXPECT_EQ(client->writable_bytes(), 2u << 20);  // everything acknowledged
}

// SO_SNDBUF: a fixed send buffer does not grow.
TEST_F(AutosizeTest, FixedSendBufferDoesNotGrow) {
  cfg_b.receive_buffer = 8 << 20;
  Start(704);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 16, &lsink);
  ASSERT_TRUE(l.ok());
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now,
                              TcpSockSettings{.sndbuf = 100000});
  ASSERT_TRUE(c.ok());
  client = *c;
  sim->Pump();
  server = sim->b.tcp.Accept(*l, &ssink);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(client->writable_bytes(), 100000u);
  DelayLine line(*sim, Duration::Millis(5));
  const auto data = Pattern(2 << 20, 74);
  std::vector<uint8_t> got;
  const Transfer t = Bulk(*sim, line, client, server, data, got, Duration::Seconds(30));
  ASSERT_TRUE(t.done);
  EXPECT_EQ(client->send_buffer(), 100000u);
  EXPECT_LE(t.max_flight, 100000u);
  EXPECT_EQ(sim->a.tcp.counters().snd_buf_grown, 0u);
  // Set on the open connection: fixed from then on, writable room follows.
  line.Settle(Duration::Millis(100));
  client->SetBufferSizes(0, 300000);
  EXPECT_EQ(client->writable_bytes(), 300000u);
}

// TCP_MAXSEG before connect / listen: the SYN and SYN-ACK advertise at most the user's MSS,
// and each side sends segments of at most the MSS it may use (minus the 12-byte TSopt).
TEST_F(AutosizeTest, UserMssClampsSynOptionAndSegmentSizes) {
  Start(705);
  auto l = sim->b.tcp.Listen(Ipv4Addr::Any(), 80, 16, &lsink, TcpSockSettings{.user_mss = 800});
  ASSERT_TRUE(l.ok());
  auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now,
                              TcpSockSettings{.user_mss = 1000});
  ASSERT_TRUE(c.ok());
  client = *c;
  sim->Pump();
  server = sim->b.tcp.Accept(*l, &ssink);
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(sim->log[0].seg.hdr.options.mss, std::optional<uint16_t>(1000));
  EXPECT_EQ(sim->log[1].seg.hdr.options.mss, std::optional<uint16_t>(800));
  EXPECT_EQ(AsConn(client)->snd_mss(), 800);  // the peer's 800 is smaller
  EXPECT_EQ(AsConn(server)->snd_mss(), 800);  // its own clamp
  const auto up = Pattern(50000, 75);
  const auto down = Pattern(50000, 76);
  ASSERT_EQ(*client->Send(up, sim->now), up.size());
  ASSERT_EQ(*server->Send(down, sim->now), down.size());
  std::vector<uint8_t> at_server, at_client;
  ASSERT_TRUE(sim->RunUntil(
      [&] {
        Drain(server, at_server, sim->now);
        Drain(client, at_client, sim->now);
        return at_server.size() == up.size() && at_client.size() == down.size();
      },
      Duration::Seconds(10)));
  EXPECT_EQ(at_server, up);
  EXPECT_EQ(at_client, down);
  size_t max_payload = 0;
  for (const auto& e : sim->log) max_payload = std::max(max_payload, e.seg.payload.size());
  EXPECT_EQ(max_payload, 788u);  // RFC 6691: 800 minus the TSopt

  // Without TCP_MAXSEG the MSS follows the MTU.
  auto c2 = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
  ASSERT_TRUE(c2.ok());
  EXPECT_EQ(AsConn(*c2)->our_mss(), 1460);
  (*c2)->Abort(sim->now);
}

}  // namespace
}  // namespace ustack::test
