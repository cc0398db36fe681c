// SocketApi: poll, select, epoll_wait with a timeout, and kqueue. Each scans readiness now
// and, when nothing is ready and the timeout allows, drives the poll loop (see Drive).
#include <climits>
#include <cstring>

#include "socket/fd_table.h"
#include "socket/kqueue.h"
#include "stack/stack.h"

namespace ustack {
namespace {

inline constexpr nfds_t kMaxPollFds = 1 << 20;

std::optional<Duration> MillisTimeout(int ms) {
  if (ms < 0) return std::nullopt;
  return Duration::Millis(ms);
}

// Linux's poll bits equal its epoll bits; POLLRDNORM / POLLWRNORM follow POLLIN / POLLOUT.
short PollRevents(uint32_t ready, short asked) {
  uint32_t r = ready & (static_cast<uint16_t>(asked) | POLLERR | POLLHUP);
  if ((ready & POLLIN) && (asked & POLLRDNORM)) r |= POLLRDNORM;
  if ((ready & POLLOUT) && (asked & POLLWRNORM)) r |= POLLWRNORM;
  return static_cast<short>(r);
}

}  // namespace

uint32_t SocketApi::ReadinessOf(int fd) const {
  SocketObj* s = impl_->Sock(fd);
  return s ? s->Readiness() : 0;  // epoll and kqueue fds never poll ready here
}

int SocketApi::Poll(pollfd* fds, nfds_t nfds, int timeout_ms) {
  if (nfds > kMaxPollFds) return -EINVAL;
  if (!fds && nfds > 0) return -EFAULT;
  auto scan = [&] {
    int n = 0;
    for (nfds_t i = 0; i < nfds; ++i) {
      pollfd& p = fds[i];
      p.revents = 0;
      if (p.fd < 0) continue;  // ignored, as in poll(2)
      if (!impl_->Get(p.fd)) {
        p.revents = POLLNVAL;
      } else {
        p.revents = PollRevents(ReadinessOf(p.fd), p.events);
      }
      if (p.revents) ++n;
    }
    return n;
  };
  int n = scan();
  if (n > 0 || timeout_ms == 0) return n;
  const int rc = Drive([&] { return (n = scan()) > 0; }, MillisTimeout(timeout_ms));
  return rc == -EINTR ? rc : n;
}

int SocketApi::Select(int nfds, fd_set* readfds, fd_set* writefds, fd_set* exceptfds,
                      timeval* timeout) {
  if (nfds < 0 || nfds > FD_SETSIZE) return -EINVAL;
  if (timeout && (timeout->tv_sec < 0 || timeout->tv_usec < 0 || timeout->tv_usec >= 1000000)) {
    return -EINVAL;
  }
  fd_set in_r, in_w, in_e;
  FD_ZERO(&in_r);
  FD_ZERO(&in_w);
  FD_ZERO(&in_e);
  if (readfds) in_r = *readfds;
  if (writefds) in_w = *writefds;
  if (exceptfds) in_e = *exceptfds;
  for (int fd = 0; fd < nfds; ++fd) {
    const bool asked = FD_ISSET(fd, &in_r) || FD_ISSET(fd, &in_w) || FD_ISSET(fd, &in_e);
    if (asked && !impl_->Get(fd)) return -EBADF;
  }
  fd_set out_r, out_w, out_e;
  auto scan = [&] {
    FD_ZERO(&out_r);
    FD_ZERO(&out_w);
    FD_ZERO(&out_e);
    int n = 0;
    for (int fd = 0; fd < nfds; ++fd) {
      const uint32_t ev = ReadinessOf(fd);
      // select(2): readable on data, EOF or error; writable when space or error.
      if (FD_ISSET(fd, &in_r) && (ev & (kEventIn | kEventHup | kEventErr))) {
        FD_SET(fd, &out_r);
        ++n;
      }
      if (FD_ISSET(fd, &in_w) && (ev & (kEventOut | kEventErr))) {
        FD_SET(fd, &out_w);
        ++n;
      }
    }
    return n;  // no out-of-band data, so the except set stays empty
  };
  int n = scan();
  if (n == 0 && !(timeout && timeout->tv_sec == 0 && timeout->tv_usec == 0)) {
    std::optional<Duration> limit;
    if (timeout) limit = Duration::Seconds(timeout->tv_sec) + Duration::Micros(timeout->tv_usec);
    const int rc = Drive([&] { return (n = scan()) > 0; }, limit);
    if (rc == -EINTR) return rc;
  }
  if (readfds) *readfds = out_r;
  if (writefds) *writefds = out_w;
  if (exceptfds) *exceptfds = out_e;
  return n;
}

int SocketApi::EpollWait(int epfd, epoll_event* events, int max_events, int timeout_ms) {
  int n = EpollWait(epfd, events, max_events);
  if (n != 0 || timeout_ms == 0) return n;
  const int rc = Drive([&] { return (n = EpollWait(epfd, events, max_events)) != 0; },
                       MillisTimeout(timeout_ms));
  return rc == -EINTR ? rc : n;
}

int SocketApi::Kqueue() { return impl_->Insert(std::make_shared<KqueueObj>()); }

int SocketApi::Kevent(int kq, const KEvent* changes, int nchanges, KEvent* events, int nevents,
                      const timespec* timeout) {
  FdObject* o = impl_->Get(kq);
  if (!o || o->kind() != ObjKind::kKqueue) return -EBADF;
  if (nchanges < 0 || nevents < 0) return -EINVAL;
  if ((!changes && nchanges > 0) || (!events && nevents > 0)) return -EFAULT;
  if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000)) {
    return -EINVAL;
  }
  auto* q = static_cast<KqueueObj*>(o);
  int receipts = 0;
  for (int i = 0; i < nchanges; ++i) {
    const KEvent& ch = changes[i];
    const bool socket_filter = ch.filter == kEvFiltRead || ch.filter == kEvFiltWrite;
    const int fd = ch.ident <= static_cast<uintptr_t>(INT_MAX) ? static_cast<int>(ch.ident) : -1;
    SocketObj* sock = socket_filter ? impl_->Sock(fd) : nullptr;
    const bool is_fd = socket_filter && impl_->Get(fd) != nullptr;
    const int rc = q->Apply(ch, sock, is_fd, now_);
    if (rc == 0 && !(ch.flags & kEvReceipt)) continue;
    // FreeBSD: an error (or EV_RECEIPT) is returned as an EV_ERROR event when there is room,
    // else the call fails with it.
    if (receipts < nevents) {
      events[receipts] = ch;
      events[receipts].flags = kEvError;
      events[receipts].data = -rc;
      ++receipts;
    } else if (rc < 0) {
      return rc;
    }
  }
  if (receipts > 0) return receipts;
  if (nevents == 0) return 0;
  int n = q->Collect(events, nevents, now_);
  if (n > 0 || (timeout && timeout->tv_sec == 0 && timeout->tv_nsec == 0)) return n;
  std::optional<Duration> limit;
  if (timeout) limit = Duration::Seconds(timeout->tv_sec) + Duration::Nanos(timeout->tv_nsec);
  const int rc = Drive([&] { return (n = q->Collect(events, nevents, now_)) > 0; }, limit);
  return rc == -EINTR ? rc : n;
}

}  // namespace ustack
