// Socket options and epoll calls of SocketApi. Option numbers are Linux's; an option that is
// not implemented fails with ENOPROTOOPT rather than being silently mapped to another.
#include <netinet/tcp.h>

#include <sys/time.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "socket/fd_table.h"
#include "socket/option_values.h"
#include "socket/tcp_options.h"
#include "stack/stack.h"

namespace ustack {
namespace {

// SO_RCVTIMEO / SO_SNDTIMEO take a struct timeval; Linux fails EDOM on a bad tv_usec and
// treats a negative time as zero (wait forever).
int ReadTimeval(const void* val, socklen_t len, Duration* out) {
  if (!val) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(timeval))) return -EINVAL;
  timeval tv;
  std::memcpy(&tv, val, sizeof tv);
  if (tv.tv_usec < 0 || tv.tv_usec >= 1000000) return -EDOM;
  *out = tv.tv_sec < 0 ? Duration::Nanos(0)
                       : Duration::Seconds(tv.tv_sec) + Duration::Micros(tv.tv_usec);
  return 0;
}

int WriteTimeval(Duration d, void* val, socklen_t* len) {
  timeval tv{};
  tv.tv_sec = d.nanos() / 1000000000;
  tv.tv_usec = (d.nanos() % 1000000000) / 1000;
  return WriteBytes(&tv, sizeof tv, val, len);
}

// SO_RCVBUF / SO_SNDBUF as Linux stores them: twice the request (room for bookkeeping),
// within [min, 2 * kMaxSockBuf]. A TCP socket's buffer then holds the request's bytes (half
// the stored value) and no longer autosizes (Linux's buffer lock); see tcp/autosize.h.
inline constexpr int kMaxSockBuf = 4 << 20;
int SockBufValue(int v, int min) { return std::max(std::clamp(v, 0, kMaxSockBuf) * 2, min); }

// What getsockopt reports before SO_RCVBUF / SO_SNDBUF are set: the real buffer sizes (for a
// TCP connection, the autosized size once it grew past the default).
int DefaultSockBuf(const SocketObj* s, bool receive) {
  if (s->kind() != ObjKind::kTcp) return static_cast<int>(PairSock::kCapacity);
  const auto* t = static_cast<const TcpSock*>(s);
  uint32_t v = TcpConfig{}.receive_buffer;
  if (t->state == TcpSockState::kConnected && t->conn) {
    v = std::max(v, receive ? t->conn->receive_buffer() : t->conn->send_buffer());
  }
  return static_cast<int>(std::min<uint32_t>(v, INT32_MAX));
}

// Pushes SO_RCVBUF / SO_SNDBUF / TCP_MAXSEG into TCP: a connection takes the buffer sizes at
// once, a listener keeps them for the connections it accepts from now on.
void PushSettings(SocketObj* s, bool rcv, bool snd) {
  if (s->kind() != ObjKind::kTcp) return;
  auto* t = static_cast<TcpSock*>(s);
  const TcpSockSettings set = SettingsOf(*t);
  if (t->state == TcpSockState::kConnected && t->conn) {
    t->conn->SetBufferSizes(rcv ? set.rcvbuf : 0, snd ? set.sndbuf : 0);
  } else if (t->state == TcpSockState::kListening && t->listener) {
    t->listener->SetSettings(set);
  }
}

int SetSocketLevel(SocketObj* s, int name, int v) {
  switch (name) {
    case SO_REUSEADDR:
      s->reuse_addr = v != 0;
      return 0;
    case SO_REUSEPORT:
      s->reuse_port = v != 0;
      return 0;
    case SO_RCVBUF:
      s->rcvbuf = SockBufValue(v, 2304);  // Linux's SOCK_MIN_RCVBUF
      PushSettings(s, true, false);
      return 0;
    case SO_SNDBUF:
      s->sndbuf = SockBufValue(v, 4608);  // Linux's SOCK_MIN_SNDBUF
      PushSettings(s, false, true);
      return 0;
    case SO_KEEPALIVE:
      return s->kind() == ObjKind::kTcp ? 1 : 0;  // TCP: tcp_options.cc; others: no effect
    default:
      return -ENOPROTOOPT;
  }
}

