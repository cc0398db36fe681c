// Tests of SendRecv and ConnPool on the kernel backend over 127.0.0.1: long connections
// are reused, short ones are not, a silent server times out, a frame error is reported,
// and a pooled connection closed by the server is retried on a fresh one.
#include <gtest/gtest.h>

#include <string>

#include "ustack/co.h"

namespace ustack::co {
namespace {

// Frames are a 1-byte length followed by that many bytes.
ssize_t OneByteFrame(std::span<const uint8_t> got) {
  if (got.empty()) return 0;
  if (got[0] == 0xff) return -1;
  const size_t len = size_t{1} + got[0];
  return got.size() >= len ? static_cast<ssize_t>(len) : 0;
}

std::vector<uint8_t> Frame(const std::string& s) {
  std::vector<uint8_t> f(s.size() + 1);
  f[0] = static_cast<uint8_t>(s.size());
  for (size_t i = 0; i < s.size(); ++i) f[i + 1] = static_cast<uint8_t>(s[i]);
  return f;
}

enum class Mode { kEcho, kSilent, kEchoOnceThenClose };

// Serves frames on each accepted connection: echo, never answer, or answer once and close.
Task<void> Server(Scheduler& s, int lfd, Mode mode, int* accepted) {
  Context* ctx = co_await CurrentContext{};
  for (;;) {
    const int fd = co_await Accept(lfd);
    if (fd < 0) break;
    ++*accepted;
    s.Spawn(
        [](Scheduler& sc, int cfd, Mode m) -> Task<void> {
          std::vector<uint8_t> buf(256);
          for (;;) {
            const ssize_t n = co_await Read(cfd, buf);
            if (n <= 0) break;
            if (m == Mode::kSilent) continue;
            co_await WriteAll(cfd, std::span<const uint8_t>(buf.data(), static_cast<size_t>(n)));
            if (m == Mode::kEchoOnceThenClose) break;
          }
          sc.Close(cfd);
        }(s, fd, mode),
        ctx);
  }
}

class SendRecvTest : public ::testing::Test {
 protected:
  void Start(Mode mode) {
    lfd_ = ListenOn(sched_, SOCK_STREAM, MakeAddr("127.0.0.1", 0));
    ASSERT_GE(lfd_, 0);
    ASSERT_EQ(backend_.GetSockName(lfd_, &addr_), 0);
    sched_.Spawn(Server(sched_, lfd_, mode, &accepted_), &server_ctx_);
  }
  // Runs `client` to completion, then cancels the server and lets it finish.
  void Run(Task<void> client) {
    bool done = false;
    sched_.Spawn([](Task<void> c, bool* d) -> Task<void> {
      co_await std::move(c);
      *d = true;
    }(std::move(client), &done));
    const Instant end = backend_.Now() + Duration::Seconds(10);
    sched_.RunUntil([&] { return done || backend_.Now() > end; }, Duration::Millis(5));
    EXPECT_TRUE(done);
    stop_.Cancel();
    sched_.RunUntil([&] { return backend_.Now() > end; }, Duration::Millis(5));
    EXPECT_EQ(sched_.live(), 0u);
    sched_.Close(lfd_);
  }

