// Option negotiation tests: window scaling (RFC 7323 2), timestamps and PAWS (RFC 7323 3-5),
// SACK-permitted (RFC 2018 2), TCP_INFO contents.
#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

using OptionsTest = TcpSimTest;

TEST(WindowShift, FromBufferSize) {
  EXPECT_EQ(WindowShiftFor(65535), 0);
  EXPECT_EQ(WindowShiftFor(65536), 1);
  EXPECT_EQ(WindowShiftFor(256 * 1024), 3);
  EXPECT_EQ(WindowShiftFor(1u << 30), 14);
  EXPECT_EQ(WindowShiftFor(0xffffffffu), 14);  // RFC 7323 2.3: at most 14
}

TEST_F(OptionsTest, SynsOfferAndSynAckAnswersAllOptions) {
  Start(201);
  Establish();
  const SegInfo& syn = sim->log[0].seg;
  ASSERT_TRUE(syn.has(kTcpSyn));
  // The shift fits the largest receive buffer autosizing may reach (6 MiB, as Linux's).
  EXPECT_EQ(syn.hdr.options.window_scale, std::optional<uint8_t>(7));
  EXPECT_TRUE(syn.hdr.options.sack_permitted);
  ASSERT_TRUE(syn.hdr.options.timestamps.has_value());
  EXPECT_EQ(syn.hdr.options.timestamps->echo, 0u);  // RFC 7323 3.2: no echo without ACK
  const SegInfo& synack = sim->log[1].seg;
  ASSERT_TRUE(synack.has(kTcpSyn) && synack.has(kTcpAck));
  EXPECT_EQ(synack.hdr.options.window_scale, std::optional<uint8_t>(7));
  ASSERT_TRUE(synack.hdr.options.timestamps.has_value());
  EXPECT_EQ(synack.hdr.options.timestamps->echo, syn.hdr.options.timestamps->value);
  for (TcpConnection* c : {client, server}) {
    EXPECT_TRUE(AsConn(c)->ws_ok());
    EXPECT_TRUE(AsConn(c)->ts_ok());
    EXPECT_TRUE(AsConn(c)->sack_ok());
    EXPECT_EQ(AsConn(c)->snd_wscale(), 7);
  }
  // RFC 7323 2.2: the SYN windows are unscaled; the third segment's is scaled.
  EXPECT_EQ(syn.hdr.window, 65535);
  const SegInfo& ack = sim->log[2].seg;
  EXPECT_EQ(ack.hdr.window, (256 * 1024 + 127) / 128);
  EXPECT_EQ(AsConn(server)->snd_wnd(), uint32_t{ack.hdr.window} << 7);
  // RFC 7323 3.2: every later segment carries TSopt.
  EXPECT_TRUE(ack.hdr.options.timestamps.has_value());
}

TEST_F(OptionsTest, PeerWithoutOptionsGetsNone) {
  cfg_b.window_scaling = false;
  cfg_b.timestamps = false;
  cfg_b.sack = false;
  Start(202);
  Establish();
  const SegInfo& synack = sim->log[1].seg;
  EXPECT_FALSE(synack.hdr.options.window_scale.has_value());
  EXPECT_FALSE(synack.hdr.options.timestamps.has_value());
  EXPECT_FALSE(synack.hdr.options.sack_permitted);
  EXPECT_FALSE(AsConn(client)->ws_ok());
  EXPECT_EQ(AsConn(client)->rcv_wscale(), 0);  // RFC 7323 2.2: both shifts zero
  EXPECT_FALSE(AsConn(client)->ts_ok());
  EXPECT_FALSE(AsConn(client)->sack_ok());
  // The window we advertise is then capped at 65535 and unscaled.
  EXPECT_EQ(sim->log[2].seg.hdr.window, 65535);
  EXPECT_FALSE(sim->log[2].seg.hdr.options.timestamps.has_value());
  const auto data = Pattern(200000, 9);
  ASSERT_TRUE(client->Send(data, sim->now).ok());
  std::vector<uint8_t> got;
  ASSERT_TRUE(sim->RunUntil(
      [&] {
        Drain(server, got, sim->now);
        return got.size() == data.size();
      },
      Duration::Seconds(10)));
  EXPECT_EQ(got, data);
}

