// SocketApi: the fd table and POSIX-style calls over a Stack's transports, see socket_api.h.
#include "socket/socket_api.h"

#include <netinet/tcp.h>

#include <cstring>
#include <set>
#include <vector>

#include "socket/fd_table.h"
#include "socket/kqueue.h"
#include "socket/tcp_options.h"
#include "stack/stack.h"

namespace ustack {

namespace {

// Reads an AF_INET sockaddr; -EINVAL / -EAFNOSUPPORT on bad input.
int FromSockaddr(const sockaddr* addr, socklen_t len, Ipv4Addr* ip, uint16_t* port) {
  if (!addr || len < static_cast<socklen_t>(sizeof(sockaddr_in))) return -EINVAL;
  sockaddr_in in;
  std::memcpy(&in, addr, sizeof in);
  if (in.sin_family != AF_INET) return -EAFNOSUPPORT;
  *ip = Ipv4Addr{ntohl(in.sin_addr.s_addr)};
  *port = ntohs(in.sin_port);
  return 0;
}

void ToSockaddr(Ipv4Addr ip, uint16_t port, sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(ip.v);
  in.sin_port = htons(port);
  std::memcpy(addr, &in, std::min<size_t>(*len, sizeof in));
  *len = sizeof in;
}

template <typename T>
ssize_t ToSsize(const Result<T>& r) {
  return r.ok() ? static_cast<ssize_t>(r.value()) : -r.error();
}

}  // namespace

SocketApi::SocketApi(Stack& stack) : stack_(stack), now_(Stack::Now()), impl_(new Impl) {}

SocketApi::~SocketApi() {
  for (size_t i = 0; i < impl_->table.size(); ++i) {
    if (impl_->table[i]) Close(static_cast<int>(i) + kFdBase);
  }
}

int SocketApi::Socket(int domain, int type, int protocol) {
  if (domain != AF_INET) return -EAFNOSUPPORT;
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  std::shared_ptr<FdObject> obj;
  if (base == SOCK_STREAM && (protocol == 0 || protocol == IPPROTO_TCP)) {
    obj = std::make_shared<TcpSock>();
  } else if (base == SOCK_DGRAM && (protocol == 0 || protocol == IPPROTO_UDP)) {
    obj = std::make_shared<UdpSock>();
  }
  if (obj) {
    obj->nonblocking = (type & SOCK_NONBLOCK) != 0;
    return impl_->Insert(std::move(obj));
  }
  return base == SOCK_STREAM || base == SOCK_DGRAM ? -EPROTONOSUPPORT : -EINVAL;
}

int SocketApi::Bind(int fd, const sockaddr* addr, socklen_t len) {
  Ipv4Addr ip;
  uint16_t port = 0;
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (t->bound || t->state != TcpSockState::kFresh) return -EINVAL;
    if (int rc = FromSockaddr(addr, len, &ip, &port); rc < 0) return rc;
    if (!ip.IsAny() && !stack_.net().IsLocal(ip)) return -EADDRNOTAVAIL;
    t->bound_addr = ip;
    t->bound_port = port;
    t->bound = true;
    return 0;
  }
  if (UdpSock* u = impl_->Udp(fd)) {
    if (u->sock) return -EINVAL;
    if (int rc = FromSockaddr(addr, len, &ip, &port); rc < 0) return rc;
    auto r = stack_.udp().Bind({ip, port}, u);
    if (!r) return -r.error();
    u->sock = r.value();
    return 0;
  }
  return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
}

int SocketApi::Listen(int fd, int backlog) {
  TcpSock* t = impl_->Tcp(fd);
  if (!t) return impl_->Get(fd) ? (impl_->Udp(fd) ? -EOPNOTSUPP : -ENOTSOCK) : -EBADF;
  if (t->state == TcpSockState::kListening) return 0;
  if (t->state != TcpSockState::kFresh) return -EINVAL;
  if (backlog <= 0 || backlog > 65535) backlog = backlog <= 0 ? 1 : 65535;
  auto r = stack_.tcp().Listen(t->bound_addr, t->bound_port, backlog, t);
  if (!r) return -r.error();
  t->listener = r.value();
  t->bound_port = t->listener->local_port();
  t->bound = true;
  t->state = TcpSockState::kListening;
  return 0;
}

int SocketApi::Accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  int rc = AcceptNow(fd, addr, len, flags);
  if (rc != -EAGAIN || !Blocks(impl_->Get(fd))) return rc;
  TcpSock* t = impl_->Tcp(fd);
  const int wait =
      Drive([&] { return t->listener->accept_queue_length() > 0; }, SockTimeout(t->rcv_timeout));
  return wait < 0 ? wait : AcceptNow(fd, addr, len, flags);
}

