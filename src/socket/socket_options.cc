// Socket options and epoll calls of SocketApi. Option numbers are Linux's; an option that is
// not implemented fails with ENOPROTOOPT rather than being silently mapped to another.
#include <netinet/tcp.h>

#include <cstring>

#include "socket/fd_table.h"
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

}  // namespace

int SocketApi::SetSockOpt(int fd, int level, int name, const void* val, socklen_t len) {
  FdObject* o = impl_->Get(fd);
  if (!o) return -EBADF;
  if (o->kind() == ObjKind::kEpoll) return -ENOTSOCK;
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
  if (o->kind() == ObjKind::kEpoll) return -ENOTSOCK;
  TcpSock* t = impl_->Tcp(fd);
  if (level == SOL_SOCKET) {
    switch (name) {
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

int SocketApi::EpollCreate() { return impl_->Insert(std::make_unique<EpollObj>()); }

int SocketApi::EpollCtl(int epfd, int op, int fd, epoll_event* ev) {
  FdObject* e = impl_->Get(epfd);
  FdObject* s = impl_->Get(fd);
  if (!e || !s) return -EBADF;
  if (e->kind() != ObjKind::kEpoll || epfd == fd) return -EINVAL;
  if (s->kind() == ObjKind::kEpoll) return -EPERM;  // nested epoll is not supported
  auto* ep = static_cast<EpollObj*>(e);
  switch (op) {
    case EPOLL_CTL_ADD:
      if (!ev) return -EFAULT;
      return ep->Add(fd, static_cast<SocketObj*>(s), *ev);
    case EPOLL_CTL_MOD:
      if (!ev) return -EFAULT;
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
