// SocketApi: send and receive on TCP, UDP and socketpair sockets (read/write, sendto/recvfrom
// with MSG_DONTWAIT, MSG_PEEK and MSG_WAITALL), zero-copy receive and zero-copy send. See
// socket_api.h.
#include <cstring>

#include "socket/fd_table.h"
#include "socket/sockaddr.h"
#include "socket/socket_pair.h"
#include "stack/stack.h"

namespace ustack {
namespace {

inline constexpr size_t kMaxDatagram = 65535;

bool ReadableOrDone(const SocketObj* s) {
  return (s->Readiness() & (kEventIn | kEventErr | kEventHup)) != 0;
}

// Linux: EPIPE on a socket that was never connected (or listens); a handshake in progress
// makes the caller wait (EAGAIN when non-blocking).
int TcpSendable(const TcpSock* t) {
  if (t->state != TcpSockState::kConnected) return -EPIPE;
  const TcpState st = t->conn->state();
  if (st == TcpState::kSynSent || st == TcpState::kSynReceived) return -EAGAIN;
  return 0;
}

}  // namespace

ssize_t SocketApi::Read(int fd, void* buf, size_t len) {
  return RecvFrom(fd, buf, len, 0, nullptr, nullptr);
}

ssize_t SocketApi::Write(int fd, const void* buf, size_t len) {
  return SendTo(fd, buf, len, 0, nullptr, 0);
}

template <typename SendOnce>
ssize_t SocketApi::SendBlocking(SocketObj* s, size_t len, SendOnce&& once) {
  const std::optional<Instant> deadline = DeadlineAfter(s->snd_timeout);
  size_t done = 0;
  while (true) {
    const ssize_t n = once(done);
    if (n < 0 && n != -EAGAIN) return done > 0 ? static_cast<ssize_t>(done) : n;
    if (n > 0) done += static_cast<size_t>(n);
    if (done == len) return static_cast<ssize_t>(done);
    const int rc = DriveUntil(
        [s] { return (s->Readiness() & (kEventOut | kEventErr | kEventHup)) != 0; }, deadline);
    if (rc < 0) return done > 0 ? static_cast<ssize_t>(done) : rc;
  }
}

ssize_t SocketApi::SendTo(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                          socklen_t tolen) {
  if (!impl_->Get(fd)) return -EBADF;
  if (ZcSendBuffers::IsHandle(buf)) return ZcSendTo(fd, buf, len, flags, to, tolen);
  if (!buf && len > 0) return -EFAULT;
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  const std::span<const uint8_t> data(static_cast<const uint8_t*>(buf), len);
  SocketObj* s = impl_->Sock(fd);
  if (!s || s->kind() == ObjKind::kUdp || !Blocks(s, flags)) return SendNow(fd, data, to, tolen);
  return SendBlocking(s, len,
                      [&](size_t done) { return SendNow(fd, data.subspan(done), to, tolen); });
}

ssize_t SocketApi::SendNow(int fd, std::span<const uint8_t> data, const sockaddr* to,
                           socklen_t tolen) {
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (int rc = TcpSendable(t); rc < 0) return rc;
    return ToSsize(t->conn->Send(data, now_));
  }
  if (PairSock* p = impl_->Pair(fd)) return PairSend(p, data);
  UdpSock* u = impl_->Udp(fd);
  if (!u) return -ENOTSOCK;
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
  if (!impl_->Get(fd)) return -EBADF;
  // A zero-copy send handle is no memory to receive into (Linux: a bad address).
  if ((!buf && len > 0) || ZcSendBuffers::IsHandle(buf)) return -EFAULT;
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  const bool peek = (flags & MSG_PEEK) != 0;
  const std::span<uint8_t> out(static_cast<uint8_t*>(buf), len);
  SocketObj* s = impl_->Sock(fd);
  if (!s) return RecvNow(fd, out, peek, from, fromlen);
  const bool waitall = (flags & MSG_WAITALL) && !peek && s->kind() != ObjKind::kUdp;
  const std::optional<Instant> deadline = DeadlineAfter(s->rcv_timeout);
  size_t done = 0;
  while (true) {
    const ssize_t n = RecvNow(fd, out.subspan(done), peek, from, fromlen);
    if (n > 0) {
      done += static_cast<size_t>(n);
      if (!waitall || done == len) return static_cast<ssize_t>(done);
    } else if (n == 0 || n != -EAGAIN) {
      return done > 0 ? static_cast<ssize_t>(done) : n;  // end of stream, or an error
    }
    if (!Blocks(s, flags)) return done > 0 ? static_cast<ssize_t>(done) : -EAGAIN;
    const int rc = DriveUntil([s] { return ReadableOrDone(s); }, deadline);
    if (rc < 0) return done > 0 ? static_cast<ssize_t>(done) : rc;
  }
}

