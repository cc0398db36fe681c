// SocketApi: the fd table and POSIX-style calls over a Stack's transports, see socket_api.h.
#include "socket/socket_api.h"

#include <netinet/tcp.h>

#include <cstring>
#include <set>
#include <vector>

#include "socket/fd_table.h"
#include "socket/kqueue.h"
#include "socket/sockaddr.h"
#include "socket/socket_pair.h"
#include "socket/tcp_options.h"
#include "stack/stack.h"

namespace ustack {

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
    const int fd = impl_->Insert(std::move(obj));
    impl_->SetCloexec(fd, (type & SOCK_CLOEXEC) != 0);
    return fd;
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
    t->bound_addr = ip;  // Conflicts() compares it with the other holders
    const int p = impl_->tcp_ports.Reserve(t, ip, port, stack_.random(), stack_.tcp());
    if (p < 0) {
      t->bound_addr = Ipv4Addr::Any();
      return p;
    }
    t->bound_port = static_cast<uint16_t>(p);
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
  if (impl_->Pair(fd)) return -EINVAL;  // a socketpair end is connected already
  return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
}

int SocketApi::Listen(int fd, int backlog) {
  TcpSock* t = impl_->Tcp(fd);
  if (!t) {
    if (impl_->Udp(fd)) return -EOPNOTSUPP;
    if (impl_->Pair(fd)) return -EINVAL;
    return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
  }
  if (t->state == TcpSockState::kListening) return 0;
  if (t->state != TcpSockState::kFresh) return -EINVAL;
  if (backlog <= 0 || backlog > 65535) backlog = backlog <= 0 ? 1 : 65535;
  if (!t->bound) {  // Linux binds an unbound socket to an ephemeral port
    const int p = impl_->tcp_ports.Reserve(t, Ipv4Addr::Any(), 0, stack_.random(), stack_.tcp());
    if (p < 0) return p;
    t->bound_port = static_cast<uint16_t>(p);
    t->bound = true;
  } else if (impl_->tcp_ports.Conflicts(t, t->bound_addr, t->bound_port)) {
    return -EADDRINUSE;  // another holder listens now, or the holders do not allow sharing
  }
  auto r = stack_.tcp().Listen(t->bound_addr, t->bound_port, backlog, t, SettingsOf(*t));
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
  // Also ends when the listener is shut down (state leaves kListening).
  const int wait = Drive(
      [&] {
        return t->state != TcpSockState::kListening || t->listener->accept_queue_length() > 0;
      },
      SockTimeout(t->rcv_timeout));
  return wait < 0 ? wait : AcceptNow(fd, addr, len, flags);
}

int SocketApi::AcceptNow(int fd, sockaddr* addr, socklen_t* len, int flags) {
  TcpSock* t = impl_->Tcp(fd);
  if (!t) {
    if (impl_->Udp(fd)) return -EOPNOTSUPP;
    if (impl_->Pair(fd)) return -EINVAL;
    return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
  }
  if (t->state != TcpSockState::kListening) return -EINVAL;
  if (addr && !len) return -EFAULT;
  if (t->listener->accept_queue_length() == 0) return -EAGAIN;  // before allocating a socket
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
  // As on Linux, the accepted socket holds the listener's port (bind rules, tcp_ports.h).
  child->bound_addr = c->local_addr();
  child->bound_port = c->local_port();
  child->bound = true;
  impl_->tcp_ports.Add(child.get(), child->bound_port);
  TcpSock* raw = child.get();
  const int nfd = impl_->Insert(std::move(child));
  if (nfd < 0) {
    impl_->tcp_ports.Release(raw, raw->bound_port);
    return nfd;
  }
  impl_->SetCloexec(nfd, (flags & SOCK_CLOEXEC) != 0);
  return nfd;
}

