// Socket options and epoll calls of SocketApi. Option numbers are Linux's; an option that is
// not implemented fails with ENOPROTOOPT rather than being silently mapped to another.
#include <netinet/tcp.h>

#include <sys/time.h>

#include <cstring>

#include "socket/fd_table.h"
#include "socket/tcp_options.h"
#include "stack/stack.h"

namespace ustack {
namespace {

int ReadInt(const void* val, socklen_t len, int* out) {
  if (!val) return -EFAULT;
  if (len < static_cast<socklen_t>(sizeof(int))) return -EINVAL;
  std::memcpy(out, val, sizeof(int));
  return 0;
}

int WriteInt(int v, void* val, socklen_t* len) {
  if (!val || !len) return -EFAULT;
  if (*len < static_cast<socklen_t>(sizeof(int))) return -EINVAL;
  std::memcpy(val, &v, sizeof v);
  *len = sizeof v;
  return 0;
}

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
  if (!val || !len) return -EFAULT;
  if (*len < static_cast<socklen_t>(sizeof(timeval))) return -EINVAL;
  timeval tv{};
  tv.tv_sec = d.nanos() / 1000000000;
  tv.tv_usec = (d.nanos() % 1000000000) / 1000;
  std::memcpy(val, &tv, sizeof tv);
  *len = sizeof tv;
  return 0;
}

}  // namespace

int SocketApi::SetSockOpt(int fd, int level, int name, const void* val, socklen_t len) {
  FdObject* o = impl_->Get(fd);
  if (!o) return -EBADF;
  SocketObj* s = impl_->Sock(fd);
  if (!s) return -ENOTSOCK;
  if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
    Duration d;
    if (int rc = ReadTimeval(val, len, &d); rc < 0) return rc;
    (name == SO_RCVTIMEO ? s->rcv_timeout : s->snd_timeout) = d;
    return 0;
  }
  if (TcpSock* tcp = impl_->Tcp(fd)) {
    if (int rc = SetTcpOption(tcp, level, name, val, len, now_); rc <= 0) return rc;
  }
  int v = 0;
  if (int rc = ReadInt(val, len, &v); rc < 0) return rc;
  TcpSock* t = impl_->Tcp(fd);
  if (level == SOL_SOCKET && (name == SO_REUSEADDR || name == SO_REUSEPORT)) {
    if (t) t->reuse_addr = v != 0;
    return 0;
  }
  if (level == IPPROTO_TCP && name == TCP_NODELAY && t) {
    t->nodelay = v != 0;
    if (t->state == TcpSockState::kConnected) t->conn->set_nodelay(t->nodelay);
    return 0;
  }
  return -ENOPROTOOPT;
}

int SocketApi::GetSockOpt(int fd, int level, int name, void* val, socklen_t* len) {
  FdObject* o = impl_->Get(fd);
  if (!o) return -EBADF;
  SocketObj* s = impl_->Sock(fd);
  if (!s) return -ENOTSOCK;
  TcpSock* t = impl_->Tcp(fd);
  if (t) {
    if (int rc = GetTcpOption(t, level, name, val, len, now_); rc <= 0) return rc;
  }
  if (level == SOL_SOCKET) {
    switch (name) {
      case SO_RCVTIMEO:
        return WriteTimeval(s->rcv_timeout, val, len);
      case SO_SNDTIMEO:
        return WriteTimeval(s->snd_timeout, val, len);
      case SO_ERROR:
        return WriteInt(t && t->state == TcpSockState::kConnected ? t->conn->TakeError() : 0, val,
                        len);
      case SO_TYPE:
        return WriteInt(t ? SOCK_STREAM : SOCK_DGRAM, val, len);
      case SO_REUSEADDR:
        return WriteInt(t && t->reuse_addr, val, len);
      case SO_ACCEPTCONN:
        return WriteInt(t && t->state == TcpSockState::kListening, val, len);
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level == IPPROTO_TCP && name == TCP_NODELAY && t) return WriteInt(t->nodelay, val, len);
  return -ENOPROTOOPT;
}

int SocketApi::EpollCreate() { return impl_->Insert(std::make_shared<EpollObj>()); }

int SocketApi::EpollCtl(int epfd, int op, int fd, epoll_event* ev) {
  FdObject* e = impl_->Get(epfd);
  FdObject* s = impl_->Get(fd);
  if (!e || !s) return -EBADF;
  if (e->kind() != ObjKind::kEpoll || epfd == fd) return -EINVAL;
  // Nested epoll, and epoll over a kqueue, are not supported.
  if (s->kind() != ObjKind::kTcp && s->kind() != ObjKind::kUdp) return -EPERM;
  auto* ep = static_cast<EpollObj*>(e);
  switch (op) {
    case EPOLL_CTL_ADD:
      if (!ev) return -EFAULT;
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
