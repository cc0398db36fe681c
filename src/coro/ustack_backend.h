// UstackBackend: IoBackend over a SocketApi and one of its epoll instances. It must be used
// on the stack's thread; the Runtime's poll loop drives it (Scheduler::Poll once per
// iteration, inside Runtime::Run's callback), so Wait never blocks and Now is the
// iteration's time. Header-only, so that ustack_coro does not depend on the socket layer:
// whoever constructs one links ustack_socket. Ownership: owns its epoll fd; borrows the
// SocketApi.
#pragma once

#include <cerrno>

#include "coro/backend.h"
#include "socket/socket_api.h"

namespace ustack::co {

class UstackBackend final : public IoBackend {
 public:
  explicit UstackBackend(SocketApi& api);
  ~UstackBackend() override;
  UstackBackend(const UstackBackend&) = delete;
  UstackBackend& operator=(const UstackBackend&) = delete;

  bool ok() const { return epfd_ >= 0; }

  int Socket(int type) override;
  int Bind(int fd, const sockaddr_in& addr) override;
  int Listen(int fd, int backlog) override;
  int Accept(int fd, sockaddr_in* peer) override;
  int Connect(int fd, const sockaddr_in& addr) override;
  int SocketError(int fd) override;
  ssize_t Read(int fd, void* buf, size_t len) override;
  ssize_t Write(int fd, const void* buf, size_t len) override;
  ssize_t SendTo(int fd, const void* buf, size_t len, const sockaddr_in& to) override;
  ssize_t RecvFrom(int fd, void* buf, size_t len, sockaddr_in* from) override;
  int SetIntOption(int fd, int level, int name, int value) override;
  int GetSockName(int fd, sockaddr_in* addr) override;
  int Shutdown(int fd, int how) override;
  int Close(int fd) override;
  int Watch(int fd) override;
  int Unwatch(int fd) override;
  int Wait(std::span<epoll_event> out, Duration timeout) override;
  Instant Now() override { return api_.now(); }
  const char* Name() const override { return "ustack"; }

 private:
  SocketApi& api_;
  int epfd_ = -1;
};

inline UstackBackend::UstackBackend(SocketApi& api) : api_(api), epfd_(api.EpollCreate()) {}

inline UstackBackend::~UstackBackend() {
  if (epfd_ >= 0) api_.Close(epfd_);
}

// O_NONBLOCK, so that a SocketApi given a poll_once hook (the C API's) still never blocks here.
inline int UstackBackend::Socket(int type) { return api_.Socket(AF_INET, type | SOCK_NONBLOCK, 0); }

inline int UstackBackend::Bind(int fd, const sockaddr_in& addr) {
  return api_.Bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
}

inline int UstackBackend::Listen(int fd, int backlog) { return api_.Listen(fd, backlog); }

inline int UstackBackend::Accept(int fd, sockaddr_in* peer) {
  sockaddr_in tmp;
  socklen_t len = sizeof tmp;
  return api_.Accept4(fd, reinterpret_cast<sockaddr*>(peer ? peer : &tmp), &len, SOCK_NONBLOCK);
}

inline int UstackBackend::Connect(int fd, const sockaddr_in& addr) {
  return api_.Connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
}

inline int UstackBackend::SocketError(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  const int rc = api_.GetSockOpt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (rc < 0) return rc;
  return -err;
}

inline ssize_t UstackBackend::Read(int fd, void* buf, size_t len) {
  return api_.Read(fd, buf, len);
}

inline ssize_t UstackBackend::Write(int fd, const void* buf, size_t len) {
  return api_.Write(fd, buf, len);
}

inline ssize_t UstackBackend::SendTo(int fd, const void* buf, size_t len, const sockaddr_in& to) {
  return api_.SendTo(fd, buf, len, 0, reinterpret_cast<const sockaddr*>(&to), sizeof to);
}

inline ssize_t UstackBackend::RecvFrom(int fd, void* buf, size_t len, sockaddr_in* from) {
  sockaddr_in tmp;
  socklen_t alen = sizeof tmp;
  return api_.RecvFrom(fd, buf, len, 0, reinterpret_cast<sockaddr*>(from ? from : &tmp), &alen);
}

inline int UstackBackend::SetIntOption(int fd, int level, int name, int value) {
  return api_.SetSockOpt(fd, level, name, &value, sizeof value);
}

inline int UstackBackend::GetSockName(int fd, sockaddr_in* addr) {
  socklen_t len = sizeof *addr;
  return api_.GetSockName(fd, reinterpret_cast<sockaddr*>(addr), &len);
}

inline int UstackBackend::Shutdown(int fd, int how) { return api_.Shutdown(fd, how); }

inline int UstackBackend::Close(int fd) { return api_.Close(fd); }

inline int UstackBackend::Watch(int fd) {
  epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
  ev.data.fd = fd;
  return api_.EpollCtl(epfd_, EPOLL_CTL_ADD, fd, &ev);
}

inline int UstackBackend::Unwatch(int fd) {
  return api_.EpollCtl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
}

inline int UstackBackend::Wait(std::span<epoll_event> out, Duration /*timeout*/) {
  return api_.EpollWait(epfd_, out.data(), static_cast<int>(out.size()));
}

}  // namespace ustack::co