ssize_t SocketApi::RecvNow(int fd, std::span<uint8_t> out, bool peek, sockaddr* from,
                           socklen_t* fromlen) {
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (t->state != TcpSockState::kConnected) return -ENOTCONN;
    auto r = peek ? t->conn->Peek(out) : t->conn->Recv(out, now_);
    if (r.ok()) ToSockaddr(t->conn->remote_addr(), t->conn->remote_port(), from, fromlen);
    return ToSsize(r);
  }
  if (PairSock* p = impl_->Pair(fd)) {
    if (fromlen) *fromlen = 0;  // an unnamed AF_UNIX peer, as on Linux
    return PairRecv(p, out, peek);
  }
  UdpSock* u = impl_->Udp(fd);
  if (!u) return -ENOTSOCK;
  return UdpRecvNow(u, out, peek, from, fromlen);
}

int UdpSock::Stash() {
  if (has_peeked) return 0;
  if (!sock) return -EAGAIN;
  peeked.resize(kMaxDatagram);
  auto r = sock->RecvFrom(peeked, &peeked_from);
  if (!r) return -r.error();
  peeked.resize(r.value());
  has_peeked = true;
  return 0;
}

// The transport cannot peek, so MSG_PEEK takes the datagram into the socket (UdpSock::peeked)
// and every receive serves that one first.
ssize_t SocketApi::UdpRecvNow(UdpSock* u, std::span<uint8_t> out, bool peek, sockaddr* from,
                              socklen_t* fromlen) {
  if (u->sock) {  // a pending error (ICMP, RFC 1122 4.1.3.3) comes before any datagram
    if (const int err = u->sock->TakeError(); err != 0) return -err;
  }
  if (peek) {
    if (int rc = u->Stash(); rc < 0) return rc;
  }
  if (u->has_peeked) {
    const size_t n = std::min(out.size(), u->peeked.size());
    if (n > 0) std::memcpy(out.data(), u->peeked.data(), n);
    ToSockaddr(u->peeked_from.addr, u->peeked_from.port, from, fromlen);
    if (!peek) u->has_peeked = false;
    return static_cast<ssize_t>(n);
  }
  if (!u->sock) return -EAGAIN;
  UdpEndpoint src;
  auto r = u->sock->RecvFrom(out, &src);
  if (r.ok()) ToSockaddr(src.addr, src.port, from, fromlen);
  return ToSsize(r);
}

ssize_t SocketApi::ZcRecv(int fd, ZcIov* iov, int iovcnt, int flags) {
  FdObject* o = impl_->Get(fd);
  if (!o) return -EBADF;
  if (iovcnt <= 0) return -EINVAL;
  if (!iov) return -EFAULT;
  TcpSock* t = impl_->Tcp(fd);
  if (!t) return impl_->Sock(fd) ? -EOPNOTSUPP : -ENOTSOCK;
  const ssize_t n = ZcRecvNow(fd, iov, iovcnt);
  if (n != -EAGAIN || !Blocks(t, flags)) return n;
  const int rc = Drive([t] { return ReadableOrDone(t); }, SockTimeout(t->rcv_timeout));
  return rc < 0 ? rc : ZcRecvNow(fd, iov, iovcnt);
}

