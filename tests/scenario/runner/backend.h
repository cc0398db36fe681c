// Backend: what the runner plays a script against. Either the L3 harness directly (the
// default) or the same stack through libustack_packetdrill.so's packetdrill interface
// (--plugin=PATH), so that every scenario script also tests the plugin. Socket calls return
// what the libc call would, or -errno; sockets are always used non-blocking (the runner
// emulates blocking). Time is in microseconds since the start of the script.
#pragma once

#include <sys/epoll.h>
#include <sys/socket.h>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "packetdrill/l3_harness.h"

namespace ustack::scenario {

struct SentPacket {
  std::vector<uint8_t> bytes;
  int64_t sent = 0;  // usecs since start
};

class Backend {
 public:
  virtual ~Backend() = default;

  virtual int64_t Now() const = 0;
  virtual bool Inject(std::span<const uint8_t> ipv4) = 0;
  // Moves the clock towards t (to the next timer deadline, or a small step); false when the
  // clock is already at t.
  virtual bool StepTowards(int64_t t) = 0;
  // Moves the clock to t at once (timers on the way still fire at their own instants).
  virtual void JumpTo(int64_t t) = 0;
  virtual bool HasOutput() = 0;
  virtual const SentPacket& Front() = 0;
  virtual SentPacket Pop() = 0;

  virtual int Socket(int domain, int type, int protocol) = 0;
  virtual int Bind(int fd, const sockaddr* a, socklen_t l) = 0;
  virtual int Listen(int fd, int backlog) = 0;
  virtual int Accept(int fd, sockaddr* a, socklen_t* l) = 0;
  virtual int Connect(int fd, const sockaddr* a, socklen_t l) = 0;
  virtual ssize_t Read(int fd, void* buf, size_t n) = 0;
  virtual ssize_t Write(int fd, const void* buf, size_t n) = 0;
  virtual int Shutdown(int fd, int how) = 0;
  virtual int Close(int fd) = 0;
  virtual int GetSockOpt(int fd, int level, int name, void* v, socklen_t* l) = 0;
  virtual int SetSockOpt(int fd, int level, int name, const void* v, socklen_t l) = 0;
  virtual int EpollCreate() = 0;
  virtual int EpollCtl(int ep, int op, int fd, epoll_event* ev) = 0;
  virtual int EpollWait(int ep, epoll_event* evs, int max) = 0;  // never blocks
};

// The stack over the L3 harness, configured by cfg.
std::unique_ptr<Backend> MakeHarnessBackend(const pd::HarnessConfig& cfg, std::string* error);
// The stack inside the packetdrill plugin at `path`, configured by `flags` (key=value words).
std::unique_ptr<Backend> MakePluginBackend(const std::string& path, const std::string& flags,
                                           std::string* error);

}  // namespace ustack::scenario
