// Local TCP port bookkeeping with Linux's bind rules, see tcp_ports.h.
#include "socket/tcp_ports.h"

#include <cerrno>

#include "socket/socket_objects.h"

namespace ustack {
namespace {

bool Overlap(Ipv4Addr a, Ipv4Addr b) { return a.IsAny() || b.IsAny() || a == b; }

}  // namespace

bool TcpPorts::Conflicts(const TcpSock* s, Ipv4Addr addr, uint16_t port) const {
  auto [lo, hi] = held_.equal_range(port);
  for (auto it = lo; it != hi; ++it) {
    const TcpSock* o = it->second;
    if (o == s || !Overlap(o->bound_addr, addr)) continue;
    if (s->reuse_port && o->reuse_port) continue;
    if (s->reuse_addr && o->reuse_addr && o->state != TcpSockState::kListening) continue;
    return true;
  }
  return false;
}

int TcpPorts::Reserve(TcpSock* s, Ipv4Addr addr, uint16_t port, Random& random,
                      const TcpLayer& tcp) {
  if (port != 0) {
    // RFC 9293 3.6.1 / Linux: a TIME-WAIT (or other closing) connection holds its port.
    if (Conflicts(s, addr, port) ||
        tcp.PortHeldAfterClose(addr, port, s->reuse_addr, s->reuse_port)) {
      return -EADDRINUSE;
    }
    held_.emplace(port, s);
    return port;
  }
  // Like the TCP layer's ephemeral ports (Linux's default range): a random start, then the
  // first port nobody holds.
  constexpr uint32_t kLo = 32768, kHi = 60999, kSpan = kHi - kLo + 1;
  const uint32_t start = static_cast<uint32_t>(random.Below(kSpan));
  for (uint32_t i = 0; i < kSpan; ++i) {
    const auto p = static_cast<uint16_t>(kLo + (start + i) % kSpan);
    if (held_.count(p) == 0 && !tcp.PortHeldAfterClose(addr, p, false, false)) {
      held_.emplace(p, s);
      return p;
    }
  }
  return -EADDRNOTAVAIL;
}

void TcpPorts::Release(const TcpSock* s, uint16_t port) {
  auto [lo, hi] = held_.equal_range(port);
  for (auto it = lo; it != hi; ++it) {
    if (it->second == s) {
      held_.erase(it);
      return;
    }
  }
}

}  // namespace ustack