int SocketApi::Connect(int fd, const sockaddr* addr, socklen_t len) {
  Ipv4Addr ip;
  uint16_t port = 0;
  if (UdpSock* u = impl_->Udp(fd)) {
    if (int rc = FromSockaddr(addr, len, &ip, &port); rc < 0) return rc;
    if (!u->sock) {  // Linux binds an unbound socket to an ephemeral port at connect
      auto r = stack_.udp().Bind({Ipv4Addr::Any(), 0}, u);
      if (!r) return -r.error();
      u->sock = r.value();
    }
    u->peer = {ip, port};
    u->connected = true;
    u->sock->set_peer(u->peer);  // RFC 1122 4.1.3.3: its ICMP errors become SO_ERROR
    return 0;
  }
  TcpSock* t = impl_->Tcp(fd);
  if (!t) {
    if (impl_->Pair(fd)) return -EINVAL;  // not an AF_UNIX address
    return impl_->Get(fd) ? -ENOTSOCK : -EBADF;
  }
  if (t->state == TcpSockState::kListening) return -EISCONN;  // as Linux
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
  auto r = stack_.tcp().Connect(t->bound_addr, t->bound_port, ip, port, t, now_, SettingsOf(*t));
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

int SocketApi::Shutdown(int fd, int how) {
  if (!impl_->Get(fd)) return -EBADF;
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
  const bool rd = how != SHUT_WR, wr = how != SHUT_RD;
  if (PairSock* p = impl_->Pair(fd)) {
    PairShutdown(p, rd, wr);
    return 0;
  }
  if (UdpSock* u = impl_->Udp(fd)) return u->connected ? 0 : -ENOTCONN;  // as Linux
  TcpSock* t = impl_->Tcp(fd);
  if (!t) return -ENOTSOCK;
  if (t->state == TcpSockState::kListening) {
    // Linux: SHUT_RD stops listening (queued connections are reset, accept fails EINVAL);
    // the socket keeps its port and may listen again. SHUT_WR does nothing.
    if (rd) {
      stack_.tcp().CloseListener(t->listener, now_);
      t->listener = nullptr;
      t->state = TcpSockState::kFresh;
      t->OnEvents(kEventIn | kEventOut | kEventHup);
    }
    return 0;
  }
  if (t->state != TcpSockState::kConnected) return -ENOTCONN;
  t->conn->Shutdown(rd, wr, now_);
  return 0;
}

int SocketApi::Close(int fd) {
  if (!impl_->Get(fd)) return -EBADF;
  std::shared_ptr<FdObject> obj = impl_->Take(fd);
  if (IsSocket(obj->kind())) {
    // As in FreeBSD, closing an fd removes the kqueue filters registered on that fd.
    std::vector<Knote*> notes = static_cast<SocketObj*>(obj.get())->knotes();
    for (Knote* k : notes) {
      if (k->ident == static_cast<uintptr_t>(fd)) k->kq->Forget(k);
    }
  }
  if (obj.use_count() > 1) return 0;  // another fd (dup) still refers to the object
  if (obj->kind() == ObjKind::kPair) PairClose(static_cast<PairSock*>(obj.get()));
  if (obj->kind() == ObjKind::kTcp) {
    auto* t = static_cast<TcpSock*>(obj.get());
    if (t->bound) impl_->tcp_ports.Release(t, t->bound_port);
    if (t->state == TcpSockState::kListening) stack_.tcp().CloseListener(t->listener, now_);
    if (t->state == TcpSockState::kConnected) {
      t->conn->set_sink(nullptr);
      // RFC 9293 3.6.1: the closing connection (FIN-WAIT, TIME-WAIT) keeps the port in use.
      stack_.tcp().HoldPortAfterClose(t->conn, t->reuse_addr, t->reuse_port);
      t->conn->Close(now_);
    }
  } else if (obj->kind() == ObjKind::kUdp) {
    auto* u = static_cast<UdpSock*>(obj.get());
    if (u->sock) stack_.udp().Close(u->sock);
  }
  return 0;
}

namespace {

// A socketpair end has an unnamed AF_UNIX address: just the family (Linux: length 2).
void UnnamedUnix(sockaddr* addr, socklen_t* len) {
  const sa_family_t fam = AF_UNIX;
  std::memcpy(addr, &fam, std::min<size_t>(*len, sizeof fam));
  *len = sizeof fam;
}

}  // namespace

int SocketApi::GetSockName(int fd, sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return -EFAULT;
  if (impl_->Pair(fd)) {
    UnnamedUnix(addr, len);
    return 0;
  }
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
  if (impl_->Pair(fd)) {  // Linux names the peer even after it closed
    UnnamedUnix(addr, len);
    return 0;
  }
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
