// Local TCP port bookkeeping with Linux's bind rules, see tcp_ports.h.
#include "socket/tcp_ports.h"

#include <cerrno>

#include "socket/socket_objects.h"

namespace ustack {
namespace {

bool Overlap(Ipv4Addr a, Ipv4Addr b) { return a.IsAny() || b.IsAny() || a == b; }

}  // namespace

bool TcpPorts::Conflicts(const TcpSock* s, Ipv4Addr addr, uint16_t port) const {
  const Chain* chain = held_.Find(port);
  for (const TcpSock* o = chain ? chain->head : nullptr; o; o = o->port_next) {
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
    Add(s, port);
    return port;
  }
  // Like the TCP layer's ephemeral ports (Linux's default range): a random start, then the
  // first port nobody holds.
  constexpr uint32_t kLo = 32768, kHi = 60999, kSpan = kHi - kLo + 1;
  const uint32_t start = static_cast<uint32_t>(random.Below(kSpan));
  for (uint32_t i = 0; i < kSpan; ++i) {
    const auto p = static_cast<uint16_t>(kLo + (start + i) % kSpan);
    if (!held_.Find(p) && !tcp.PortHeldAfterClose(addr, p, false, false)) {
      Add(s, p);
      return p;
    }
  }
  return -EADDRNOTAVAIL;
}

void TcpPorts::Add(TcpSock* s, uint16_t port) {
  if (s->port_held) Release(s, s->held_port);  // one port per socket
  s->port_held = true;
  s->held_port = port;
  s->port_prev = nullptr;
  if (Chain* chain = held_.Find(port)) {
    s->port_next = chain->head;
    chain->head->port_prev = s;
    chain->head = s;
    return;
  }
  s->port_next = nullptr;
  held_.Insert(Chain{port, s});
}

void TcpPorts::Release(TcpSock* s, uint16_t port) {
  if (!s->port_held || s->held_port != port) return;
  if (s->port_next) s->port_next->port_prev = s->port_prev;
  if (s->port_prev) {
    s->port_prev->port_next = s->port_next;
  } else if (s->port_next) {
    held_.Find(port)->head = s->port_next;
  } else {
    held_.Erase(port);
  }
  s->port_held = false;
  s->port_prev = s->port_next = nullptr;
}

}  // namespace ustack
