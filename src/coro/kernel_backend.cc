// KernelBackend: thin wrappers turning libc's -1/errno into -errno. See kernel_backend.h.
#include "coro/kernel_backend.h"

#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>

namespace ustack::co {
namespace {

int64_t Ret(int64_t rc) { return rc < 0 ? -errno : rc; }

}  // namespace

KernelBackend::KernelBackend() : epfd_(epoll_create1(EPOLL_CLOEXEC)) {}

KernelBackend::~KernelBackend() {
  if (epfd_ >= 0) ::close(epfd_);
}

int KernelBackend::Socket(int type) {
  return static_cast<int>(Ret(::socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)));
}

int KernelBackend::Bind(int fd, const sockaddr_in& addr) {
  return static_cast<int>(Ret(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr)));
}

int KernelBackend::Listen(int fd, int backlog) {
  return static_cast<int>(Ret(::listen(fd, backlog)));
}

int KernelBackend::Accept(int fd, sockaddr_in* peer) {
  sockaddr_in tmp;
  socklen_t len = sizeof tmp;
  return static_cast<int>(Ret(::accept4(fd, reinterpret_cast<sockaddr*>(peer ? peer : &tmp), &len,
                                        SOCK_NONBLOCK | SOCK_CLOEXEC)));
}

int KernelBackend::Connect(int fd, const sockaddr_in& addr) {
  return static_cast<int>(
      Ret(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr)));
}

int KernelBackend::SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return -errno;
  return -err;
}

ssize_t KernelBackend::Read(int fd, void* buf, size_t len) { return Ret(::read(fd, buf, len)); }

ssize_t KernelBackend::Write(int fd, const void* buf, size_t len) {
  return Ret(::send(fd, buf, len, MSG_NOSIGNAL));
}

ssize_t KernelBackend::SendTo(int fd, const void* buf, size_t len, const sockaddr_in& to) {
  return Ret(
      ::sendto(fd, buf, len, MSG_NOSIGNAL, reinterpret_cast<const sockaddr*>(&to), sizeof to));
}

ssize_t KernelBackend::RecvFrom(int fd, void* buf, size_t len, sockaddr_in* from) {
  sockaddr_in tmp;
  socklen_t alen = sizeof tmp;
  return Ret(::recvfrom(fd, buf, len, 0, reinterpret_cast<sockaddr*>(from ? from : &tmp), &alen));
}

int KernelBackend::SetIntOption(int fd, int level, int name, int value) {
  return static_cast<int>(Ret(::setsockopt(fd, level, name, &value, sizeof value)));
}

int KernelBackend::GetSockName(int fd, sockaddr_in* addr) {
  socklen_t len = sizeof *addr;
  return static_cast<int>(Ret(::getsockname(fd, reinterpret_cast<sockaddr*>(addr), &len)));
}

int KernelBackend::Shutdown(int fd, int how) { return static_cast<int>(Ret(::shutdown(fd, how))); }

int KernelBackend::Close(int fd) { return static_cast<int>(Ret(::close(fd))); }

int KernelBackend::Watch(int fd) {
  epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  return static_cast<int>(Ret(::epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &ev)));
}

int KernelBackend::Unwatch(int fd) {
  return static_cast<int>(Ret(::epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr)));
}

int KernelBackend::Wait(std::span<epoll_event> out, Duration timeout) {
  // Round up so that a due timer is never polled for early in a busy loop.
  const int64_t ms = (timeout.nanos() + 999999) / 1000000;
  const int tmo = ms > 1000000 ? 1000000 : static_cast<int>(ms);
  const int n = ::epoll_wait(epfd_, out.data(), static_cast<int>(out.size()), tmo);
  if (n < 0) return errno == EINTR ? 0 : -errno;
  return n;
}

Instant KernelBackend::Now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Instant::FromNanos(int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec);
}

}  // namespace ustack::co