  KernelBackend backend_;
  Scheduler sched_{backend_};
  CancelSource stop_{sched_};
  Context server_ctx_ = Context::Child(*sched_.root(), Instant::Max(), stop_.state());
  int lfd_ = -1;
  int accepted_ = 0;
  sockaddr_in addr_ = {};
};

Task<void> Exchanges(ConnPool& pool, sockaddr_in dest, int count, std::vector<std::string>* out) {
  for (int i = 0; i < count; ++i) {
    auto r = co_await SendRecv(pool, dest, Frame("req" + std::to_string(i)), OneByteFrame,
                               Duration::Seconds(2));
    out->push_back(r.ok() ? std::string(r->begin() + 1, r->end())
                          : "err" + std::to_string(r.error()));
  }
}

TEST_F(SendRecvTest, LongConnectionsAreReused) {
  Start(Mode::kEcho);
  ConnPool pool(sched_, PoolOptions{.keep_alive = true});
  std::vector<std::string> got;
  Run(Exchanges(pool, addr_, 5, &got));
  EXPECT_EQ(got, (std::vector<std::string>{"req0", "req1", "req2", "req3", "req4"}));
  EXPECT_EQ(pool.stats().connects, 1u);
  EXPECT_EQ(pool.stats().reuses, 4u);
  EXPECT_EQ(accepted_, 1);
}

TEST_F(SendRecvTest, ShortConnectionsAreNotReused) {
  Start(Mode::kEcho);
  ConnPool pool(sched_, PoolOptions{.keep_alive = false});
  std::vector<std::string> got;
  Run(Exchanges(pool, addr_, 3, &got));
  EXPECT_EQ(got, (std::vector<std::string>{"req0", "req1", "req2"}));
  EXPECT_EQ(pool.stats().connects, 3u);
  EXPECT_EQ(pool.stats().reuses, 0u);
  EXPECT_EQ(pool.idle(), 0u);
}

TEST_F(SendRecvTest, ConcurrentExchangesShareThePool) {
  Start(Mode::kEcho);
  ConnPool pool(sched_);
  std::vector<std::string> a, b, c;
  Run([](ConnPool& p, sockaddr_in d, auto* x, auto* y, auto* z) -> Task<void> {
    std::vector<Task<void>> t;
    t.push_back(Exchanges(p, d, 3, x));
    t.push_back(Exchanges(p, d, 3, y));
    t.push_back(Exchanges(p, d, 3, z));
    co_await WhenAll(std::move(t));
  }(pool, addr_, &a, &b, &c));
  EXPECT_EQ(a, (std::vector<std::string>{"req0", "req1", "req2"}));
  EXPECT_EQ(c, a);
  EXPECT_EQ(pool.stats().connects, 3u);  // three in flight at once, then reused
  EXPECT_EQ(pool.idle(), 3u);
}

TEST_F(SendRecvTest, SilentServerTimesOut) {
  Start(Mode::kSilent);
  ConnPool pool(sched_);
  int err = 0;
  Duration took;
  Run([](ConnPool& p, sockaddr_in d, int* e, Duration* t) -> Task<void> {
    const Instant start = p.scheduler().backend().Now();
    auto r = co_await SendRecv(p, d, Frame("x"), OneByteFrame, Duration::Millis(50));
    *e = r.error();
    *t = p.scheduler().backend().Now() - start;
  }(pool, addr_, &err, &took));
  EXPECT_EQ(err, ETIMEDOUT);
  EXPECT_GE(took, Duration::Millis(45));
  EXPECT_EQ(pool.idle(), 0u);  // a timed-out connection is never reused
}

TEST_F(SendRecvTest, BadFrameIsAProtocolError) {
  Start(Mode::kEcho);
  ConnPool pool(sched_);
  int err = 0;
  Run([](ConnPool& p, sockaddr_in d, int* e) -> Task<void> {
    std::vector<uint8_t> bad(3, 0xff);  // (a braced list here trips a g++ 12 coroutine bug)
    auto r = co_await SendRecv(p, d, std::move(bad), OneByteFrame, Duration::Seconds(1));
    *e = r.error();
  }(pool, addr_, &err));
  EXPECT_EQ(err, EPROTO);
}

TEST_F(SendRecvTest, StalePooledConnectionIsRetried) {
  Start(Mode::kEchoOnceThenClose);
  ConnPool pool(sched_);
  std::vector<std::string> got;
  Run([](ConnPool& p, sockaddr_in d, std::vector<std::string>* out) -> Task<void> {
    co_await Exchanges(p, d, 1, out);
    co_await Sleep(Duration::Millis(20));  // the server closes the pooled connection
    co_await Exchanges(p, d, 1, out);
  }(pool, addr_, &got));
  EXPECT_EQ(got, (std::vector<std::string>{"req0", "req0"}));
  EXPECT_EQ(pool.stats().connects, 2u);
  EXPECT_EQ(pool.stats().reuses, 1u);
}

}  // namespace
}  // namespace ustack::co
