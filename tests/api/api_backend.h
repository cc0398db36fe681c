// Dual-backend API tests: the socket calls behind a small interface, so that one test body
// runs against ustack (two stacks over a simulated link, tests/sim/sim_harness.h) and
// against the Linux kernel (real system calls over loopback), with the same expectations.
//
// Conventions: every call returns what SocketApi returns, i.e. the libc result on success or
// -errno on failure (the kernel backend turns -1 + errno into -errno). A test talks to two
// hosts: client() and server(); on the kernel both are the same process and the server's
// address is 127.0.0.1. Blocking calls and the timeouts of poll / select / epoll_wait run the
// network (ustack: the simulation steps its clock; kernel: real time). Until() runs the
// network until a predicate holds; Now() is the backend's clock for measuring timeouts.
// Ownership: the backend owns every fd the hosts hand out and closes what the test leaves.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <string>

#include "base/time.h"

namespace ustack::api {

// One host's socket calls.
class Host {
 public:
  virtual ~Host() = default;
  virtual int Socket(int domain, int type, int protocol) = 0;
  virtual int Socketpair(int domain, int type, int protocol, int sv[2]) = 0;
  virtual int Bind(int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual int Listen(int fd, int backlog) = 0;
  virtual int Accept4(int fd, sockaddr* addr, socklen_t* len, int flags) = 0;
  virtual int Connect(int fd, const sockaddr* addr, socklen_t len) = 0;
  virtual ssize_t Read(int fd, void* buf, size_t len) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t len) = 0;
  virtual ssize_t SendTo(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                         socklen_t tolen) = 0;
  virtual ssize_t RecvFrom(int fd, void* buf, size_t len, int flags, sockaddr* from,
                           socklen_t* fromlen) = 0;
  virtual ssize_t ReadV(int fd, const iovec* iov, int iovcnt) = 0;
  virtual ssize_t WriteV(int fd, const iovec* iov, int iovcnt) = 0;
  virtual ssize_t SendMsg(int fd, const msghdr* msg, int flags) = 0;
  virtual ssize_t RecvMsg(int fd, msghdr* msg, int flags) = 0;
  virtual int Shutdown(int fd, int how) = 0;
  virtual int Close(int fd) = 0;
  virtual int GetSockOpt(int fd, int level, int name, void* val, socklen_t* len) = 0;
  virtual int SetSockOpt(int fd, int level, int name, const void* val, socklen_t len) = 0;
  virtual int GetSockName(int fd, sockaddr* addr, socklen_t* len) = 0;
  virtual int GetPeerName(int fd, sockaddr* addr, socklen_t* len) = 0;
  virtual int Fcntl(int fd, int cmd, long arg) = 0;
  virtual int Ioctl(int fd, unsigned long request, void* arg) = 0;
  virtual int Dup(int fd) = 0;
  virtual int Poll(pollfd* fds, nfds_t nfds, int timeout_ms) = 0;
  virtual int Select(int nfds, fd_set* r, fd_set* w, fd_set* e, timeval* timeout) = 0;
  virtual int EpollCreate() = 0;
  virtual int EpollCtl(int epfd, int op, int fd, epoll_event* ev) = 0;
  virtual int EpollWait(int epfd, epoll_event* events, int max, int timeout_ms) = 0;

  // Conveniences over the calls above.
  ssize_t Send(int fd, const void* buf, size_t len, int flags) {
    return SendTo(fd, buf, len, flags, nullptr, 0);
  }
  ssize_t Recv(int fd, void* buf, size_t len, int flags) {
    return RecvFrom(fd, buf, len, flags, nullptr, nullptr);
  }
  int Accept(int fd) { return Accept4(fd, nullptr, nullptr, 0); }
  int GetInt(int fd, int level, int name, int* out);  // getsockopt of an int option
  int SetInt(int fd, int level, int name, int v);
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  virtual Host& client() = 0;
  virtual Host& server() = 0;
  // The address the server host is reached at, with `port`.
  virtual sockaddr_in ServerAddr(uint16_t port) const = 0;
  // Runs the network until pred() holds or `limit` of the backend's time passes.
  virtual bool Until(const std::function<bool()>& pred, Duration limit) = 0;
  // Lets segments in flight arrive (a few milliseconds of network time).
  virtual void Settle() = 0;
  virtual Instant Now() = 0;
};

std::unique_ptr<Backend> MakeUstackBackend();
std::unique_ptr<Backend> MakeKernelBackend();

}  // namespace ustack::api
