// libustack_packetdrill.so: ustack behind packetdrill's --so_filename interface. One Plugin
// per packetdrill_interface_init() call owns an L3Harness (one Stack, manual clock). The
// clock moves only in usleep(); gettimeofday() reports it (from the wall-clock time at init).
//
// Threads: packetdrill runs blocking system calls in a thread of their own while its main
// thread goes on injecting packets and sleeping, so every entry point takes the plugin's
// mutex. A call that would block on a blocking socket waits on a condition variable (so
// packetdrill sees the thread sleeping) and is retried whenever a packet is injected or the
// clock moves. Sockets are blocking unless SOCK_NONBLOCK / O_NONBLOCK / MSG_DONTWAIT say
// otherwise, as in Linux. Calls the stack does not offer fail with EOPNOTSUPP.
#include <fcntl.h>
#include <sys/time.h>

#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "packetdrill/l3_harness.h"
#include "packetdrill/packetdrill_interface.h"
#include "packetdrill/stack_flags.h"

namespace ustack::pd {
namespace {

class Plugin {
 public:
  explicit Plugin(std::unique_ptr<L3Harness> h) : h_(std::move(h)) {
    timeval tv{};
    ::gettimeofday(&tv, nullptr);
    epoch_usecs_ = static_cast<int64_t>(tv.tv_sec) * 1000000 + tv.tv_usec;
  }

  // Runs `attempt` (returning >= 0 or -errno) under the lock; while it would block (returns
  // `block_code`) and the call is blocking, waits for the stack to change and retries. A
  // timeout (virtual microseconds, < 0 for none) ends the wait with `timeout_result`.
  template <typename F>
  ssize_t Call(bool blocking, F attempt, int block_code = -EAGAIN, int64_t timeout = -1,
               ssize_t timeout_result = -EAGAIN) {
    std::unique_lock<std::mutex> lock(mu_);
    const int64_t start = h_->elapsed_usecs();
    ssize_t r = attempt(true);
    h_->Settle();
    while (blocking && r == block_code) {
      if (timeout >= 0 && h_->elapsed_usecs() - start >= timeout) {
        r = timeout_result;
        break;
      }
      changed_.wait(lock);
      r = attempt(false);
      h_->Settle();
    }
    return Finish(r);
  }

  static ssize_t Finish(ssize_t r) {
    if (r >= 0) return r;
    errno = static_cast<int>(-r);
    return -1;
  }

  bool Nonblocking(int fd) {
    std::lock_guard<std::mutex> lock(mu_);
    return nonblocking_.count(fd) != 0;
  }
  void SetNonblocking(int fd, bool on) {
    std::lock_guard<std::mutex> lock(mu_);
    if (on) {
      nonblocking_.insert(fd);
    } else {
      nonblocking_.erase(fd);
    }
  }

  int Inject(const void* buf, size_t count) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto* b = static_cast<const uint8_t*>(buf);
    if (!buf || count < 20 || (b[0] >> 4) != 4) {  // IPv6 is not supported yet
      errno = (buf && count > 0 && (b[0] >> 4) == 6) ? EAFNOSUPPORT : EINVAL;
      return -1;
    }
    const bool ok = h_->Inject({b, count});
    changed_.notify_all();
    if (!ok) errno = ENOBUFS;
    return ok ? 0 : -1;
  }

  int Receive(void* buf, size_t* count, long long* time_usecs) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!count) {
      errno = EFAULT;
      return -1;
    }
    if (!h_->has_output()) {
      *count = 0;
      return 0;
    }
    OutPacket p = h_->PopOutput();
    const size_t n = std::min(*count, p.bytes.size());
    if (buf) std::memcpy(buf, p.bytes.data(), n);
    *count = n;
    if (time_usecs) *time_usecs = epoch_usecs_ + (p.sent - h_->start()).micros();
    return 0;
  }

  int Sleep(useconds_t usec) {
    std::lock_guard<std::mutex> lock(mu_);
    h_->AdvanceTo(h_->now() + Duration::Micros(usec));
    changed_.notify_all();
    return 0;
  }

  int TimeOfDay(timeval* tv) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tv) return 0;
    const int64_t t = epoch_usecs_ + h_->elapsed_usecs();
    tv->tv_sec = static_cast<time_t>(t / 1000000);
    tv->tv_usec = static_cast<suseconds_t>(t % 1000000);
    return 0;
  }

  SocketApi& api() { return h_->api(); }  // only inside Call()

 private:
  std::unique_ptr<L3Harness> h_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::set<int> nonblocking_;
  int64_t epoch_usecs_ = 0;
};

Plugin& P(void* u) { return *static_cast<Plugin*>(u); }

