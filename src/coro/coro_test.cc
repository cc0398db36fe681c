// Tests of the coroutine machinery on the kernel backend over 127.0.0.1: echo, timeouts,
// cancellation, Sleep, WhenAll/WhenAny, exception propagation and SendRecv with a pool.
#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include "ustack/co.h"

namespace ustack::co {
namespace {

class CoroTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(backend_.ok()); }

  // A listening TCP socket on an ephemeral loopback port; fills addr_.
  int ListenTcp() {
    const int fd = ListenOn(sched_, SOCK_STREAM, MakeAddr("127.0.0.1", 0));
    EXPECT_GE(fd, 0);
    EXPECT_EQ(backend_.GetSockName(fd, &addr_), 0);
    return fd;
  }

  // Runs the scheduler until every spawned task finished, at most 10 s.
  void RunAll() {
    const Instant end = backend_.Now() + Duration::Seconds(10);
    sched_.RunUntil([&] { return backend_.Now() > end; }, Duration::Millis(5));
    EXPECT_EQ(sched_.live(), 0u);
  }

  KernelBackend backend_;
  Scheduler sched_{backend_};
  sockaddr_in addr_ = {};
};

// Echoes everything on each accepted connection, for `conns` connections.
Task<void> EchoServer(Scheduler& sched, int lfd, int conns) {
  std::vector<Task<void>> handlers;
  for (int i = 0; i < conns; ++i) {
    const int fd = co_await Accept(lfd);
    if (fd < 0) co_return;
    handlers.push_back([](Scheduler& s, int cfd) -> Task<void> {
      std::vector<uint8_t> buf(4096);
      for (;;) {
        const ssize_t n = co_await Read(cfd, buf);
        if (n <= 0) break;
        if (co_await WriteAll(cfd, std::span<const uint8_t>(buf.data(), static_cast<size_t>(n))) <
            0) {
          break;
        }
      }
      s.Close(cfd);
    }(sched, fd));
  }
  co_await WhenAll(std::move(handlers));
}

TEST_F(CoroTest, EchoRoundTrip) {
  const int lfd = ListenTcp();
  std::string got;
  sched_.Spawn(EchoServer(sched_, lfd, 1));
  sched_.Spawn([](Scheduler& s, sockaddr_in a, std::string* out) -> Task<void> {
    const int fd = co_await ConnectTcp(s, a);
    EXPECT_GE(fd, 0);
    const std::string msg = "hello coroutines";
    std::vector<uint8_t> req(msg.begin(), msg.end());
    EXPECT_EQ(co_await WriteAll(fd, req), static_cast<ssize_t>(req.size()));
    std::vector<uint8_t> rep(req.size());
    EXPECT_EQ(co_await ReadExactly(fd, rep), static_cast<ssize_t>(rep.size()));
    out->assign(rep.begin(), rep.end());
    s.Close(fd);
  }(sched_, addr_, &got));
  RunAll();
  EXPECT_EQ(got, "hello coroutines");
  sched_.Close(lfd);
}

TEST_F(CoroTest, ReadTimesOut) {
  const int lfd = ListenTcp();
  ssize_t rc = 0;
  Duration took;
  sched_.Spawn([](Scheduler& s, sockaddr_in a, ssize_t* r, Duration* t) -> Task<void> {
    const int fd = co_await ConnectTcp(s, a);
    std::vector<uint8_t> buf(16);
    const Instant start = s.backend().Now();
    *r = co_await WithTimeout(Read(fd, buf), Duration::Millis(50));
    *t = s.backend().Now() - start;
    s.Close(fd);
  }(sched_, addr_, &rc, &took));
  RunAll();
  EXPECT_EQ(rc, -ETIMEDOUT);
  EXPECT_GE(took, Duration::Millis(45));
  EXPECT_LT(took, Duration::Seconds(2));
  sched_.Close(lfd);
}

TEST_F(CoroTest, NestedDeadlineTakesTheEarlier) {
  int rc = 1;
  sched_.Spawn([](int* r) -> Task<void> {
    // The inner 5 s timeout cannot extend the outer 30 ms one.
    *r = co_await WithTimeout(WithTimeout(Sleep(Duration::Seconds(5)), Duration::Seconds(5)),
                              Duration::Millis(30));
  }(&rc));
  RunAll();
  EXPECT_EQ(rc, -ETIMEDOUT);
}

