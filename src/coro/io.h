// Leaf awaits over the scheduler's IoBackend: each tries its operation at once and parks
// only on -EAGAIN, then retries when the fd is reported ready. They return the backend's
// value or -errno, including -ETIMEDOUT (context deadline), -ECANCELED (context cancelled)
// and -EBADF (fd closed through Scheduler::Close while waiting). Buffers passed in must
// stay valid until the await completes. ReadExactly and WriteAll are loops over them.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <utility>

#include "coro/scheduler.h"
#include "coro/task.h"

namespace ustack::co {

class AcceptOp : public Waiter {
 public:
  AcceptOp(int fd, sockaddr_in* peer) : Waiter(fd, Dir::kIn), peer_(peer) {}
  int await_resume() const { return static_cast<int>(result_); }

 protected:
  int64_t Attempt() override { return backend().Accept(fd_, peer_); }

 private:
  sockaddr_in* peer_;
};

class ConnectOp : public Waiter {
 public:
  ConnectOp(int fd, const sockaddr_in& addr) : Waiter(fd, Dir::kOut), addr_(addr) {}
  int await_resume() const { return static_cast<int>(result_); }

 protected:
  int64_t Attempt() override;

 private:
  sockaddr_in addr_;
  bool started_ = false;
};

class ReadOp : public Waiter {
 public:
  ReadOp(int fd, std::span<uint8_t> buf) : Waiter(fd, Dir::kIn), buf_(buf) {}
  ssize_t await_resume() const { return static_cast<ssize_t>(result_); }

 protected:
  int64_t Attempt() override { return backend().Read(fd_, buf_.data(), buf_.size()); }

 private:
  std::span<uint8_t> buf_;
};

class WriteOp : public Waiter {
 public:
  WriteOp(int fd, std::span<const uint8_t> buf) : Waiter(fd, Dir::kOut), buf_(buf) {}
  ssize_t await_resume() const { return static_cast<ssize_t>(result_); }

 protected:
  int64_t Attempt() override { return backend().Write(fd_, buf_.data(), buf_.size()); }

 private:
  std::span<const uint8_t> buf_;
};

class SendToOp : public Waiter {
 public:
  SendToOp(int fd, std::span<const uint8_t> buf, const sockaddr_in& to)
      : Waiter(fd, Dir::kOut), buf_(buf), to_(to) {}
  ssize_t await_resume() const { return static_cast<ssize_t>(result_); }

 protected:
  int64_t Attempt() override { return backend().SendTo(fd_, buf_.data(), buf_.size(), to_); }

 private:
  std::span<const uint8_t> buf_;
  sockaddr_in to_;
};

class RecvFromOp : public Waiter {
 public:
  RecvFromOp(int fd, std::span<uint8_t> buf, sockaddr_in* from)
      : Waiter(fd, Dir::kIn), buf_(buf), from_(from) {}
  ssize_t await_resume() const { return static_cast<ssize_t>(result_); }

 protected:
  int64_t Attempt() override { return backend().RecvFrom(fd_, buf_.data(), buf_.size(), from_); }

 private:
  std::span<uint8_t> buf_;
  sockaddr_in* from_;
};

// Returns 0 after `d`, or -ETIMEDOUT / -ECANCELED if the context ends first.
class SleepOp : public Waiter {
 public:
  explicit SleepOp(Duration d) : d_(d) {}
  int await_resume() const { return static_cast<int>(result_); }

 protected:
  int64_t Attempt() override { return -EAGAIN; }
  Instant OwnWakeTime() const override;

 private:
  Duration d_;
};

// Waits for the next readiness edge of fd in one direction, for code that does its own
// non-blocking I/O (a protocol state machine over the backend's Read/Write) and has just
// seen -EAGAIN: it never completes at once. Returns 0 when woken by readiness (or an
// error or hang-up on the fd) or when `until` passes (the caller retries its I/O and looks
// at the clock), else -ETIMEDOUT / -ECANCELED (context) or -EBADF (Scheduler::Close).
class ReadyOp : public Waiter {
 public:
  ReadyOp(int fd, Dir dir, Instant until) : Waiter(fd, dir), until_(until) {}
  int await_resume() const { return static_cast<int>(result_); }

 protected:
  // The first call comes from Begin (the caller saw -EAGAIN: wait); later calls come from
  // readiness reported for this direction.
  int64_t Attempt() override { return std::exchange(armed_, true) ? 0 : -EAGAIN; }
  Instant OwnWakeTime() const override { return until_; }

 private:
  Instant until_;
  bool armed_ = false;
};

// A connected fd (or -errno) for each accepted connection; peer may be null.
inline AcceptOp Accept(int listen_fd, sockaddr_in* peer = nullptr) {
  return AcceptOp(listen_fd, peer);
}
// 0 once connected, or -errno.
inline ConnectOp Connect(int fd, const sockaddr_in& addr) { return ConnectOp(fd, addr); }
// Bytes read (0 at end of stream) or -errno.
inline ReadOp Read(int fd, std::span<uint8_t> buf) { return ReadOp(fd, buf); }
// Bytes written (possibly fewer than asked) or -errno.
inline WriteOp Write(int fd, std::span<const uint8_t> buf) { return WriteOp(fd, buf); }
inline SendToOp UdpSendTo(int fd, std::span<const uint8_t> buf, const sockaddr_in& to) {
  return SendToOp(fd, buf, to);
}
inline RecvFromOp UdpRecvFrom(int fd, std::span<uint8_t> buf, sockaddr_in* from = nullptr) {
  return RecvFromOp(fd, buf, from);
}
inline SleepOp Sleep(Duration d) { return SleepOp(d); }
// ReadyOp: readable (data, end of stream, error) or writable again, at most until `until`.
inline ReadyOp WaitReadable(int fd, Instant until = Instant::Max()) {
  return ReadyOp(fd, Waiter::Dir::kIn, until);
}
inline ReadyOp WaitWritable(int fd, Instant until = Instant::Max()) {
  return ReadyOp(fd, Waiter::Dir::kOut, until);
}

// Reads until `buf` is full: buf.size(), fewer bytes if the stream ended first, or -errno.
Task<ssize_t> ReadExactly(int fd, std::span<uint8_t> buf);
// Writes all of `buf`: buf.size() or -errno.
Task<ssize_t> WriteAll(int fd, std::span<const uint8_t> buf);

// Helpers for the common socket set-up through the scheduler's backend.
sockaddr_in MakeAddr(const char* dotted, uint16_t port);  // sin_family 0 if unparsable
// A bound (and, for SOCK_STREAM, listening) socket, or -errno.
int ListenOn(Scheduler& sched, int type, const sockaddr_in& addr, int backlog = 1024);
// A new TCP connection to addr (fd) or -errno; the fd is closed on failure.
Task<int> ConnectTcp(Scheduler& sched, sockaddr_in addr);

}  // namespace ustack::co
