// 10,000 concurrent TCP connections, each driven by its own coroutine, on the ustack backend:
// two complete stacks joined by tests/sim's simulated link (manual clock, seeded), each with
// a Scheduler + UstackBackend, all on one thread (one core). Stack B runs a coroutine echo
// server; stack A opens every connection at once, sends a message unique to the connection,
// checks the echo byte for byte, and keeps the connection open until all have echoed, so
// all 10,000 are established at the same time (the first burst of SYNs overflows the ARP
// queue, so most connect on their retransmitted SYN). The kernel-backend twin is
// src/coro/many_conns_test.cc.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>

#include "buf/test_eal.h"
#include "sim_harness.h"
#include "ustack/co_ustack.h"

namespace ustack::co {
namespace {

constexpr int kConns = 10000;
constexpr uint16_t kPort = 7000;
constexpr uint64_t kSeed = 10000;
constexpr size_t kMessage = 48;

rte_mempool* Pool() {
  // Room for every handshake in flight at once (SYNs, SYN-ACKs, data, echoes).
  static PacketPool pool("coro_many_pool", 65535);  // test fixture state
  return pool.get();
}

struct Shared {
  int connected = 0;
  int echoed = 0;
  int open_now = 0;
  int max_open = 0;
  int failures = 0;
  int server_closed = 0;
  std::map<int, int> connect_errors;  // errno -> count
};

Task<void> EchoConn(Scheduler& s, int fd, Shared* sh) {
  uint8_t buf[256];
  for (;;) {
    const ssize_t n = co_await Read(fd, buf);
    if (n <= 0) break;
    if (co_await WriteAll(fd, std::span<const uint8_t>(buf, static_cast<size_t>(n))) < 0) break;
  }
  s.Close(fd);
  ++sh->server_closed;
}

Task<void> EchoServer(Scheduler& s, Shared* sh) {
  Context* ctx = co_await CurrentContext{};
  const int lfd = ListenOn(s, SOCK_STREAM, sim::Sockaddr(Ipv4Addr::Any(), kPort), 16384);
  EXPECT_GE(lfd, 0);
  for (;;) {
    const int fd = co_await Accept(lfd);
    if (fd < 0) break;
    s.Spawn(EchoConn(s, fd, sh), ctx);
  }
  s.Close(lfd);
}

// Connection `id`'s message: its number, then seeded bytes.
std::vector<uint8_t> Message(int id) {
  std::vector<uint8_t> m(kMessage);
  const std::string head = "conn " + std::to_string(id) + ":";
  for (size_t i = 0; i < m.size(); ++i) {
    m[i] = i < head.size() ? static_cast<uint8_t>(head[i])
                           : sim::StreamByte(kSeed + static_cast<uint64_t>(id), i);
  }
  return m;
}

Task<void> Client(Scheduler& s, int id, Shared* sh, CancelSource* release) {
  const int fd =
      co_await WithTimeout(ConnectTcp(s, sim::Sockaddr(sim::kAddrB, kPort)), Duration::Seconds(60));
  if (fd < 0) {
    ++sh->failures;
    ++sh->connect_errors[-fd];
    co_return;
  }
  ++sh->connected;
  sh->max_open = std::max(sh->max_open, ++sh->open_now);
  const std::vector<uint8_t> out = Message(id);
  std::vector<uint8_t> in(out.size());
  if (co_await WriteAll(fd, out) != static_cast<ssize_t>(out.size()) ||
      co_await ReadExactly(fd, in) != static_cast<ssize_t>(in.size()) || in != out) {
    ++sh->failures;
  } else {
    ++sh->echoed;
  }
  if (sh->echoed + sh->failures == kConns) release->Cancel();
  // Hold the connection open until every client has echoed.
  uint8_t rest[1];
  co_await WithCancel(Read(fd, rest), *release);
  --sh->open_now;
  s.Close(fd);
}

TEST(ManyConnsUstack, TenThousandCoroutineConnectionsOnOneCore) {
  ASSERT_TRUE(InitTestEal());
  std::printf("seed %llu\n", static_cast<unsigned long long>(kSeed));
  Impairment clean;
  clean.delay = Duration::Micros(20);
  clean.queue_limit = 4 * kConns;  // a lossless wire: every handshake may be in flight at once
  sim::TwoStacks net(Pool(), kSeed, clean);
  UstackBackend backend_a(net.a()), backend_b(net.b());
  ASSERT_TRUE(backend_a.ok() && backend_b.ok());
  Shared sh;
  {
    Scheduler client(backend_a), server(backend_b);
    CancelSource release(client), stop(server);
    Context server_ctx = Context::Child(*server.root(), Instant::Max(), stop.state());
    server.Spawn(EchoServer(server, &sh), &server_ctx);
    for (int i = 0; i < kConns; ++i) client.Spawn(Client(client, i, &sh, &release));

    const auto wall_start = std::chrono::steady_clock::now();
    const bool finished = net.RunUntil(
        [&] {
          client.Poll(Duration());
          server.Poll(Duration());
          return sh.open_now == 0 && sh.echoed + sh.failures == kConns &&
                 sh.server_closed == sh.connected;
        },
        Duration::Seconds(300));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::printf("%d connections echoed in %.2f s wall, simulated %.3f s\n", sh.echoed, wall,
                static_cast<double>((net.now() - Instant::FromNanos(1'000'000'000)).nanos()) / 1e9);
    if (!finished) {
      std::printf("stack A counters:\n");
      net.stack_a().PrintCounters(stdout);
      std::printf("stack B counters:\n");
      net.stack_b().PrintCounters(stdout);
    }
    EXPECT_TRUE(finished) << "seed " << kSeed << ": echoed " << sh.echoed << ", failures "
                          << sh.failures << ", open " << sh.open_now;
    EXPECT_EQ(sh.failures, 0);
    for (const auto& [err, n] : sh.connect_errors) {
      ADD_FAILURE() << n << " connects failed: " << std::strerror(err);
    }
    EXPECT_EQ(sh.connected, kConns);
    EXPECT_EQ(sh.echoed, kConns);
    EXPECT_EQ(sh.max_open, kConns);  // all open at once
    EXPECT_EQ(sh.server_closed, kConns);
    EXPECT_EQ(client.live(), 0u);
    stop.Cancel();
    for (int i = 0; i < 3 && server.live() > 0; ++i) server.Poll(Duration());
    EXPECT_EQ(server.live(), 0u);
  }
}

}  // namespace
}  // namespace ustack::co