TEST_F(CoroTest, CancelWakesPendingRead) {
  const int lfd = ListenTcp();
  CancelSource cancel(sched_);
  ssize_t rc = 0;
  ssize_t after = 0;
  sched_.Spawn(
      [](Scheduler& s, sockaddr_in a, CancelSource& c, ssize_t* r, ssize_t* r2) -> Task<void> {
        const int fd = co_await ConnectTcp(s, a);
        std::vector<uint8_t> buf(16);
        *r = co_await WithCancel(Read(fd, buf), c);
        // Once cancelled, later awaits under the same source fail at once.
        *r2 = co_await WithCancel(Read(fd, buf), c);
        s.Close(fd);
      }(sched_, addr_, cancel, &rc, &after));
  sched_.Spawn([](CancelSource& c) -> Task<void> {
    EXPECT_EQ(co_await Sleep(Duration::Millis(20)), 0);
    c.Cancel();
  }(cancel));
  RunAll();
  EXPECT_EQ(rc, -ECANCELED);
  EXPECT_EQ(after, -ECANCELED);
  sched_.Close(lfd);
}

TEST_F(CoroTest, SleepWaitsItsDuration) {
  Duration took;
  sched_.Spawn([](Scheduler& s, Duration* t) -> Task<void> {
    const Instant start = s.backend().Now();
    EXPECT_EQ(co_await Sleep(Duration::Millis(30)), 0);
    *t = s.backend().Now() - start;
  }(sched_, &took));
  RunAll();
  EXPECT_GE(took, Duration::Millis(29));
}

Task<int> SleepThen(int ms, int value) {
  const int rc = co_await Sleep(Duration::Millis(ms));
  co_return rc < 0 ? rc : value;
}

TEST_F(CoroTest, WhenAllRunsConcurrently) {
  std::vector<int> out;
  Duration took;
  sched_.Spawn([](Scheduler& s, std::vector<int>* o, Duration* t) -> Task<void> {
    const Instant start = s.backend().Now();
    std::vector<Task<int>> tasks;
    tasks.push_back(SleepThen(40, 1));
    tasks.push_back(SleepThen(20, 2));
    tasks.push_back(SleepThen(0, 3));
    *o = co_await WhenAll(std::move(tasks));
    *t = s.backend().Now() - start;
  }(sched_, &out, &took));
  RunAll();
  EXPECT_EQ(out, (std::vector<int>{1, 2, 3}));
  EXPECT_GE(took, Duration::Millis(39));
  EXPECT_LT(took, Duration::Millis(75));  // concurrent, not 60 ms in sequence
}

TEST_F(CoroTest, WhenAllOfDifferentTypes) {
  std::tuple<int, std::string> got;
  sched_.Spawn([](std::tuple<int, std::string>* g) -> Task<void> {
    *g = co_await WhenAll(SleepThen(10, 7), []() -> Task<std::string> {
      co_await Sleep(Duration::Millis(5));
      co_return "text";
    }());
  }(&got));
  RunAll();
  EXPECT_EQ(std::get<0>(got), 7);
  EXPECT_EQ(std::get<1>(got), "text");
}

TEST_F(CoroTest, WhenAnyCancelsTheLosers) {
  std::pair<size_t, int> winner{99, 0};
  std::vector<int> loser_results;
  Duration took;
  sched_.Spawn([](Scheduler& s, std::pair<size_t, int>* w, Duration* t) -> Task<void> {
    const Instant start = s.backend().Now();
    std::vector<Task<int>> tasks;
    tasks.push_back(SleepThen(5000, 1));
    tasks.push_back(SleepThen(10, 2));
    tasks.push_back(SleepThen(5000, 3));
    *w = co_await WhenAny(std::move(tasks));
    *t = s.backend().Now() - start;
  }(sched_, &winner, &took));
  RunAll();
  EXPECT_EQ(winner.first, 1u);
  EXPECT_EQ(winner.second, 2);
  EXPECT_LT(took, Duration::Seconds(1));
}

TEST_F(CoroTest, LoserSeesCancelled) {
  int loser = 0;
  sched_.Spawn([](int* l) -> Task<void> {
    std::vector<Task<int>> tasks;
    tasks.push_back([](int* out) -> Task<int> {
      *out = co_await Sleep(Duration::Seconds(5));
      co_return 1;
    }(l));
    tasks.push_back(SleepThen(1, 2));
    auto w = co_await WhenAny(std::move(tasks));
    EXPECT_EQ(w.first, 1u);
  }(&loser));
  RunAll();
  EXPECT_EQ(loser, -ECANCELED);
}

Task<int> Throws() {
  co_await Sleep(Duration::Millis(1));
  throw std::runtime_error("boom");
}