ssize_t Unsupported() {
  errno = EOPNOTSUPP;
  return -1;
}

// Gathers an iovec into one buffer (writes) or sizes one (reads).
size_t IovTotal(const iovec* iov, int n) {
  size_t t = 0;
  for (int i = 0; i < n && iov; ++i) t += iov[i].iov_len;
  return t;
}

void Scatter(const std::vector<uint8_t>& data, size_t n, const iovec* iov, int cnt) {
  size_t off = 0;
  for (int i = 0; i < cnt && off < n; ++i) {
    const size_t k = std::min(iov[i].iov_len, n - off);
    std::memcpy(iov[i].iov_base, data.data() + off, k);
    off += k;
  }
}

std::vector<uint8_t> Gather(const iovec* iov, int cnt) {
  std::vector<uint8_t> out;
  for (int i = 0; i < cnt && iov; ++i) {
    const auto* b = static_cast<const uint8_t*>(iov[i].iov_base);
    out.insert(out.end(), b, b + iov[i].iov_len);
  }
  return out;
}

int Socket(void* u, int domain, int type, int protocol) {
  Plugin& p = P(u);
  const ssize_t fd = p.Call(false, [&](bool) { return p.api().Socket(domain, type, protocol); });
  if (fd >= 0 && (type & SOCK_NONBLOCK)) p.SetNonblocking(static_cast<int>(fd), true);
  return static_cast<int>(fd);
}

int Bind(void* u, int fd, const sockaddr* a, socklen_t l) {
  Plugin& p = P(u);
  return static_cast<int>(p.Call(false, [&](bool) { return p.api().Bind(fd, a, l); }));
}

int Listen(void* u, int fd, int backlog) {
  Plugin& p = P(u);
  return static_cast<int>(p.Call(false, [&](bool) { return p.api().Listen(fd, backlog); }));
}

int Accept(void* u, int fd, sockaddr* a, socklen_t* l) {
  Plugin& p = P(u);
  return static_cast<int>(
      p.Call(!p.Nonblocking(fd), [&](bool) { return p.api().Accept(fd, a, l); }));
}

int Connect(void* u, int fd, const sockaddr* a, socklen_t l) {
  Plugin& p = P(u);
  // A blocking connect waits while the handshake runs: the first call says EINPROGRESS,
  // later ones EALREADY until the outcome (0 or the error) is known.
  const bool blocking = !p.Nonblocking(fd);
  return static_cast<int>(p.Call(
      blocking,
      [&](bool first) {
        const int r = p.api().Connect(fd, a, l);
        return (!first && r == -EALREADY) || (first && blocking && r == -EINPROGRESS) ? -EALREADY
                                                                                      : r;
      },
      -EALREADY));
}

ssize_t RecvCommon(void* u, int fd, void* buf, size_t len, int flags, sockaddr* from,
                   socklen_t* fl) {
  Plugin& p = P(u);
  if (flags & MSG_PEEK) return Unsupported();
  const bool blocking = !p.Nonblocking(fd) && !(flags & MSG_DONTWAIT);
  return p.Call(blocking, [&](bool) { return p.api().RecvFrom(fd, buf, len, 0, from, fl); });
}

ssize_t SendCommon(void* u, int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                   socklen_t tl) {
  Plugin& p = P(u);
  const bool blocking = !p.Nonblocking(fd) && !(flags & MSG_DONTWAIT);
  size_t done = 0;
  // A blocking send returns once everything is queued (or on an error after partial progress).
  return p.Call(blocking, [&](bool) -> ssize_t {
    const auto* b = static_cast<const uint8_t*>(buf);
    const ssize_t r = p.api().SendTo(fd, b + done, len - done, 0, to, tl);
    if (r < 0) return done > 0 && r != -EAGAIN ? static_cast<ssize_t>(done) : r;
    done += static_cast<size_t>(r);
    return done < len && blocking ? -EAGAIN : static_cast<ssize_t>(done);
  });
}

ssize_t Read(void* u, int fd, void* buf, size_t n) {
  return RecvCommon(u, fd, buf, n, 0, nullptr, nullptr);
}
ssize_t Recv(void* u, int fd, void* buf, size_t n, int fl) {
  return RecvCommon(u, fd, buf, n, fl, nullptr, nullptr);
}
ssize_t RecvFrom(void* u, int fd, void* buf, size_t n, int fl, sockaddr* a, socklen_t* l) {
  return RecvCommon(u, fd, buf, n, fl, a, l);
}
ssize_t Write(void* u, int fd, const void* buf, size_t n) {
  return SendCommon(u, fd, buf, n, 0, nullptr, 0);
}
ssize_t Send(void* u, int fd, const void* buf, size_t n, int fl) {
  return SendCommon(u, fd, buf, n, fl, nullptr, 0);
}
ssize_t SendTo(void* u, int fd, const void* buf, size_t n, int fl, const sockaddr* a, socklen_t l) {
  return SendCommon(u, fd, buf, n, fl, a, l);
}

