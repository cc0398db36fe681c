// Tests of ustack-echo's logic on the kernel backend over 127.0.0.1: the reports' latency
// figures, and the server with TCP and UDP clients for one second each
// (requests answered, no errors, sane latencies, a parseable JSON report); the benchmark
// modes: bulk into a sink server, a round trip after an idle period, and holding many
// connections over several server ports.
#include "echo.h"
#include "modes.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ustack::echo {
namespace {

// The reports print round trips in microseconds: percentiles to 0.01 (exact nanoseconds
// below 131 us, rounded by printf), the mean to 0.1 (text) and 0.01 (JSON).
TEST(EchoReport, LatencyInMicroseconds) {
  ClientOptions o;
  ClientStats s;
  s.elapsed = Duration::Seconds(1);
  for (int64_t ns : {2007, 2497, 99'999, 150'000}) s.latency.Add(Duration::Nanos(ns));
  s.requests = s.latency.count();
  const std::string text = TextReport(o, s, "kernel");
  EXPECT_NE(text.find("latency us: p50 2.50 p99 150.00 p99.9 150.00 mean 63.6\n"),
            std::string::npos)
      << text;
  const std::string json = JsonReport(o, s, "kernel");
  EXPECT_NE(json.find("\"p50_us\":2.50,\"p99_us\":150.00,\"p999_us\":150.00,\"mean_us\":63.63,"),
            std::string::npos)
      << json;
  s.latency.Clear();
  EXPECT_NE(JsonReport(o, s, "kernel").find("\"p50_us\":0.00,"), std::string::npos);
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

// The first of `count` consecutive TCP ports on 127.0.0.1 that are free now. They are
// looked for below the kernel's ephemeral range (32768 and up), where no connect() of a
// concurrently running test takes them, starting at a place chosen by the process id.
uint16_t FreePortRun(uint32_t count) {
  constexpr uint32_t kLow = 20000, kSpan = 12000;
  const uint32_t start = static_cast<uint32_t>(getpid()) * 7919u % kSpan;
  for (uint32_t i = 0; i < kSpan; i += count) {
    const auto first = static_cast<uint16_t>(kLow + (start + i) % (kSpan - count));
    std::vector<int> fds;
    bool bound = true;
    for (uint32_t k = 0; k < count && bound; ++k) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a = co::MakeAddr("127.0.0.1", static_cast<uint16_t>(first + k));
      bound = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
      if (fd >= 0) fds.push_back(fd);
    }
    for (int fd : fds) close(fd);
    if (bound) return first;
  }
  ADD_FAILURE() << "no run of " << count << " free ports";
  return 0;
}

// A server with `so` on `so.ports` consecutive free ports and `client` on one
// scheduler; returns the server's stats once the client task has finished.
template <typename Client>
ServerStats WithServer(ServerOptions so, Client client) {
  co::KernelBackend backend;
  co::Scheduler sched(backend);
  co::CancelSource stop(sched);
  co::Context server_ctx = co::Context::Child(*sched.root(), Instant::Max(), stop.state());
  so.addr.sin_port = htons(FreePortRun(so.ports));
  ServerStats sstats;
  int server_rc = 1;
  sched.Spawn([](co::Task<int> t, int* rc) -> co::Task<void> { *rc = co_await std::move(t); }(
                                               RunServer(sched, so, &sstats), &server_rc),
              &server_ctx);
  bool done = false;
  sched.Spawn([](co::Task<void> t, bool* d) -> co::Task<void> {
    co_await std::move(t);
    *d = true;
  }(client(sched, so.addr), &done));
  sched.RunUntil([&] { return done; }, Duration::Millis(10));
  stop.Cancel();
  sched.RunUntil([] { return false; }, Duration::Millis(10));
  EXPECT_EQ(server_rc, 0);
  EXPECT_EQ(sched.live(), 0u);
  return sstats;
}

TEST(EchoModes, BulkIntoSinkIsCountedByTheServer) {
  ServerOptions so{co::MakeAddr("127.0.0.1", 0), false};
  so.sink = true;
  BulkOptions bo;
  bo.bytes = 8 * 1024 * 1024 + 3;  // not a multiple of the chunk
  BulkStats bs;
  const ServerStats ss = WithServer(so, [&](co::Scheduler& sched, sockaddr_in addr) {
    bo.addr = addr;
    return RunBulk(sched, bo, &bs);
  });
  EXPECT_EQ(bs.error, 0);
  EXPECT_EQ(bs.sent, bo.bytes);
  EXPECT_EQ(bs.server_count, bo.bytes);
  EXPECT_EQ(ss.bytes, bo.bytes);
  EXPECT_EQ(ss.errors, 0u);
  EXPECT_GT(bs.elapsed, Duration());
  EXPECT_NE(BulkJson(bo, bs, "kernel").find("\"server_count\":8388611"), std::string::npos);
}

std::vector<std::string> g_marks;
void RecordMark(const char* what) { g_marks.emplace_back(what); }

TEST(EchoModes, IdleMeasuresTheRoundTripAfterThePause) {
  g_marks.clear();
  IdleOptions io;
  io.idle = Duration::Millis(300);
  io.warmup = 20;
  io.after = 5;
  io.mark = RecordMark;
  IdleStats is;
  Instant start;
  const ServerStats ss = WithServer(ServerOptions{co::MakeAddr("127.0.0.1", 0), false},
                                    [&](co::Scheduler& sched, sockaddr_in addr) {
                                      io.addr = addr;
                                      start = sched.backend().Now();
                                      return RunIdle(sched, io, &is);
                                    });
  EXPECT_EQ(is.error, 0);
  EXPECT_GT(is.first, Duration());
  EXPECT_LT(is.first, Duration::Millis(100));  // the pause itself is not in the figure
  EXPECT_GT(is.warm_median, Duration());
  EXPECT_EQ(ss.bytes, (20u + 1 + 5) * 64);
  EXPECT_EQ(g_marks, (std::vector<std::string>{"idle_start", "idle_end"}));
}

TEST(EchoModes, HoldOpensConnectionsOverSeveralPorts) {
  g_marks.clear();
  ServerOptions so{co::MakeAddr("127.0.0.1", 0), false};
  so.buf = 64;
  HoldOptions ho;
  ho.conns = 200;
  ho.concurrency = 16;
  ho.hold = Duration::Millis(50);
  ho.mark = RecordMark;
  HoldStats hs;
  const ServerStats ss = WithServer(so, [&](co::Scheduler& sched, sockaddr_in addr) {
    ho.addr = addr;
    return RunHold(sched, ho, &hs);
  });
  EXPECT_EQ(hs.ok, 200u);
  EXPECT_EQ(hs.failed, 0u);
  EXPECT_GT(hs.open_time, Duration());
  EXPECT_EQ(ss.connections, 200u);
  EXPECT_EQ(g_marks, std::vector<std::string>{"established"});
}

TEST(EchoModes, ServerListensOnConsecutivePorts) {
  // Two ports: connections spread over both must all be accepted.
  ServerOptions so{co::MakeAddr("127.0.0.1", 0), false};
  so.ports = 2;
  HoldOptions ho;
  ho.conns = 10;
  ho.ports = 2;
  ho.hold = Duration();
  HoldStats hs;
  // The probe in WithServer finds one free port; the next one is very likely free too.
  const ServerStats ss = WithServer(so, [&](co::Scheduler& sched, sockaddr_in addr) {
    ho.addr = addr;
    return RunHold(sched, ho, &hs);
  });
  EXPECT_EQ(hs.ok, 10u);
  EXPECT_EQ(ss.connections, 10u);
}

}  // namespace
}  // namespace ustack::echo
