// IoBackend: the only thing the coroutine layer talks to. A small socket interface (all
// calls non-blocking, AF_INET, results as the libc call's value or -errno) plus an
// edge-triggered readiness wait. Two implementations: KernelBackend (Linux sockets and
// epoll_wait, blocking up to a timeout) and UstackBackend (SocketApi + its epoll on the
// Stack's own loop; Wait never blocks). The same app source runs over either.
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/types.h>

#include <span>

#include "base/time.h"

namespace ustack::co {

class IoBackend {
 public:
  virtual ~IoBackend() = default;

  // type: SOCK_STREAM or SOCK_DGRAM. The socket is non-blocking.
  virtual int Socket(int type) = 0;
  virtual int Bind(int fd, const sockaddr_in& addr) = 0;
  virtual int Listen(int fd, int backlog) = 0;
  virtual int Accept(int fd, sockaddr_in* peer) = 0;
  // 0, -EINPROGRESS (completion is then reported as writability), or -errno.
  virtual int Connect(int fd, const sockaddr_in& addr) = 0;
  // The pending error (SO_ERROR) as 0 or -errno.
  virtual int SocketError(int fd) = 0;
  virtual ssize_t Read(int fd, void* buf, size_t len) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t len) = 0;
  virtual ssize_t SendTo(int fd, const void* buf, size_t len, const sockaddr_in& to) = 0;
  virtual ssize_t RecvFrom(int fd, void* buf, size_t len, sockaddr_in* from) = 0;
  virtual int SetIntOption(int fd, int level, int name, int value) = 0;
  virtual int GetSockName(int fd, sockaddr_in* addr) = 0;
  // shutdown(2): SHUT_RD, SHUT_WR or SHUT_RDWR.
  virtual int Shutdown(int fd, int how) = 0;
  virtual int Close(int fd) = 0;

  // Edge-triggered interest in EPOLLIN|EPOLLOUT|EPOLLRDHUP on fd; Unwatch before Close.
  virtual int Watch(int fd) = 0;
  virtual int Unwatch(int fd) = 0;
  // Fills `out` with ready fds (data.fd) and returns their count, waiting at most `timeout`
  // (a backend driven by an outer poll loop never waits). Negative: -errno.
  virtual int Wait(std::span<epoll_event> out, Duration timeout) = 0;
  // Monotonic time.
  virtual Instant Now() = 0;
  // Name for reports: "kernel" or "ustack".
  virtual const char* Name() const = 0;
};

}  // namespace ustack::co
