// Tests of ustack-echo's logic on the kernel backend over 127.0.0.1: the latency
// histogram's percentiles, and the server with TCP and UDP clients for one second each
// (requests answered, no errors, sane latencies, a parseable JSON report).
#include "echo.h"

#include <gtest/gtest.h>

namespace ustack::echo {
namespace {

TEST(LatencyHistogram, Percentiles) {
  LatencyHistogram h;
  EXPECT_EQ(h.Percentile(0.5), 0u);
  for (int i = 1; i <= 1000; ++i) h.Add(Duration::Micros(i));
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.Percentile(0.5), 500u);
  EXPECT_EQ(h.Percentile(0.99), 990u);
  EXPECT_EQ(h.Percentile(0.999), 999u);
  EXPECT_EQ(h.Percentile(1.0), 1000u);
  EXPECT_DOUBLE_EQ(h.MeanMicros(), 500.5);
  h.Add(Duration::Seconds(100));  // clamped, not lost
  EXPECT_EQ(h.Percentile(1.0), LatencyHistogram::kMaxMicros);
}

// Runs a server and a one-second client on one scheduler; returns the client's stats.
ClientStats RunPair(bool udp, uint32_t conns, uint32_t pipeline) {
  co::KernelBackend backend;
  co::Scheduler sched(backend);
  co::CancelSource stop(sched);
  co::Context server_ctx = co::Context::Child(*sched.root(), Instant::Max(), stop.state());
  ServerStats sstats;
  ServerOptions so{co::MakeAddr("127.0.0.1", 0), udp};
  // Port 0 cannot be handed to the client, so pick a port from a probe socket.
  const int probe = co::ListenOn(sched, udp ? SOCK_DGRAM : SOCK_STREAM, so.addr);
  EXPECT_GE(probe, 0);
  backend.GetSockName(probe, &so.addr);
  backend.Close(probe);
  int server_rc = 1;
  sched.Spawn([](co::Task<int> t, int* rc) -> co::Task<void> { *rc = co_await std::move(t); }(
                                               RunServer(sched, so, &sstats), &server_rc),
              &server_ctx);
  ClientOptions copts;
  copts.addr = so.addr;
  copts.udp = udp;
  copts.conns = conns;
  copts.pipeline = pipeline;
  copts.duration = Duration::Seconds(1);
  ClientStats cstats;
  bool done = false;
  sched.Spawn([](co::Task<void> t, bool* d) -> co::Task<void> {
    co_await std::move(t);
    *d = true;
  }(RunClient(sched, copts, &cstats), &done));
  sched.RunUntil([&] { return done; }, Duration::Millis(10));
  stop.Cancel();
  sched.RunUntil([] { return false; }, Duration::Millis(10));
  EXPECT_EQ(server_rc, 0);
  EXPECT_EQ(sstats.errors, 0u);
  EXPECT_EQ(sched.live(), 0u);
  const std::string json = JsonReport(copts, cstats, backend.Name());
  EXPECT_EQ(json.front(), '{');
  EXPECT_NE(json.find("\"requests\":" + std::to_string(cstats.requests)), std::string::npos);
  return cstats;
}

TEST(Echo, TcpClientAgainstServer) {
  const ClientStats s = RunPair(false, 4, 4);
  EXPECT_GT(s.requests, 100u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.connect_errors, 0u);
  EXPECT_EQ(s.conns_ok, 4u);
  EXPECT_EQ(s.latency.count(), s.requests);
  EXPECT_LE(s.latency.Percentile(0.5), s.latency.Percentile(0.99));
}

TEST(Echo, UdpClientAgainstServer) {
  const ClientStats s = RunPair(true, 2, 8);
  EXPECT_GT(s.requests, 100u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.conns_ok, 2u);
}

}  // namespace
}  // namespace ustack::echo