ssize_t ReadV(void* u, int fd, const iovec* iov, int cnt) {
  std::vector<uint8_t> tmp(IovTotal(iov, cnt));
  const ssize_t r = RecvCommon(u, fd, tmp.data(), tmp.size(), 0, nullptr, nullptr);
  if (r > 0) Scatter(tmp, static_cast<size_t>(r), iov, cnt);
  return r;
}

ssize_t WriteV(void* u, int fd, const iovec* iov, int cnt) {
  const std::vector<uint8_t> tmp = Gather(iov, cnt);
  return SendCommon(u, fd, tmp.data(), tmp.size(), 0, nullptr, 0);
}

ssize_t RecvMsg(void* u, int fd, msghdr* m, int flags) {
  if (!m) return Unsupported();
  std::vector<uint8_t> tmp(IovTotal(m->msg_iov, static_cast<int>(m->msg_iovlen)));
  socklen_t nl = m->msg_namelen;
  const ssize_t r = RecvCommon(u, fd, tmp.data(), tmp.size(), flags,
                               static_cast<sockaddr*>(m->msg_name), m->msg_name ? &nl : nullptr);
  if (r > 0) Scatter(tmp, static_cast<size_t>(r), m->msg_iov, static_cast<int>(m->msg_iovlen));
  if (r >= 0) {
    m->msg_namelen = m->msg_name ? nl : 0;
    m->msg_controllen = 0;
    m->msg_flags = 0;
  }
  return r;
}

ssize_t SendMsg(void* u, int fd, const msghdr* m, int flags) {
  if (!m) return Unsupported();
  const std::vector<uint8_t> tmp = Gather(m->msg_iov, static_cast<int>(m->msg_iovlen));
  return SendCommon(u, fd, tmp.data(), tmp.size(), flags, static_cast<const sockaddr*>(m->msg_name),
                    m->msg_namelen);
}

int Fcntl(void* u, int fd, int cmd, ...) {
  Plugin& p = P(u);
  va_list ap;
  va_start(ap, cmd);
  const long arg = (cmd == F_SETFL || cmd == F_SETFD) ? va_arg(ap, long) : 0;
  va_end(ap);
  switch (cmd) {
    case F_GETFL:
      return O_RDWR | (p.Nonblocking(fd) ? O_NONBLOCK : 0);
    case F_SETFL:
      p.SetNonblocking(fd, (arg & O_NONBLOCK) != 0);
      return 0;
    case F_GETFD:
    case F_SETFD:
      return 0;
    default:
      return static_cast<int>(Unsupported());
  }
}

int Ioctl(void*, int, unsigned long, ...) { return static_cast<int>(Unsupported()); }

int Close(void* u, int fd) {
  Plugin& p = P(u);
  const int r = static_cast<int>(p.Call(false, [&](bool) { return p.api().Close(fd); }));
  if (r == 0) p.SetNonblocking(fd, false);
  return r;
}

int Shutdown(void* u, int fd, int how) {
  Plugin& p = P(u);
  return static_cast<int>(p.Call(false, [&](bool) { return p.api().Shutdown(fd, how); }));
}

int GetSockOpt(void* u, int fd, int level, int name, void* v, socklen_t* l) {
  Plugin& p = P(u);
  return static_cast<int>(
      p.Call(false, [&](bool) { return p.api().GetSockOpt(fd, level, name, v, l); }));
}

int SetSockOpt(void* u, int fd, int level, int name, const void* v, socklen_t l) {
  Plugin& p = P(u);
  return static_cast<int>(
      p.Call(false, [&](bool) { return p.api().SetSockOpt(fd, level, name, v, l); }));
}

// poll() over a private epoll instance; POLL* and EPOLL* bits have the same values.
int Poll(void* u, pollfd* fds, nfds_t n, int timeout_ms) {
  Plugin& p = P(u);
  auto attempt = [&](bool) -> ssize_t {
    SocketApi& api = p.api();
    const int ep = api.EpollCreate();
    if (ep < 0) return ep;
    for (nfds_t i = 0; i < n; ++i) {
      epoll_event ev{};
      ev.events = static_cast<uint32_t>(fds[i].events) | EPOLLERR | EPOLLHUP;
      ev.data.u64 = i;
      fds[i].revents = api.EpollCtl(ep, EPOLL_CTL_ADD, fds[i].fd, &ev) < 0 ? POLLNVAL : 0;
    }
    std::vector<epoll_event> ready(n + 1);
    const int k = api.EpollWait(ep, ready.data(), static_cast<int>(ready.size()));
    api.Close(ep);
    int count = 0;
    for (int i = 0; i < k; ++i)
      fds[ready[i].data.u64].revents = static_cast<short>(ready[i].events);
    for (nfds_t i = 0; i < n; ++i) count += fds[i].revents != 0;
    return count == 0 ? -EAGAIN : count;
  };
  const int64_t timeout = timeout_ms < 0 ? -1 : int64_t{timeout_ms} * 1000;
  const ssize_t r = p.Call(timeout_ms != 0, attempt, -EAGAIN, timeout, 0);
  if (r < 0 && errno == EAGAIN) return 0;  // nothing ready and no time to wait
  return static_cast<int>(r);
}

