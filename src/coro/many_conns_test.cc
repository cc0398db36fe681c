// 10,000 concurrent TCP connections, each driven by its own coroutine, on one scheduler
// (one core) with the kernel backend over 127.0.0.1, against a coroutine echo server in a
// forked child process (so that each process needs ~10,000 fds, not 20,000): every
// connection is open at the same time, echoes one message, and stays open until all have
// echoed. The test raises RLIMIT_NOFILE (and skips if the hard limit is too low).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "ustack/co.h"

namespace ustack::co {
namespace {

constexpr int kConns = 10000;

struct Shared {
  int connected = 0;
  int echoed = 0;
  int open_now = 0;
  int max_open = 0;
  int failures = 0;
};

Task<void> EchoOnce(Scheduler& s, int fd) {
  std::vector<uint8_t> buf(64);
  for (;;) {
    const ssize_t n = co_await Read(fd, buf);
    if (n <= 0) break;
    if (co_await WriteAll(fd, std::span<const uint8_t>(buf.data(), static_cast<size_t>(n))) < 0) {
      break;
    }
  }
  s.Close(fd);
}

Task<void> AcceptLoop(Scheduler& s, int lfd) {
  Context* ctx = co_await CurrentContext{};
  for (;;) {
    const int fd = co_await Accept(lfd);
    if (fd < 0) break;
    s.Spawn(EchoOnce(s, fd), ctx);
  }
}

Task<void> Client(Scheduler& s, sockaddr_in addr, int id, Shared* sh, CancelSource* release) {
  const int fd = co_await WithTimeout(ConnectTcp(s, addr), Duration::Seconds(20));
  if (fd < 0) {
    ++sh->failures;
    co_return;
  }
  ++sh->connected;
  sh->max_open = std::max(sh->max_open, ++sh->open_now);
  const std::string msg = "client " + std::to_string(id);
  std::vector<uint8_t> out(msg.begin(), msg.end()), in(msg.size());
  if (co_await WriteAll(fd, out) != static_cast<ssize_t>(out.size()) ||
      co_await ReadExactly(fd, in) != static_cast<ssize_t>(in.size()) || in != out) {
    ++sh->failures;
  } else {
    ++sh->echoed;
  }
  if (sh->echoed + sh->failures == kConns) release->Cancel();
  // Hold the connection open until every client has echoed.
  std::vector<uint8_t> rest(1);
  co_await WithCancel(Read(fd, rest), *release);
  --sh->open_now;
  // Reset instead of FIN: leaves no 10,000 TIME_WAIT sockets on ephemeral ports behind.
  const linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  s.Close(fd);
}

TEST(ManyConns, TenThousandCoroutineConnectionsOnOneCore) {
  rlimit rl{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
  const rlim_t want = kConns + 1000;
  if (rl.rlim_cur < want) {
    // Raising the hard limit works as root (CAP_SYS_RESOURCE); else stay within it.
    rlimit raised{want, std::max(want, rl.rlim_max)};
    if (setrlimit(RLIMIT_NOFILE, &raised) != 0) {
      rl.rlim_cur = std::min<rlim_t>(want, rl.rlim_max);
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NOFILE, &rl);
  }
  if (rl.rlim_cur < want) GTEST_SKIP() << "RLIMIT_NOFILE hard limit too low: " << rl.rlim_max;

  KernelBackend backend;
  ASSERT_TRUE(backend.ok());
  Scheduler sched(backend);
  const int lfd = ListenOn(sched, SOCK_STREAM, MakeAddr("127.0.0.1", 0), 4096);
  ASSERT_GE(lfd, 0);
  sockaddr_in addr{};
  ASSERT_EQ(backend.GetSockName(lfd, &addr), 0);

  const pid_t server = fork();
  ASSERT_GE(server, 0);
  if (server == 0) {  // the echo server, until the parent kills it
    KernelBackend child_backend;
    Scheduler child(child_backend);
    child.Spawn(AcceptLoop(child, lfd));
    child.Run();
    _exit(0);
  }
  backend.Close(lfd);
  Shared sh;
  CancelSource release(sched);
  for (int i = 0; i < kConns; ++i) sched.Spawn(Client(sched, addr, i, &sh, &release));

  const Instant end = backend.Now() + Duration::Seconds(60);
  sched.RunUntil([&] { return sh.open_now == 0 && sh.echoed + sh.failures == kConns; },
                 Duration::Millis(10));
  EXPECT_LT(backend.Now(), end);
  EXPECT_EQ(sh.failures, 0);
  EXPECT_EQ(sh.echoed, kConns);
  EXPECT_EQ(sh.max_open, kConns);  // all open at once
  EXPECT_EQ(sched.live(), 0u);
  kill(server, SIGKILL);
  int status = 0;
  waitpid(server, &status, 0);
}

}  // namespace
}  // namespace ustack::co