int GetSocketLevel(SocketObj* s, int name, void* val, socklen_t* len) {
  auto* t = s->kind() == ObjKind::kTcp ? static_cast<TcpSock*>(s) : nullptr;
  switch (name) {
    case SO_RCVTIMEO:
      return WriteTimeval(s->rcv_timeout, val, len);
    case SO_SNDTIMEO:
      return WriteTimeval(s->snd_timeout, val, len);
    case SO_ERROR: {
      int err = 0;
      if (t && t->state == TcpSockState::kConnected) err = t->conn->TakeError();
      if (s->kind() == ObjKind::kUdp) {
        if (UdpSocket* u = static_cast<UdpSock*>(s)->sock) err = u->TakeError();
      }
      if (s->kind() == ObjKind::kPair) err = std::exchange(static_cast<PairSock*>(s)->error, 0);
      return WriteIntOpt(err, val, len);
    }
    case SO_TYPE:
      return WriteIntOpt(s->kind() == ObjKind::kUdp ? SOCK_DGRAM : SOCK_STREAM, val, len);
    case SO_DOMAIN:
      return WriteIntOpt(s->kind() == ObjKind::kPair ? AF_UNIX : AF_INET, val, len);
    case SO_PROTOCOL:
      return WriteIntOpt(t ? IPPROTO_TCP : s->kind() == ObjKind::kUdp ? IPPROTO_UDP : 0, val, len);
    case SO_REUSEADDR:
      return WriteIntOpt(s->reuse_addr, val, len);
    case SO_REUSEPORT:
      return WriteIntOpt(s->reuse_port, val, len);
    case SO_RCVBUF:
      return WriteIntOpt(s->rcvbuf ? s->rcvbuf : DefaultSockBuf(s, true), val, len);
    case SO_SNDBUF:
      return WriteIntOpt(s->sndbuf ? s->sndbuf : DefaultSockBuf(s, false), val, len);
    case SO_ACCEPTCONN:
      return WriteIntOpt(t && t->state == TcpSockState::kListening, val, len);
    case SO_KEEPALIVE:
      return WriteIntOpt(0, val, len);  // TCP answered in tcp_options.cc
    default:
      return -ENOPROTOOPT;
  }
}

// TCP_MAXSEG: Linux accepts 0 (no limit) or 88..32767. Set before connect() or listen(), it
// caps the MSS option of the SYN (or SYN-ACK) and the segments sent (tcp/autosize.h
// ClampMss); later it is only recorded, as the MSS is settled by the handshake.
inline constexpr int kTcpDefaultMss = 536;  // RFC 9293 3.7.1

int GetTcpMaxSeg(TcpSock* t, void* val, socklen_t* len, Instant now) {
  int mss = t->user_mss ? t->user_mss : kTcpDefaultMss;
  if (t->state == TcpSockState::kConnected) {
    tcp_info info{};
    t->conn->GetInfo(&info, now);
    if (info.tcpi_snd_mss) mss = static_cast<int>(info.tcpi_snd_mss);
  }
  return WriteIntOpt(mss, val, len);
}

}  // namespace

int SocketApi::SetSockOpt(int fd, int level, int name, const void* val, socklen_t len) {
  if (!impl_->Get(fd)) return -EBADF;
  SocketObj* s = impl_->Sock(fd);
  if (!s) return -ENOTSOCK;
  TcpSock* t = impl_->Tcp(fd);
  if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
    Duration d;
    if (int rc = ReadTimeval(val, len, &d); rc < 0) return rc;
    (name == SO_RCVTIMEO ? s->rcv_timeout : s->snd_timeout) = d;
    return 0;
  }
  if (level != SOL_SOCKET && s->kind() == ObjKind::kPair) return -EOPNOTSUPP;  // as AF_UNIX
  if (t) {
    if (int rc = SetTcpOption(t, level, name, val, len, now_); rc <= 0) return rc;
  }
  if (level == SOL_SOCKET && name == SO_LINGER) {  // UDP, socketpair: accepted, no effect
    if (!val) return -EFAULT;
    return len < static_cast<socklen_t>(sizeof(linger)) ? -EINVAL : 0;
  }
  if (level != SOL_SOCKET && (level != IPPROTO_TCP || !t)) return -ENOPROTOOPT;
  int v = 0;
  if (int rc = ReadIntOpt(val, len, &v); rc < 0) return rc;
  if (level == SOL_SOCKET) return SetSocketLevel(s, name, v);
  if (name == TCP_NODELAY) {
    t->nodelay = v != 0;
    if (t->state == TcpSockState::kConnected) t->conn->set_nodelay(t->nodelay);
    return 0;
  }
  if (name == TCP_MAXSEG) {
    if (v != 0 && (v < 88 || v > 32767)) return -EINVAL;
    t->user_mss = v;
    if (t->state == TcpSockState::kListening) PushSettings(t, false, false);
    return 0;
  }
  return -ENOPROTOOPT;
}