int SocketApi::AcceptNow(int fd, sockaddr* addr, socklen_t* len, int flags) {
  TcpSock* t = impl_->Tcp(fd);
  if (!t) return impl_->Get(fd) ? -EOPNOTSUPP : -EBADF;
  if (t->state != TcpSockState::kListening) return -EINVAL;
  if (addr && !len) return -EFAULT;
  auto child = std::make_shared<TcpSock>();
  TcpConnection* c = stack_.tcp().Accept(t->listener, child.get());
  if (!c) return -EAGAIN;
  child->nonblocking = (flags & SOCK_NONBLOCK) != 0;
  child->conn = c;
  child->state = TcpSockState::kConnected;
  child->connect_reported = true;
  child->nodelay = t->nodelay;
  c->set_nodelay(t->nodelay);
  InheritTcpOptions(*t, child.get());
  ApplyTcpOptions(child.get(), now_);
  ToSockaddr(c->remote_addr(), c->remote_port(), addr, len);
  return impl_->Insert(std::move(child));
}

int SocketApi::Connect(int fd, const sockaddr* addr, socklen_t len) {
  Ipv4Addr ip;
  uint16_t port = 0;
  if (UdpSock* u = impl_->Udp(fd)) {
    if (int rc = FromSockaddr(addr, len, &ip, &port); rc < 0) return rc;
    u->peer = {ip, port};
    u->connected = true;
    return 0;
  }
  TcpSock* t = impl_->Tcp(fd);
  if (!t) return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
  if (t->state == TcpSockState::kListening) return -EINVAL;
  if (t->state == TcpSockState::kConnected) {
    const TcpState s = t->conn->state();
    if (s == TcpState::kSynSent || s == TcpState::kSynReceived) return -EALREADY;
    if (t->connect_reported) return -EISCONN;
    t->connect_reported = true;
    const int err = t->conn->TakeError();
    return err ? -err : 0;
  }
  if (int rc = FromSockaddr(addr, len, &ip, &port); rc < 0) return rc;
  if (port == 0 || ip.IsAny()) return -EINVAL;
  auto r = stack_.tcp().Connect(t->bound_addr, t->bound_port, ip, port, t, now_);
  if (!r) return -r.error();
  t->conn = r.value();
  t->conn->set_nodelay(t->nodelay);
  t->state = TcpSockState::kConnected;
  ApplyTcpOptions(t, now_);
  return Blocks(t) ? ConnectWait(fd, t) : -EINPROGRESS;
}

// A blocking connect waits for the handshake to end, then reports like a second connect().
int SocketApi::ConnectWait(int fd, SocketObj* s) {
  auto* t = static_cast<TcpSock*>(s);
  const int rc = Drive(
      [t] {
        const TcpState st = t->conn->state();
        return st != TcpState::kSynSent && st != TcpState::kSynReceived;
      },
      SockTimeout(t->snd_timeout));
  if (rc == -EAGAIN) return -EINPROGRESS;
  if (rc < 0) return rc;
  return Connect(fd, nullptr, 0);
}

ssize_t SocketApi::Read(int fd, void* buf, size_t len) {
  return RecvFrom(fd, buf, len, 0, nullptr, nullptr);
}

ssize_t SocketApi::Write(int fd, const void* buf, size_t len) {
  return SendTo(fd, buf, len, 0, nullptr, 0);
}

ssize_t SocketApi::SendTo(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                          socklen_t tolen) {
  if (!buf && len > 0) return -EFAULT;
  if (flags & (MSG_OOB | MSG_PEEK)) return impl_->Get(fd) ? -EOPNOTSUPP : -EBADF;
  const std::span<const uint8_t> data(static_cast<const uint8_t*>(buf), len);
  FdObject* o = impl_->Get(fd);
  if (!o || o->kind() != ObjKind::kTcp || !Blocks(o, flags)) return SendNow(fd, data, to, tolen);
  // A blocking TCP send returns once everything is queued, or with what was queued when
  // SO_SNDTIMEO passes or the loop stops.
  auto* t = static_cast<TcpSock*>(o);
  size_t done = 0;
  while (true) {
    const ssize_t n = SendNow(fd, data.subspan(done), to, tolen);
    if (n < 0 && n != -EAGAIN) return done > 0 ? static_cast<ssize_t>(done) : n;
    if (n > 0) done += static_cast<size_t>(n);
    if (done == len) return static_cast<ssize_t>(done);
    const int rc = Drive([t] { return (t->Readiness() & (kEventOut | kEventErr)) != 0; },
                         SockTimeout(t->snd_timeout));
    if (rc < 0) return done > 0 ? static_cast<ssize_t>(done) : rc;
  }
}