TEST_F(CoroTest, ExceptionsPropagateThroughAwait) {
  std::string what;
  sched_.Spawn([](std::string* w) -> Task<void> {
    try {
      co_await Throws();
    } catch (const std::runtime_error& e) {
      *w = e.what();
    }
  }(&what));
  RunAll();
  EXPECT_EQ(what, "boom");
}

TEST_F(CoroTest, SecondReaderOnOneFdIsBusy) {
  const int lfd = ListenTcp();
  ssize_t second = 0;
  sched_.Spawn([](Scheduler& s, sockaddr_in a, ssize_t* r) -> Task<void> {
    const int fd = co_await ConnectTcp(s, a);
    std::vector<uint8_t> b1(8), b2(8);
    std::vector<Task<ssize_t>> t;
    t.push_back(WithTimeout(Read(fd, b1), Duration::Millis(20)));
    t.push_back(AsTask(Read(fd, b2)));
    auto res = co_await WhenAll(std::move(t));
    *r = res[1];
    s.Close(fd);
  }(sched_, addr_, &second));
  RunAll();
  EXPECT_EQ(second, -EBUSY);
  sched_.Close(lfd);
}

TEST_F(CoroTest, CloseWakesParkedReaderWithEbadf) {
  const int lfd = ListenTcp();
  ssize_t rc = 0;
  int fd = -1;
  sched_.Spawn([](Scheduler& s, sockaddr_in a, int* f, ssize_t* r) -> Task<void> {
    *f = co_await ConnectTcp(s, a);
    std::vector<uint8_t> buf(8);
    *r = co_await Read(*f, buf);
  }(sched_, addr_, &fd, &rc));
  sched_.Spawn([](Scheduler& s, int* f) -> Task<void> {
    co_await Sleep(Duration::Millis(10));
    s.Close(*f);
  }(sched_, &fd));
  RunAll();
  EXPECT_EQ(rc, -EBADF);
  sched_.Close(lfd);
}

TEST_F(CoroTest, ExpiredDeadlineFailsAtOnce) {
  int rc = 0;
  sched_.Spawn([](Scheduler& s, int* r) -> Task<void> {
    *r = co_await WithDeadline(Sleep(Duration::Seconds(1)), s.Now() - Duration::Millis(1));
  }(sched_, &rc));
  RunAll();
  EXPECT_EQ(rc, -ETIMEDOUT);
}

TEST_F(CoroTest, BusyReaderYieldsToOthers) {
  const int lfd = ListenTcp();
  int seen_at = -1;
  bool flag = false;
  sched_.Spawn([](Scheduler& s, sockaddr_in a, bool* f, int* at) -> Task<void> {
    const int fd = co_await ConnectTcp(s, a);
    std::vector<uint8_t> big(20000, 7);
    // Loop the bytes back through the echo server below, then read them one at a time:
    // every read completes at once, so only the budget lets the other task run.
    EXPECT_EQ(co_await WriteAll(fd, big), 20000);
    co_await Sleep(Duration::Millis(20));
    uint8_t b[1];
    for (int i = 0; i < 20000; ++i) {
      if (co_await Read(fd, b) != 1) break;
      if (*f && *at < 0) *at = i;
    }
    s.Close(fd);
  }(sched_, addr_, &flag, &seen_at));
  sched_.Spawn(EchoServer(sched_, lfd, 1));
  sched_.Spawn([](bool* f) -> Task<void> {
    co_await Sleep(Duration::Millis(21));
    *f = true;
  }(&flag));
  RunAll();
  EXPECT_GE(seen_at, 0);
  EXPECT_LT(seen_at, 20000 - 100);
  sched_.Close(lfd);
}

