// The coroutine layer on the ustack backend: two complete stacks over a simulated link
// (tests/sim's TwoStacks, manual clock), one Scheduler + UstackBackend per stack, polled
// once per iteration like Runtime::Run does. Same coroutine code as on the kernel backend:
// TCP echo (many exchanges, several connections), SendRecv with a pool, UDP echo.
#include <gtest/gtest.h>

#include <string>

#include "buf/test_eal.h"
#include "sim_harness.h"
#include "ustack/co_ustack.h"

namespace ustack::co {
namespace {

constexpr uint16_t kPort = 7000;

rte_mempool* Pool() {
  static PacketPool pool("coro_sim_pool", 8191);  // test fixture state
  return pool.get();
}

sockaddr_in AddrOf(Ipv4Addr a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(a.v);
  s.sin_port = htons(port);
  return s;
}

Task<void> EchoConn(Scheduler& s, int fd) {
  std::vector<uint8_t> buf(8192);
  for (;;) {
    const ssize_t n = co_await Read(fd, buf);
    if (n <= 0) break;
    if (co_await WriteAll(fd, std::span<const uint8_t>(buf.data(), static_cast<size_t>(n))) < 0) {
      break;
    }
  }
  s.Close(fd);
}

Task<void> TcpServer(Scheduler& s) {
  Context* ctx = co_await CurrentContext{};
  const int lfd = ListenOn(s, SOCK_STREAM, AddrOf(Ipv4Addr::Any(), kPort));
  EXPECT_GE(lfd, 0);
  for (;;) {
    const int fd = co_await Accept(lfd);
    if (fd < 0) break;
    s.Spawn(EchoConn(s, fd), ctx);
  }
  s.Close(lfd);
}

Task<void> UdpServer(Scheduler& s) {
  const int fd = ListenOn(s, SOCK_DGRAM, AddrOf(Ipv4Addr::Any(), kPort));
  EXPECT_GE(fd, 0);
  std::vector<uint8_t> buf(2048);
  for (;;) {
    sockaddr_in from{};
    const ssize_t n = co_await UdpRecvFrom(fd, buf, &from);
    if (n < 0) break;
    co_await UdpSendTo(fd, std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)), from);
  }
  s.Close(fd);
}

// One connection: `rounds` exchanges of `size` bytes, each checked.
Task<int> TcpClient(Scheduler& s, int id, int rounds, size_t size) {
  const int fd = co_await ConnectTcp(s, AddrOf(sim::kAddrB, kPort));
  if (fd < 0) co_return fd;
  std::vector<uint8_t> out(size), in(size);
  int ok = 0;
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(id * 31 + r * 7 + i);
    if (co_await WriteAll(fd, out) != static_cast<ssize_t>(size)) break;
    if (co_await ReadExactly(fd, in) != static_cast<ssize_t>(size) || in != out) break;
    ++ok;
  }
  s.Close(fd);
  co_return ok;
}

class UstackBackendSim : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    Impairment clean;
    clean.delay = Duration::Micros(20);
    net_ = std::make_unique<sim::TwoStacks>(Pool(), 5, clean);
    backend_a_ = std::make_unique<UstackBackend>(net_->a());
    backend_b_ = std::make_unique<UstackBackend>(net_->b());
    sched_a_ = std::make_unique<Scheduler>(*backend_a_);
    sched_b_ = std::make_unique<Scheduler>(*backend_b_);
    stop_ = std::make_unique<CancelSource>(*sched_b_);
    server_ctx_ = Context::Child(*sched_b_->root(), Instant::Max(), stop_->state());
  }
  void TearDown() override {
    sched_a_.reset();
    sched_b_.reset();
    backend_a_.reset();
    backend_b_.reset();
    net_.reset();
  }
  // Polls both schedulers each simulated iteration until *done (30 simulated seconds max).
  bool Run(const bool& done) {
    return net_->RunUntil(
        [&] {
          sched_a_->Poll(Duration());
          sched_b_->Poll(Duration());
          return done;
        },
        Duration::Seconds(30));
  }

  std::unique_ptr<sim::TwoStacks> net_;
  std::unique_ptr<UstackBackend> backend_a_, backend_b_;
  std::unique_ptr<Scheduler> sched_a_, sched_b_;
  std::unique_ptr<CancelSource> stop_;
  Context server_ctx_;
};

TEST_F(UstackBackendSim, TcpEchoOverManyConnections) {
  ASSERT_TRUE(backend_a_->ok() && backend_b_->ok());
  sched_b_->Spawn(TcpServer(*sched_b_), &server_ctx_);
  std::vector<int> results;
  bool done = false;
  sched_a_->Spawn([](Scheduler& s, std::vector<int>* r, bool* d) -> Task<void> {
    std::vector<Task<int>> clients;
    for (int i = 0; i < 8; ++i) clients.push_back(TcpClient(s, i, 20, 3000));
    *r = co_await WhenAll(std::move(clients));
    *d = true;
  }(*sched_a_, &results, &done));
  ASSERT_TRUE(Run(done));
  EXPECT_EQ(results, std::vector<int>(8, 20));
  EXPECT_EQ(sched_a_->live(), 0u);
}

TEST_F(UstackBackendSim, SendRecvReusesAPooledConnection) {
  sched_b_->Spawn(TcpServer(*sched_b_), &server_ctx_);
  ConnPool pool(*sched_a_);
  std::vector<std::string> got;
  bool done = false;
  sched_a_->Spawn([](ConnPool& p, std::vector<std::string>* g, bool* d) -> Task<void> {
    for (int i = 0; i < 4; ++i) {
      const std::string msg = "ping" + std::to_string(i) + "\n";
      auto r = co_await SendRecv(
          p, AddrOf(sim::kAddrB, kPort), std::vector<uint8_t>(msg.begin(), msg.end()),
          [](std::span<const uint8_t> b) -> ssize_t {
            for (size_t k = 0; k < b.size(); ++k) {
              if (b[k] == '\n') return static_cast<ssize_t>(k + 1);
            }
            return 0;
          },
          Duration::Seconds(5));
      g->push_back(r.ok() ? std::string(r->begin(), r->end()) : "error");
    }
    *d = true;
  }(pool, &got, &done));
  ASSERT_TRUE(Run(done));
  EXPECT_EQ(got, (std::vector<std::string>{"ping0\n", "ping1\n", "ping2\n", "ping3\n"}));
  EXPECT_EQ(pool.stats().connects, 1u);
  EXPECT_EQ(pool.stats().reuses, 3u);
}

TEST_F(UstackBackendSim, UdpEcho) {
  sched_b_->Spawn(UdpServer(*sched_b_), &server_ctx_);
  int echoed = 0;
  bool done = false;
  sched_a_->Spawn([](Scheduler& s, int* e, bool* d) -> Task<void> {
    const int fd = s.backend().Socket(SOCK_DGRAM);
    std::vector<uint8_t> out(100), in(200);
    for (int i = 0; i < 10; ++i) {
      out[0] = static_cast<uint8_t>(i);
      if (co_await UdpSendTo(fd, out, AddrOf(sim::kAddrB, kPort)) < 0) break;
      const ssize_t n = co_await UdpRecvFrom(fd, in);
      if (n == 100 && in[0] == i) ++*e;
    }
    s.Close(fd);
    *d = true;
  }(*sched_a_, &echoed, &done));
  ASSERT_TRUE(Run(done));
  EXPECT_EQ(echoed, 10);
}

}  // namespace
}  // namespace ustack::co
