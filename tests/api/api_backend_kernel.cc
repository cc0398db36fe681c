// The Linux kernel backend of the API tests: real system calls over loopback, client and
// server in this process. -1 + errno becomes -errno. SIGPIPE is ignored (ustack never raises
// signals), so writes to a closed peer report EPIPE on both backends.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <set>

#include "api_backend.h"

namespace ustack::api {
namespace {

template <typename T>
T Sys(T rc) {
  return rc < 0 ? static_cast<T>(-errno) : rc;
}

class KernelHost final : public Host {
 public:
  ~KernelHost() override {
    for (int fd : fds_) ::close(fd);
  }
  int Socket(int d, int t, int p) override { return Track(Sys(::socket(d, t, p))); }
  int Socketpair(int d, int t, int p, int sv[2]) override {
    const int rc = Sys(::socketpair(d, t, p, sv));
    if (rc == 0) {
      Track(sv[0]);
      Track(sv[1]);
    }
    return rc;
  }
  int Bind(int fd, const sockaddr* a, socklen_t l) override { return Sys(::bind(fd, a, l)); }
  int Listen(int fd, int backlog) override { return Sys(::listen(fd, backlog)); }
  int Accept4(int fd, sockaddr* a, socklen_t* l, int f) override {
    return Track(Sys(::accept4(fd, a, l, f)));
  }
  int Connect(int fd, const sockaddr* a, socklen_t l) override { return Sys(::connect(fd, a, l)); }
  ssize_t Read(int fd, void* b, size_t n) override { return Sys(::read(fd, b, n)); }
  ssize_t Write(int fd, const void* b, size_t n) override { return Sys(::write(fd, b, n)); }
  ssize_t SendTo(int fd, const void* b, size_t n, int f, const sockaddr* to,
                 socklen_t tl) override {
    return Sys(::sendto(fd, b, n, f, to, tl));
  }
  ssize_t RecvFrom(int fd, void* b, size_t n, int f, sockaddr* from, socklen_t* fl) override {
    return Sys(::recvfrom(fd, b, n, f, from, fl));
  }
  ssize_t ReadV(int fd, const iovec* iov, int n) override { return Sys(::readv(fd, iov, n)); }
  ssize_t WriteV(int fd, const iovec* iov, int n) override { return Sys(::writev(fd, iov, n)); }
  ssize_t SendMsg(int fd, const msghdr* m, int f) override { return Sys(::sendmsg(fd, m, f)); }
  ssize_t RecvMsg(int fd, msghdr* m, int f) override { return Sys(::recvmsg(fd, m, f)); }
  int Shutdown(int fd, int how) override { return Sys(::shutdown(fd, how)); }
  int Close(int fd) override {
    const int rc = Sys(::close(fd));
    if (rc == 0) fds_.erase(fd);
    return rc;
  }
  int GetSockOpt(int fd, int lv, int n, void* v, socklen_t* l) override {
    return Sys(::getsockopt(fd, lv, n, v, l));
  }
  int SetSockOpt(int fd, int lv, int n, const void* v, socklen_t l) override {
    return Sys(::setsockopt(fd, lv, n, v, l));
  }
  int GetSockName(int fd, sockaddr* a, socklen_t* l) override {
    return Sys(::getsockname(fd, a, l));
  }
  int GetPeerName(int fd, sockaddr* a, socklen_t* l) override {
    return Sys(::getpeername(fd, a, l));
  }
  int Fcntl(int fd, int cmd, long arg) override {
    const int rc = Sys(::fcntl(fd, cmd, arg));
    return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC ? Track(rc) : rc;
  }
  int Ioctl(int fd, unsigned long r, void* arg) override { return Sys(::ioctl(fd, r, arg)); }
  int Dup(int fd) override { return Track(Sys(::dup(fd))); }
  int Poll(pollfd* fds, nfds_t n, int t) override { return Sys(::poll(fds, n, t)); }
  int Select(int n, fd_set* r, fd_set* w, fd_set* e, timeval* t) override {
    return Sys(::select(n, r, w, e, t));
  }
  int EpollCreate() override { return Track(Sys(::epoll_create1(0))); }
  int EpollCtl(int ep, int op, int fd, epoll_event* ev) override {
    return Sys(::epoll_ctl(ep, op, fd, ev));
  }
  int EpollWait(int ep, epoll_event* ev, int max, int t) override {
    return Sys(::epoll_wait(ep, ev, max, t));
  }

 private:
  int Track(int fd) {
    if (fd >= 0) fds_.insert(fd);
    return fd;
  }
  std::set<int> fds_;
};

class KernelBackend final : public Backend {
 public:
  KernelBackend() { ::signal(SIGPIPE, SIG_IGN); }
  const char* name() const override { return "kernel"; }
  Host& client() override { return host_; }
  Host& server() override { return host_; }
  sockaddr_in ServerAddr(uint16_t port) const override {
    sockaddr_in s{};
    s.sin_family = AF_INET;
    s.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s.sin_port = htons(port);
    return s;
  }
  bool Until(const std::function<bool()>& pred, Duration limit) override {
    const Instant end = Now() + limit;
    while (!pred()) {
      if (Now() >= end) return false;
      ::usleep(100);
    }
    return true;
  }
  void Settle() override { ::usleep(20000); }
  Instant Now() override {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return Instant::FromNanos(static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec);
  }

 private:
  KernelHost host_;
};

}  // namespace

std::unique_ptr<Backend> MakeKernelBackend() { return std::make_unique<KernelBackend>(); }

}  // namespace ustack::api