ssize_t SocketApi::ZcRecvNow(int fd, ZcIov* iov, int iovcnt) {
  TcpSock* t = impl_->Tcp(fd);
  if (t->state != TcpSockState::kConnected) return -ENOTCONN;
  std::vector<RecvChunk>& chunks = impl_->zc_chunks;
  chunks.clear();
  auto r = t->conn->RecvChunks(&chunks, static_cast<size_t>(iovcnt));
  if (!r) return -r.error();
  for (size_t i = 0; i < chunks.size(); ++i) impl_->zc.Lend(std::move(chunks[i]), &iov[i]);
  const auto filled = static_cast<ssize_t>(chunks.size());
  chunks.clear();
  return filled;
}

int SocketApi::ZcRecvDone(const ZcIov* iov, int iovcnt) {
  if (iovcnt < 0) return -EINVAL;
  if (!iov && iovcnt > 0) return -EFAULT;
  bool bad = false;
  for (int i = 0; i < iovcnt; ++i) bad |= !impl_->zc.Return(iov[i].handle);
  return bad ? -EINVAL : 0;
}

size_t SocketApi::zc_outstanding() const { return impl_->zc.outstanding(); }

int SocketApi::ZcMbufGet(int64_t len, void** handle) {
  return impl_->zc_send.Alloc(stack_.port().pool(), len, handle);
}

int64_t SocketApi::ZcMbufWrite(const void* handle, const void* data, int64_t len) {
  ZcSendBuffers::Buffer* b = impl_->zc_send.Find(handle);
  if (!b || len < 0) return -EINVAL;
  if (len == 0) return 0;
  if (!data) return -EFAULT;
  const int rc = ZcSendBuffers::Write(
      b, std::span<const uint8_t>(static_cast<const uint8_t*>(data), static_cast<size_t>(len)));
  return rc < 0 ? rc : len;
}

int SocketApi::ZcMbufFree(const void* handle) { return impl_->zc_send.Free(handle) ? 0 : -EINVAL; }

size_t SocketApi::zc_mbufs_outstanding() const { return impl_->zc_send.outstanding(); }

ssize_t SocketApi::ZcSendTo(int fd, const void* handle, size_t len, int flags, const sockaddr* to,
                            socklen_t tolen) {
  const ZcSendBuffers::Buffer* b = impl_->zc_send.Find(handle);
  if (!b || len > b->unsent()) return -EINVAL;
  if (flags & MSG_OOB) return -EOPNOTSUPP;
  SocketObj* s = impl_->Sock(fd);
  if (!s || s->kind() == ObjKind::kUdp || !Blocks(s, flags)) {
    return ZcSendNow(fd, handle, len, to, tolen);
  }
  return SendBlocking(s, len,
                      [&](size_t done) { return ZcSendNow(fd, handle, len - done, to, tolen); });
}

// Queues the first len unsent bytes of the buffer; what is taken counts as sent.
ssize_t SocketApi::ZcSendNow(int fd, const void* handle, size_t len, const sockaddr* to,
                             socklen_t tolen) {
  const ZcSendBuffers::Buffer* b = impl_->zc_send.Find(handle);
  if (!b || len > b->unsent()) return -EINVAL;
  ssize_t n;
  if (TcpSock* t = impl_->Tcp(fd)) {
    if (int rc = TcpSendable(t); rc < 0) return rc;
    n = ToSsize(t->conn->SendRefs(b->unsent_mbufs(), b->unsent_offset(), len, now_));
  } else {  // UDP datagrams and socketpair ends copy their bytes anyway
    std::vector<uint8_t>& buf = impl_->scratch;
    buf.resize(len);
    b->CopyUnsent(buf);
    n = SendNow(fd, buf, to, tolen);
  }
  if (n > 0) impl_->zc_send.Consume(handle, static_cast<size_t>(n));
  return n;
}

}  // namespace ustack