int SocketApi::GetSockOpt(int fd, int level, int name, void* val, socklen_t* len) {
  if (!impl_->Get(fd)) return -EBADF;
  SocketObj* s = impl_->Sock(fd);
  if (!s) return -ENOTSOCK;
  if (!val || !len) return -EFAULT;
  if (level != SOL_SOCKET && s->kind() == ObjKind::kPair) return -EOPNOTSUPP;  // as AF_UNIX
  TcpSock* t = impl_->Tcp(fd);
  if (t) {
    if (int rc = GetTcpOption(t, level, name, val, len, now_); rc <= 0) return rc;
  }
  if (level == SOL_SOCKET && name == SO_LINGER) {
    const linger off{0, 0};
    return WriteBytes(&off, sizeof off, val, len);
  }
  if (level == SOL_SOCKET) return GetSocketLevel(s, name, val, len);
  // Linux: an IP-layer level it does not know fails EOPNOTSUPP on get (ENOPROTOOPT on set).
  if (level != IPPROTO_TCP || !t) return level == IPPROTO_IP ? -ENOPROTOOPT : -EOPNOTSUPP;
  if (name == TCP_NODELAY) return WriteIntOpt(t->nodelay, val, len);
  if (name == TCP_MAXSEG) return GetTcpMaxSeg(t, val, len, now_);
  return -ENOPROTOOPT;
}

int SocketApi::EpollCreate() { return impl_->Insert(std::make_shared<EpollObj>()); }

int SocketApi::EpollCtl(int epfd, int op, int fd, epoll_event* ev) {
  FdObject* e = impl_->Get(epfd);
  FdObject* s = impl_->Get(fd);
  if (!e || !s) return -EBADF;
  if (e->kind() != ObjKind::kEpoll || epfd == fd) return -EINVAL;
  // Nested epoll, and epoll over a kqueue, are not supported.
  if (!IsSocket(s->kind())) return -EPERM;
  auto* ep = static_cast<EpollObj*>(e);
  // Linux: EPOLLEXCLUSIVE goes only with these bits, and only on EPOLL_CTL_ADD.
  constexpr uint32_t kExclusiveOk =
      EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;
  switch (op) {
    case EPOLL_CTL_ADD:
      if (!ev) return -EFAULT;
      if ((ev->events & EPOLLEXCLUSIVE) && (ev->events & ~kExclusiveOk)) return -EINVAL;
      return ep->Add(fd, static_cast<SocketObj*>(s), *ev);
    case EPOLL_CTL_MOD:
      if (!ev) return -EFAULT;
      if (ev->events & EPOLLEXCLUSIVE) return -EINVAL;  // as Linux: only valid with ADD
      return ep->Modify(fd, *ev);
    case EPOLL_CTL_DEL:
      return ep->Remove(fd);
    default:
      return -EINVAL;
  }
}

int SocketApi::EpollWait(int epfd, epoll_event* events, int max_events) {
  FdObject* e = impl_->Get(epfd);
  if (!e) return -EBADF;
  if (e->kind() != ObjKind::kEpoll) return -EINVAL;
  if (!events) return -EFAULT;
  return static_cast<EpollObj*>(e)->Wait(events, max_events);
}

}  // namespace ustack
