// SocketApi: POSIX-style sockets, epoll, kqueue, poll and select over one Stack. Calls return
// what the libc call would return on success, or -errno (Linux values) on failure; the C API
// (src/capi) maps that onto errno. All calls must be made on the stack's own thread.
//
// Blocking: without a poll_once hook every call is non-blocking (readiness is reported
// through epoll/kqueue/poll and updated by Stack::Poll). Once the owner of the poll loop sets
// the hook, a socket without O_NONBLOCK blocks like a Linux socket: the call runs poll_once
// until the socket is ready, SO_RCVTIMEO / SO_SNDTIMEO pass (EAGAIN; EINPROGRESS for
// connect) or poll_once returns false because the process is stopping (EINTR). The timeouts
// of epoll_wait, poll, select and kevent drive the loop the same way.
#pragma once

#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>

#include "base/time.h"

namespace ustack {

class Stack;
class FdObject;
class SocketObj;
class UdpSock;
struct KEvent;

// One zero-copy receive buffer (see SocketApi::ZcRecv): read-only bytes in a received mbuf,
// valid until the handle is given back to ZcRecvDone. The C API's struct ff_zc_iov has the
// same layout.
struct ZcIov {
  const void* base;
  size_t len;
  uint64_t handle;
};

class SocketApi {
 public:
  // Runs one poll-loop iteration (clock, Stack::Poll, set_now). Returns false when the
  // process is stopping, which ends any wait with EINTR.
  using PollOnce = std::function<bool()>;

  explicit SocketApi(Stack& stack);
  ~SocketApi();
  SocketApi(const SocketApi&) = delete;
  SocketApi& operator=(const SocketApi&) = delete;

  void set_poll_once(PollOnce f) { poll_once_ = std::move(f); }
  bool can_block() const { return static_cast<bool>(poll_once_); }

  // AF_INET with SOCK_STREAM or SOCK_DGRAM; SOCK_NONBLOCK sets O_NONBLOCK, SOCK_CLOEXEC is
  // accepted and ignored.
  int Socket(int domain, int type, int protocol);
  // AF_UNIX (AF_LOCAL) SOCK_STREAM: two connected stream sockets inside this fd table, like
  // Linux's socketpair(2); sv receives the two fds. Other types fail with EOPNOTSUPP.
  int Socketpair(int domain, int type, int protocol, int sv[2]);
  int Bind(int fd, const sockaddr* addr, socklen_t len);
  int Listen(int fd, int backlog);
  int Accept(int fd, sockaddr* addr, socklen_t* len) { return Accept4(fd, addr, len, 0); }
  // flags: SOCK_NONBLOCK, SOCK_CLOEXEC. Like Linux, the new fd does not inherit O_NONBLOCK.
  int Accept4(int fd, sockaddr* addr, socklen_t* len, int flags);
  // Non-blocking TCP: -EINPROGRESS, completion shows as EPOLLOUT (or EPOLLERR + SO_ERROR).
  int Connect(int fd, const sockaddr* addr, socklen_t len);
  ssize_t Read(int fd, void* buf, size_t len);
  // buf may be a zero-copy send handle (ZcMbufGet), as for SendTo.
  ssize_t Write(int fd, const void* buf, size_t len);
  // flags: MSG_DONTWAIT; MSG_NOSIGNAL (no signal is ever raised: EPIPE is returned) and
  // MSG_MORE are accepted; MSG_OOB fails with EOPNOTSUPP (no urgent data).
  // buf may be a zero-copy send handle: len bytes of it, the first ones written and not yet
  // sent (-EINVAL if it has fewer, or if the handle is stale or forged), are queued like
  // ordinary data and the count taken is returned; a TCP socket takes them by reference
  // (no copy), UDP and socketpair sockets copy them. A blocking socket waits as usual.
  ssize_t SendTo(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                 socklen_t tolen);
  // flags: MSG_DONTWAIT; MSG_PEEK (the bytes, or the datagram, stay queued); MSG_WAITALL
  // (stream sockets: a blocking call returns only with len bytes, at end of stream, on an
  // error or when SO_RCVTIMEO passes; ignored with MSG_PEEK, for UDP and when non-blocking,
  // as on Linux); MSG_OOB fails with EOPNOTSUPP.
  ssize_t RecvFrom(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen);
  // Zero-copy receive (TCP): lends the application up to iovcnt received segments without
  // copying them, each as a read-only ZcIov pointing into the mbuf it arrived in. Returns the
  // number of iovs filled, 0 at end of stream, or -errno (EAGAIN, ENOTCONN, EOPNOTSUPP for
  // other socket types; blocks like recv on a blocking socket, MSG_DONTWAIT honoured). The
  // bytes count as read: the receive window opens at once. Every lent buffer must be given
  // back with ZcRecvDone, in any order, also after the socket is closed; until then its mbuf
  // stays out of the pool. Buffers still lent when the SocketApi is destroyed are freed then.
  ssize_t ZcRecv(int fd, ZcIov* iov, int iovcnt, int flags);
  // Gives lent buffers back. -EINVAL when a handle is not lent (never, or returned already);
  // the valid ones among them are still returned.
  int ZcRecvDone(const ZcIov* iov, int iovcnt);
  size_t zc_outstanding() const;
  // Zero-copy send (F-Stack's ff_zc_mbuf_get / ff_zc_mbuf_write; socket/zero_copy_send.h).
  // ZcMbufGet allocates a buffer for len bytes in the stack's mbuf pool and stores its handle
  // (an opaque pointer value, never to be dereferenced) in *handle: 0, or -EINVAL (len <= 0
  // or > INT_MAX, handle null), -ENOMEM (the pool cannot spare the mbufs: a quarter of it
  // stays for the stack). Write/SendTo with the handle as buf then send its bytes. A buffer
  // is released once every byte written to it has been sent (unused room included), by
  // ZcMbufFree, or when the SocketApi is destroyed; its handle is then stale.
  int ZcMbufGet(int64_t len, void** handle);
  // Copies len bytes after those already written: returns len; -EINVAL for a stale or
  // unknown handle, len < 0 or more bytes than the room left; -EFAULT for null data.
  int64_t ZcMbufWrite(const void* handle, const void* data, int64_t len);
  // Releases a buffer and its unsent bytes (bytes already sent stay queued on their socket).
  // -EINVAL for a stale or unknown handle.
  int ZcMbufFree(const void* handle);
  size_t zc_mbufs_outstanding() const;
  ssize_t ReadV(int fd, const iovec* iov, int iovcnt);
  ssize_t WriteV(int fd, const iovec* iov, int iovcnt);
  ssize_t SendMsg(int fd, const msghdr* msg, int flags);
  ssize_t RecvMsg(int fd, msghdr* msg, int flags);
  int Shutdown(int fd, int how);
  int Close(int fd);
  int GetSockOpt(int fd, int level, int name, void* val, socklen_t* len);
  int SetSockOpt(int fd, int level, int name, const void* val, socklen_t len);
  int GetSockName(int fd, sockaddr* addr, socklen_t* len);
  int GetPeerName(int fd, sockaddr* addr, socklen_t* len);

