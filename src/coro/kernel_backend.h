// KernelBackend: IoBackend over the Linux kernel's sockets and one epoll instance. Wait
// blocks in epoll_wait for up to the timeout (rounded up to whole milliseconds). Needs no
// DPDK and no config. Ownership: owns the epoll fd; sockets belong to their users.
#pragma once

#include "coro/backend.h"

namespace ustack::co {

class KernelBackend final : public IoBackend {
 public:
  KernelBackend();
  ~KernelBackend() override;
  KernelBackend(const KernelBackend&) = delete;
  KernelBackend& operator=(const KernelBackend&) = delete;

  // False if epoll_create1 failed.
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
  Instant Now() override;
  const char* Name() const override { return "kernel"; }

 private:
  int epfd_ = -1;
};

}  // namespace ustack::co