int EpollCreate(void* u, int size) {
  Plugin& p = P(u);
  if (size <= 0) return static_cast<int>(Plugin::Finish(-EINVAL));
  return static_cast<int>(p.Call(false, [&](bool) { return p.api().EpollCreate(); }));
}

int EpollCtl(void* u, int ep, int op, int fd, epoll_event* ev) {
  Plugin& p = P(u);
  return static_cast<int>(p.Call(false, [&](bool) { return p.api().EpollCtl(ep, op, fd, ev); }));
}

int EpollWait(void* u, int ep, epoll_event* evs, int max, int timeout_ms) {
  Plugin& p = P(u);
  auto attempt = [&](bool) -> ssize_t {
    const int k = p.api().EpollWait(ep, evs, max);
    return k == 0 ? -EAGAIN : k;
  };
  const int64_t timeout = timeout_ms < 0 ? -1 : int64_t{timeout_ms} * 1000;
  const ssize_t r = p.Call(timeout_ms != 0, attempt, -EAGAIN, timeout, 0);
  if (r < 0 && errno == EAGAIN) return 0;
  return static_cast<int>(r);
}

int Pipe(void*, int*) { return static_cast<int>(Unsupported()); }
ssize_t Splice(void*, int, loff_t*, int, loff_t*, size_t, unsigned int) { return Unsupported(); }

int NetdevSend(void* u, const void* buf, size_t count) { return P(u).Inject(buf, count); }
int NetdevReceive(void* u, void* buf, size_t* count, long long* t) {
  return P(u).Receive(buf, count, t);
}
int USleep(void* u, useconds_t usec) { return P(u).Sleep(usec); }
int GetTimeOfDay(void* u, timeval* tv, struct timezone*) { return P(u).TimeOfDay(tv); }
void Free(void* u) { delete static_cast<Plugin*>(u); }

}  // namespace
}  // namespace ustack::pd

extern "C" __attribute__((visibility("default"))) void packetdrill_interface_init(
    const char* flags, packetdrill_interface* ifc) {
  using namespace ustack::pd;
  if (!ifc) return;
  HarnessConfig cfg;
  std::string err;
  if (flags && !ApplyStackFlags(flags, &cfg, &err)) {
    std::fprintf(stderr, "libustack_packetdrill: ignoring bad flags (defaults used):\n%s",
                 err.c_str());
  }
  auto h = L3Harness::Create(cfg, &err);
  if (!h) {
    std::fprintf(stderr, "libustack_packetdrill: cannot start the stack: %s\n", err.c_str());
    std::memset(ifc, 0, sizeof *ifc);
    return;
  }
  *ifc = packetdrill_interface{};
  ifc->userdata = new Plugin(std::move(h));
  ifc->free = Free;
  ifc->socket = Socket;
  ifc->bind = Bind;
  ifc->listen = Listen;
  ifc->accept = Accept;
  ifc->connect = Connect;
  ifc->read = Read;
  ifc->readv = ReadV;
  ifc->recv = Recv;
  ifc->recvfrom = RecvFrom;
  ifc->recvmsg = RecvMsg;
  ifc->write = Write;
  ifc->writev = WriteV;
  ifc->send = Send;
  ifc->sendto = SendTo;
  ifc->sendmsg = SendMsg;
  ifc->fcntl = Fcntl;
  ifc->ioctl = Ioctl;
  ifc->close = Close;
  ifc->shutdown = Shutdown;
  ifc->getsockopt = GetSockOpt;
  ifc->setsockopt = SetSockOpt;
  ifc->poll = Poll;
  ifc->netdev_send = NetdevSend;
  ifc->netdev_receive = NetdevReceive;
  ifc->usleep = USleep;
  ifc->gettimeofday = GetTimeOfDay;
  ifc->epoll_create = EpollCreate;
  ifc->epoll_ctl = EpollCtl;
  ifc->epoll_wait = EpollWait;
  ifc->pipe = Pipe;
  ifc->splice = Splice;
}
