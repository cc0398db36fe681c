// socketpair: two connected stream sockets inside one SocketApi, see socket_pair.h.
#include "socket/socket_pair.h"

#include <sys/socket.h>

#include <cerrno>
#include <memory>

#include "socket/fd_table.h"

namespace ustack {
namespace {

inline constexpr int kSockTypeLimit = 10;  // Linux's SOCK_MAX: types past it are EINVAL

}  // namespace

uint32_t PairSock::Readiness() const {
  uint32_t ev = 0;
  if (error != 0) ev |= kEventErr;
  if (recv_shut && send_shut) ev |= kEventHup;
  if (recv_shut) ev |= kEventIn | kEventRdHup;
  if (!rx.empty()) ev |= kEventIn;
  // As Linux's unix_writable: writable while this end's bytes queued at the peer use at most a
  // quarter of the buffer (and always once the peer is gone, so that writers see EPIPE).
  if (!peer || peer->rx.size() <= kCapacity / 4) ev |= kEventOut;
  return ev;
}

ssize_t PairSend(PairSock* p, std::span<const uint8_t> data) {
  if (p->send_shut || !p->peer || p->peer->recv_shut) return -EPIPE;
  if (data.empty()) return 0;
  const size_t n = p->peer->rx.Append(data);
  if (n == 0) return -EAGAIN;
  p->peer->OnEvents(kEventIn);
  return static_cast<ssize_t>(n);
}

ssize_t PairRecv(PairSock* p, std::span<uint8_t> out, bool peek) {
  if (!p->rx.empty()) {
    if (out.empty()) return 0;
    const size_t n = p->rx.CopyOut(0, out);
    if (!peek) {
      p->rx.Discard(static_cast<uint32_t>(n));
      if (p->peer) p->peer->OnEvents(kEventOut);
    }
    return static_cast<ssize_t>(n);
  }
  if (p->error != 0) return -std::exchange(p->error, 0);
  if (p->recv_shut) return 0;
  return -EAGAIN;
}

void PairShutdown(PairSock* p, bool read, bool write) {
  if (read) p->recv_shut = true;
  if (write) p->send_shut = true;
  if (PairSock* q = p->peer) {
    if (read) q->send_shut = true;
    if (write) q->recv_shut = true;
    q->OnEvents(kEventIn | kEventOut | kEventRdHup | kEventHup);
  }
  p->OnEvents(kEventIn | kEventOut | kEventRdHup | kEventHup);
}

void PairClose(PairSock* p) {
  PairSock* q = p->peer;
  if (!q) return;
  q->peer = nullptr;
  p->peer = nullptr;
  q->recv_shut = true;
  q->send_shut = true;
  if (!p->rx.empty()) q->error = ECONNRESET;  // as Linux: unread bytes were dropped
  p->rx.Clear();
  q->OnEvents(kEventIn | kEventOut | kEventRdHup | kEventHup | kEventErr);
}

int SocketApi::Socketpair(int domain, int type, int protocol, int sv[2]) {
  if (domain != AF_UNIX) return domain == AF_INET ? -EOPNOTSUPP : -EAFNOSUPPORT;
  const int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  // Datagram and seqpacket pairs are not implemented (Linux has them).
  if (base != SOCK_STREAM) {
    if (base == SOCK_DGRAM || base == SOCK_SEQPACKET) return -EOPNOTSUPP;
    return base <= 0 || base >= kSockTypeLimit ? -EINVAL : -ESOCKTNOSUPPORT;
  }
  if (protocol != 0 && protocol != PF_UNIX) return -EPROTONOSUPPORT;
  if (!sv) return -EFAULT;
  auto a = std::make_shared<PairSock>();
  auto b = std::make_shared<PairSock>();
  a->peer = b.get();
  b->peer = a.get();
  a->nonblocking = b->nonblocking = (type & SOCK_NONBLOCK) != 0;
  const int fa = impl_->Insert(std::move(a));
  if (fa < 0) return fa;
  const int fb = impl_->Insert(std::move(b));
  if (fb < 0) {
    Close(fa);
    return fb;
  }
  impl_->SetCloexec(fa, (type & SOCK_CLOEXEC) != 0);
  impl_->SetCloexec(fb, (type & SOCK_CLOEXEC) != 0);
  sv[0] = fa;
  sv[1] = fb;
  return 0;
}

}  // namespace ustack
