// Leaf awaits and the loops built on them. See io.h.
#include "coro/io.h"

#include <arpa/inet.h>
#include <netinet/tcp.h>

#include <cstring>

namespace ustack::co {

int64_t ConnectOp::Attempt() {
  if (!started_) {
    started_ = true;
    const int rc = backend().Connect(fd_, addr_);
    return rc == -EINPROGRESS ? -EAGAIN : rc;
  }
  // Woken by writability or an error: SO_ERROR tells which.
  return backend().SocketError(fd_);
}

Instant SleepOp::OwnWakeTime() const {
  // Computed on first use from the scheduler's clock: Begin() sets the scheduler before.
  return backend().Now() + d_;
}

Task<ssize_t> ReadExactly(int fd, std::span<uint8_t> buf) {
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = co_await Read(fd, buf.subspan(got));
    if (n < 0) co_return n;
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  co_return static_cast<ssize_t>(got);
}

Task<ssize_t> WriteAll(int fd, std::span<const uint8_t> buf) {
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = co_await Write(fd, buf.subspan(done));
    if (n < 0) co_return n;
    done += static_cast<size_t>(n);
  }
  co_return static_cast<ssize_t>(done);
}

sockaddr_in MakeAddr(const char* dotted, uint16_t port) {
  sockaddr_in a;
  std::memset(&a, 0, sizeof a);
  if (inet_pton(AF_INET, dotted, &a.sin_addr) != 1) return a;
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  return a;
}

int ListenOn(Scheduler& sched, int type, const sockaddr_in& addr, int backlog) {
  IoBackend& b = sched.backend();
  const int fd = b.Socket(type);
  if (fd < 0) return fd;
  b.SetIntOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
  int rc = b.Bind(fd, addr);
  if (rc == 0 && type == SOCK_STREAM) rc = b.Listen(fd, backlog);
  if (rc < 0) {
    b.Close(fd);
    return rc;
  }
  return fd;
}

Task<int> ConnectTcp(Scheduler& sched, sockaddr_in addr) {
  const int fd = sched.backend().Socket(SOCK_STREAM);
  if (fd < 0) co_return fd;
  const int rc = co_await Connect(fd, addr);
  if (rc < 0) {
    sched.Close(fd);
    co_return rc;
  }
  sched.backend().SetIntOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
  co_return fd;
}

}  // namespace ustack::co