TEST_F(OptionsTest, ScaledWindowLetsMoreThan64KiBFly) {
  cfg_b.receive_buffer = 1 << 20;
  cfg_b.receive_buffer_max = 1 << 20;  // no autosizing: the shift fits 1 MiB
  Start(203);
  Establish();
  EXPECT_EQ(AsConn(server)->rcv_wscale(), 5);
  // Nobody reads at b: the client may fill the whole 1 MiB window.
  const auto data = Pattern(900000, 10);
  size_t sent = 0;
  uint32_t max_flight = 0;
  sim->filter = [&](char, Captured&, const SegInfo&) {
    max_flight = std::max(
        max_flight, static_cast<uint32_t>(AsConn(client)->snd_nxt() - AsConn(client)->snd_una()));
    return true;
  };
  for (int i = 0; i < 2000 && sent < data.size(); ++i) {
    auto r = client->Send(std::span<const uint8_t>(data).subspan(sent), sim->now);
    if (r.ok()) sent += *r;
    sim->Advance(Duration::Millis(1));
  }
  sim->Run(Duration::Millis(500));
  EXPECT_GT(AsConn(client)->snd_wnd(), 65535u);
  EXPECT_GT(max_flight, 65535u);
  EXPECT_EQ(server->readable_bytes(), data.size());
  std::vector<uint8_t> got;
  Drain(server, got, sim->now);
  EXPECT_EQ(got, data);
}

TEST_F(OptionsTest, TimestampsGiveRttSamplesDespiteRetransmission) {
  cfg_a.tail_loss_probe = false;  // the retransmission is the RTO's
  Start(204);
  Establish();
  // The first data segment is lost; its retransmission is acknowledged with an echo of the
  // retransmission's TSval: RFC 7323 4.1 allows that sample where Karn would not.
  bool dropped = false;
  sim->filter = [&](char from, Captured&, const SegInfo& s) {
    if (from == 'a' && !s.payload.empty() && !dropped) {
      dropped = true;
      return false;
    }
    return true;
  };
  ASSERT_TRUE(client->Send(Pattern(100, 1), sim->now).ok());
  ASSERT_TRUE(sim->RunUntil([&] { return server->readable_bytes() == 100; }, Duration::Seconds(5)));
  sim->Run(Duration::Millis(50));
  EXPECT_EQ(sim->a.tcp.counters().rto_expired, 1u);
  EXPECT_EQ(AsConn(client)->rtt().backoff_shift(), 0);  // a sample cleared the backoff
  EXPECT_TRUE(AsConn(client)->rtt().has_sample());
}

TEST_F(OptionsTest, PawsDropsOldDuplicate) {
  Start(205);
  Establish();
  Connection* s = AsConn(server);
  // A segment in the window but with a TSval older than TS.Recent is an old duplicate.
  const SegInfo& last_from_a = sim->log[2].seg;
  TcpRepr r;
  r.src_port = client->local_port();
  r.dst_port = 80;
  r.seq = s->rcv_nxt().raw();
  r.ack = s->snd_nxt().raw();
  r.flags = kTcpAck | kTcpPsh;
  r.window = 1000;
  r.options.timestamps = TcpTimestamps{last_from_a.hdr.options.timestamps->value - 1000, 0};
  Captured x = Craft(sim->a.addr, sim->b.addr, r, {1, 2, 3});
  sim->Deliver(x);
  EXPECT_EQ(sim->b.tcp.counters().paws_drops, 1u);
  EXPECT_EQ(server->readable_bytes(), 0u);
  ASSERT_EQ(sim->b.ip.out.size(), 1u);  // RFC 7323 5.3 R1: ACK the dropped segment
  EXPECT_EQ(Inspect(sim->b.ip.out.front().pkt).hdr.flags, kTcpAck);
  sim->b.ip.out.clear();
  // The same segment with a current TSval is taken.
  r.options.timestamps = TcpTimestamps{last_from_a.hdr.options.timestamps->value + 5, 0};
  Captured y = Craft(sim->a.addr, sim->b.addr, r, {1, 2, 3});
  sim->Deliver(y);
  EXPECT_EQ(server->readable_bytes(), 3u);
  sim->b.ip.out.clear();
  // RFC 7323 5.5: after 24 days of idleness TS.Recent is not trusted any more.
  sim->now += Duration::Seconds(25 * 24 * 3600);
  r.seq = s->rcv_nxt().raw();
  r.options.timestamps = TcpTimestamps{last_from_a.hdr.options.timestamps->value - 100000, 0};
  Captured z = Craft(sim->a.addr, sim->b.addr, r, {4});
  sim->Deliver(z);
  EXPECT_EQ(server->readable_bytes(), 4u);
  EXPECT_EQ(sim->b.tcp.counters().paws_drops, 1u);
  sim->b.ip.out.clear();
  sim->a.ip.out.clear();
}