ssize_t SocketApi::SendNow(int fd, std::span<const uint8_t> data, const sockaddr* to,
                           socklen_t tolen) {
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (t->state != TcpSockState::kConnected) return -ENOTCONN;
    return ToSsize(t->conn->Send(data, now_));
  }
  UdpSock* u = impl_->Udp(fd);
  if (!u) return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
  UdpEndpoint dst = u->peer;
  if (to) {
    if (int rc = FromSockaddr(to, tolen, &dst.addr, &dst.port); rc < 0) return rc;
  } else if (!u->connected) {
    return -EDESTADDRREQ;
  }
  if (!u->sock) {  // implicit bind to an ephemeral port, as on Linux
    auto r = stack_.udp().Bind({Ipv4Addr::Any(), 0}, u);
    if (!r) return -r.error();
    u->sock = r.value();
  }
  return ToSsize(u->sock->SendTo(data, dst, now_));
}

ssize_t SocketApi::RecvFrom(int fd, void* buf, size_t len, int flags, sockaddr* from,
                            socklen_t* fromlen) {
  if (!buf && len > 0) return -EFAULT;
  if (flags & (MSG_OOB | MSG_PEEK)) return impl_->Get(fd) ? -EOPNOTSUPP : -EBADF;
  const std::span<uint8_t> out(static_cast<uint8_t*>(buf), len);
  const ssize_t n = RecvNow(fd, out, from, fromlen);
  SocketObj* s = impl_->Sock(fd);
  if (n != -EAGAIN || !s || !Blocks(s, flags)) return n;
  const int rc = Drive([s] { return (s->Readiness() & (kEventIn | kEventErr | kEventHup)) != 0; },
                       SockTimeout(s->rcv_timeout));
  return rc < 0 ? rc : RecvNow(fd, out, from, fromlen);
}

ssize_t SocketApi::RecvNow(int fd, std::span<uint8_t> out, sockaddr* from, socklen_t* fromlen) {
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (t->state != TcpSockState::kConnected) return -ENOTCONN;
    auto r = t->conn->Recv(out, now_);
    if (r.ok()) ToSockaddr(t->conn->remote_addr(), t->conn->remote_port(), from, fromlen);
    return ToSsize(r);
  }
  UdpSock* u = impl_->Udp(fd);
  if (!u) return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
  if (!u->sock) return -EAGAIN;
  UdpEndpoint src;
  auto r = u->sock->RecvFrom(out, &src);
  if (r.ok()) ToSockaddr(src.addr, src.port, from, fromlen);
  return ToSsize(r);
}

int SocketApi::Shutdown(int fd, int how) {
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
  TcpSock* t = impl_->Tcp(fd);
  if (!t) return impl_->Get(fd) ? (impl_->Udp(fd) ? -ENOTCONN : -ENOTSOCK) : -EBADF;
  if (t->state != TcpSockState::kConnected) return -ENOTCONN;
  t->conn->Shutdown(how != SHUT_WR, how != SHUT_RD, now_);
  return 0;
}

int SocketApi::Close(int fd) {
  if (!impl_->Get(fd)) return -EBADF;
  std::shared_ptr<FdObject> obj = impl_->Take(fd);
  if (obj->kind() == ObjKind::kTcp || obj->kind() == ObjKind::kUdp) {
    // As in FreeBSD, closing an fd removes the kqueue filters registered on that fd.
    std::vector<Knote*> notes = static_cast<SocketObj*>(obj.get())->knotes();
    for (Knote* k : notes) {
      if (k->ident == static_cast<uintptr_t>(fd)) k->kq->Forget(k);
    }
  }
  if (obj.use_count() > 1) return 0;  // another fd (dup) still refers to the object
  if (obj->kind() == ObjKind::kTcp) {
    auto* t = static_cast<TcpSock*>(obj.get());
    if (t->state == TcpSockState::kListening) stack_.tcp().CloseListener(t->listener, now_);
    if (t->state == TcpSockState::kConnected) {
      t->conn->set_sink(nullptr);
      t->conn->Close(now_);
    }
  } else if (obj->kind() == ObjKind::kUdp) {
    auto* u = static_cast<UdpSock*>(obj.get());
    if (u->sock) stack_.udp().Close(u->sock);
  }
  return 0;
}

int SocketApi::GetSockName(int fd, sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return -EFAULT;
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (t->state == TcpSockState::kConnected) {
      ToSockaddr(t->conn->local_addr(), t->conn->local_port(), addr, len);
    } else {
      ToSockaddr(t->bound_addr, t->bound_port, addr, len);
    }
    return 0;
  }
  if (UdpSock* u = impl_->Udp(fd)) {
    const UdpEndpoint l = u->sock ? u->sock->local() : UdpEndpoint{};
    ToSockaddr(l.addr, l.port, addr, len);
    return 0;
  }
  return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
}

int SocketApi::GetPeerName(int fd, sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return -EFAULT;
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (t->state != TcpSockState::kConnected) return -ENOTCONN;
    ToSockaddr(t->conn->remote_addr(), t->conn->remote_port(), addr, len);
    return 0;
  }
  if (UdpSock* u = impl_->Udp(fd)) {
    if (!u->connected) return -ENOTCONN;
    ToSockaddr(u->peer.addr, u->peer.port, addr, len);
    return 0;
  }
  return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
}

}  // namespace ustack
