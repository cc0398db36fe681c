// SocketApi: POSIX-style sockets and epoll over one Stack. Calls return what the libc call
// would return on success, or -errno (Linux values) on failure; the C API (issue 4) maps that
// onto errno. All calls are non-blocking and must be made on the stack's own thread; readiness
// is reported through the epoll-like interface and is updated by Stack::Poll.
#pragma once

#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/time.h"

namespace ustack {

class Stack;

class SocketApi {
 public:
  explicit SocketApi(Stack& stack);
  ~SocketApi();
  SocketApi(const SocketApi&) = delete;
  SocketApi& operator=(const SocketApi&) = delete;

  // AF_INET with SOCK_STREAM or SOCK_DGRAM (SOCK_NONBLOCK/SOCK_CLOEXEC accepted, sockets are
  // always non-blocking here).
  int Socket(int domain, int type, int protocol);
  int Bind(int fd, const sockaddr* addr, socklen_t len);
  int Listen(int fd, int backlog);
  int Accept(int fd, sockaddr* addr, socklen_t* len);
  // Returns -EINPROGRESS for TCP; completion shows as EPOLLOUT (or EPOLLERR + SO_ERROR).
  int Connect(int fd, const sockaddr* addr, socklen_t len);
  ssize_t Read(int fd, void* buf, size_t len);
  ssize_t Write(int fd, const void* buf, size_t len);
  ssize_t SendTo(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                 socklen_t tolen);
  ssize_t RecvFrom(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen);
  int Shutdown(int fd, int how);
  int Close(int fd);
  int GetSockOpt(int fd, int level, int name, void* val, socklen_t* len);
  int SetSockOpt(int fd, int level, int name, const void* val, socklen_t len);
  int GetSockName(int fd, sockaddr* addr, socklen_t* len);
  int GetPeerName(int fd, sockaddr* addr, socklen_t* len);

  // epoll with Linux semantics for EPOLLIN/OUT/ERR/HUP/RDHUP, EPOLLET and EPOLLONESHOT.
  int EpollCreate();
  int EpollCtl(int epfd, int op, int fd, epoll_event* ev);
  // Never blocks: returns the events ready now (0 if none).
  int EpollWait(int epfd, epoll_event* events, int max_events);

  Stack& stack() { return stack_; }
  // Monotonic time of the current poll iteration, for apps that need a clock.
  Instant now() const { return now_; }
  void set_now(Instant now) { now_ = now; }

 private:
  struct Impl;
  Stack& stack_;
  Instant now_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ustack