// WaitReadable parks even when data is already there (the caller saw -EAGAIN), wakes on the
// next readiness, and gives up at `until` with 0; Shutdown(SHUT_WR) shows as end of stream.
TEST_F(CoroTest, WaitReadableWakesOnDataAndAtItsDeadline) {
  const int lfd = ListenTcp();
  struct Out {
    int idle = -1, woken = -1, eof_wait = -1;
    ssize_t eof = -1;
    Duration idle_took;
  } out;
  sched_.Spawn([](Scheduler& s, int l, Out* o) -> Task<void> {
    const int fd = co_await Accept(l);
    const Instant start = s.Now();
    o->idle = co_await WaitReadable(fd, start + Duration::Millis(30));  // nothing comes
    o->idle_took = s.Now() - start;
    o->woken = co_await WaitReadable(fd);  // the client writes after 50 ms
    uint8_t buf[8];
    EXPECT_EQ(s.backend().Read(fd, buf, sizeof buf), 1);
    EXPECT_EQ(s.backend().Read(fd, buf, sizeof buf), -EAGAIN);
    o->eof_wait = co_await WaitReadable(fd);  // the client shuts its sending side
    o->eof = s.backend().Read(fd, buf, sizeof buf);
    EXPECT_EQ(co_await WaitWritable(fd, s.Now() + Duration::Millis(5)), 0);
    s.Close(fd);
  }(sched_, lfd, &out));
  sched_.Spawn([](Scheduler& s, sockaddr_in a) -> Task<void> {
    const int fd = co_await ConnectTcp(s, a);
    co_await Sleep(Duration::Millis(50));
    const uint8_t one = 1;
    EXPECT_EQ(co_await WriteAll(fd, std::span<const uint8_t>(&one, 1)), 1);
    co_await Sleep(Duration::Millis(10));
    EXPECT_EQ(s.backend().Shutdown(fd, SHUT_WR), 0);
    uint8_t buf[1];
    EXPECT_EQ(co_await Read(fd, buf), 0);  // the server closes
    s.Close(fd);
  }(sched_, addr_));
  RunAll();
  EXPECT_EQ(out.idle, 0);
  EXPECT_GE(out.idle_took, Duration::Millis(25));
  EXPECT_EQ(out.woken, 0);
  EXPECT_EQ(out.eof_wait, 0);
  EXPECT_EQ(out.eof, 0);
  sched_.Close(lfd);
}

// The timer heap: 300 sleeps with seeded durations, a third of them cancelled early (erased
// from the middle of the heap), wake in the order of their wake times and never early.
TEST_F(CoroTest, TimersFireInWakeTimeOrder) {
  constexpr int kSleeps = 300;
  uint64_t x = 12345;                         // seeded: the same durations every run
  std::vector<std::pair<Instant, int>> woke;  // (target, index) in completion order
  int early = 0, cancelled = 0;
  CancelSource cancel(sched_);
  for (int i = 0; i < kSleeps; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const Duration d = Duration::Micros(static_cast<int64_t>(x >> 33) % 60000);
    auto sleeper = [](Scheduler& s, Duration dur, int idx, std::vector<std::pair<Instant, int>>* w,
                      int* e) -> Task<void> {
      const Instant target = s.backend().Now() + dur;
      if (co_await Sleep(dur) != 0) co_return;
      if (s.backend().Now() < target) ++*e;
      w->emplace_back(target, idx);
    };
    if (i % 3 == 0) {
      sched_.Spawn([](Task<void> t, CancelSource& c, int* n) -> Task<void> {
        co_await WithCancel(std::move(t), c);
        if (c.cancelled()) ++*n;
      }(sleeper(sched_, d + Duration::Millis(100), i, &woke, &early), cancel, &cancelled));
    } else {
      sched_.Spawn(sleeper(sched_, d, i, &woke, &early));
    }
  }
  sched_.Spawn([](CancelSource& c) -> Task<void> {
    co_await Sleep(Duration::Millis(30));
    c.Cancel();
  }(cancel));
  RunAll();
  EXPECT_EQ(early, 0);
  EXPECT_EQ(cancelled, kSleeps / 3);
  EXPECT_EQ(woke.size(), static_cast<size_t>(kSleeps - kSleeps / 3));
  // Targets are read just before each Sleep computes its own deadline; on a loaded machine
  // the thread can be preempted in between (24 us seen in CI): allow 500 us of slack, far
  // below the milliseconds that separate most of the random deadlines.
  for (size_t i = 1; i < woke.size(); ++i) {
    EXPECT_LE(woke[i - 1].first, woke[i].first + Duration::Micros(500))
        << "sleep " << woke[i].second << " woke out of order";
  }
}

TEST(CoroLifetime, DestroyingTheSchedulerDestroysParkedTasks) {
  KernelBackend backend;
  const int lfd = [&] {
    Scheduler sched(backend);
    const int fd = ListenOn(sched, SOCK_STREAM, MakeAddr("127.0.0.1", 0));
    sched.Spawn([](int f) -> Task<void> { co_await Accept(f); }(fd));
    for (int i = 0; i < 3; ++i) {
      sched.Spawn([]() -> Task<void> { co_await Sleep(Duration::Seconds(100)); }());
    }
    sched.Poll(Duration());
    EXPECT_EQ(sched.live(), 4u);
    return fd;  // the parked frames are destroyed here, unparking their waits
  }();
  EXPECT_GE(lfd, 0);
  backend.Close(lfd);
}

}  // namespace
}  // namespace ustack::co