  // FIONBIO (int*), FIONREAD (int*: readable bytes of a TCP or socketpair socket, the size
  // of the next datagram of a UDP socket), FIOCLEX/FIONCLEX (FD_CLOEXEC, kept per fd).
  // Anything else fails with ENOTTY.
  int Ioctl(int fd, unsigned long request, void* arg);
  // F_GETFL / F_SETFL (O_NONBLOCK), F_GETFD / F_SETFD (FD_CLOEXEC, recorded: no exec here),
  // F_DUPFD / F_DUPFD_CLOEXEC. Anything else fails with EINVAL.
  int Fcntl(int fd, int cmd, long arg);
  int Dup(int fd);
  // newfd must be in [3, 2^20]; fds 0-2 belong to the process, not to the stack (EBADF).
  int Dup2(int oldfd, int newfd);

  // poll(2) and select(2) over stack fds; timeout_ms < 0 / timeout null waits forever.
  int Poll(pollfd* fds, nfds_t nfds, int timeout_ms);
  int Select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds, timeval* timeout);

  // epoll with Linux semantics for EPOLLIN/OUT/ERR/HUP/RDHUP, EPOLLET, EPOLLONESHOT;
  // EPOLLEXCLUSIVE is accepted (one process, one waiter: nothing to exclude).
  int EpollCreate();
  int EpollCtl(int epfd, int op, int fd, epoll_event* ev);
  // Never blocks: returns the events ready now (0 if none).
  int EpollWait(int epfd, epoll_event* events, int max_events);
  // Drives the loop up to timeout_ms (< 0: forever) when nothing is ready.
  int EpollWait(int epfd, epoll_event* events, int max_events, int timeout_ms);

  // kqueue with FreeBSD semantics, see socket/kqueue.h. timeout null waits forever.
  int Kqueue();
  int Kevent(int kq, const KEvent* changes, int nchanges, KEvent* events, int nevents,
             const timespec* timeout);

  Stack& stack() { return stack_; }
  // Monotonic time of the current poll iteration, for apps that need a clock.
  Instant now() const { return now_; }
  void set_now(Instant now) { now_ = now; }

 private:
  struct Impl;
  bool Blocks(const FdObject* o, int flags = 0) const;
  // Runs poll_once until done() holds: 0, or -EAGAIN when `timeout` (none: forever) passes,
  // or -EINTR when the loop is stopping. Without a hook: -EAGAIN at once.
  int Drive(const std::function<bool()>& done, std::optional<Duration> timeout);
  int DriveUntil(const std::function<bool()>& done, std::optional<Instant> deadline);
  static std::optional<Duration> SockTimeout(Duration d);
  std::optional<Instant> DeadlineAfter(Duration sock_timeout) const;
  int AcceptNow(int fd, sockaddr* addr, socklen_t* len, int flags);
  int ConnectWait(int fd, SocketObj* s);
  ssize_t SendNow(int fd, std::span<const uint8_t> data, const sockaddr* to, socklen_t tolen);
  ssize_t RecvNow(int fd, std::span<uint8_t> out, bool peek, sockaddr* from, socklen_t* fromlen);
  ssize_t UdpRecvNow(UdpSock* u, std::span<uint8_t> out, bool peek, sockaddr* from,
                     socklen_t* fromlen);
  ssize_t ZcRecvNow(int fd, ZcIov* iov, int iovcnt);
  // A blocking stream send: once(done) queues from byte `done` on; returns once len bytes
  // are queued, or what was queued when SO_SNDTIMEO passes, the loop stops or an error comes.
  template <typename SendOnce>
  ssize_t SendBlocking(SocketObj* s, size_t len, SendOnce&& once);
  ssize_t ZcSendTo(int fd, const void* handle, size_t len, int flags, const sockaddr* to,
                   socklen_t tolen);
  ssize_t ZcSendNow(int fd, const void* handle, size_t len, const sockaddr* to, socklen_t tolen);
  uint32_t ReadinessOf(int fd) const;

  Stack& stack_;
  Instant now_;
  std::unique_ptr<Impl> impl_;
  PollOnce poll_once_;
};

}  // namespace ustack