TEST_F(OptionsTest, TcpInfoReportsLinuxFields) {
  Start(206);
  Establish();
  ASSERT_TRUE(client->Send(Pattern(50000, 3), sim->now).ok());
  sim->Run(Duration::Millis(100));
  struct tcp_info info;
  client->GetInfo(&info, sim->now);
  EXPECT_EQ(info.tcpi_state, TCP_ESTABLISHED);
  EXPECT_EQ(info.tcpi_ca_state, TCP_CA_Open);
  EXPECT_EQ(info.tcpi_options, TCPI_OPT_TIMESTAMPS | TCPI_OPT_SACK | TCPI_OPT_WSCALE);
  EXPECT_EQ(info.tcpi_snd_wscale, 7);
  EXPECT_EQ(info.tcpi_rcv_wscale, 7);
  EXPECT_EQ(info.tcpi_snd_mss, 1448u);
  EXPECT_EQ(info.tcpi_advmss, 1460u);
  EXPECT_EQ(info.tcpi_unacked, 0u);
  EXPECT_GE(info.tcpi_rto, 200000u);
  EXPECT_GT(info.tcpi_snd_cwnd, 10u);
  EXPECT_EQ(info.tcpi_total_retrans, 0u);
  EXPECT_LE(info.tcpi_last_data_sent, 100u);
}

}  // namespace
}  // namespace ustack::test

namespace ustack::test {
namespace {

TEST_F(OptionsTest, EcnNegotiatesAndReducesOncePerWindowOnEce) {
  cfg_a.ecn = TcpEcnMode::kOn;  // b accepts (passive, the default)
  Start(207);
  Establish();
  EXPECT_TRUE(sim->log[0].seg.has(kTcpEce) && sim->log[0].seg.has(kTcpCwr));  // RFC 3168 6.1.1
  EXPECT_TRUE(sim->log[1].seg.has(kTcpEce) && !sim->log[1].seg.has(kTcpCwr));
  EXPECT_TRUE(AsConn(client)->ecn_ok());
  EXPECT_TRUE(AsConn(server)->ecn_ok());
  // A router marks one data segment CE; data leaves as ECT(0).
  bool marked = false;
  bool saw_ect = false;
  sim->filter = [&](char from, Captured& c, const SegInfo& s) {
    if (from == 'a' && !s.payload.empty()) {
      saw_ect = saw_ect || (c.tos & 3) == 2;
      if (!marked) {
        marked = true;
        c.tos = 3;
      }
    }
    return true;
  };
  const auto data = Pattern(60000, 8);
  ASSERT_TRUE(client->Send(data, sim->now).ok());
  std::vector<uint8_t> got;
  ASSERT_TRUE(sim->RunUntil(
      [&] {
        Drain(server, got, sim->now);
        return got.size() == data.size();
      },
      Duration::Seconds(5)));
  EXPECT_EQ(got, data);
  EXPECT_TRUE(saw_ect);
  EXPECT_EQ(sim->b.tcp.counters().ecn_ce_in, 1u);
  EXPECT_EQ(sim->a.tcp.counters().ecn_reductions, 1u);  // RFC 3168 6.1.2: once per window
  EXPECT_EQ(sim->a.tcp.counters().retrans_segs, 0u);
  bool cwr = false;
  for (const auto& e : sim->log)
    cwr = cwr || (e.from == 'a' && e.seg.has(kTcpCwr) && !e.seg.has(kTcpSyn));
  EXPECT_TRUE(cwr);
}

TEST_F(OptionsTest, EcnOffByDefaultOnActiveSide) {
  Start(208);
  Establish();
  EXPECT_FALSE(sim->log[0].seg.has(kTcpEce));
  EXPECT_FALSE(AsConn(client)->ecn_ok());
}

}  // namespace
}  // namespace ustack::test
