// TcpPorts: the local TCP ports that the sockets of one SocketApi hold, so that bind() and
// listen() fail with EADDRINUSE, and bind to port 0 picks a free ephemeral port, as on Linux.
// A socket holds its port from bind (or listen's automatic bind) until it is closed; accepted
// sockets hold their listener's port too. Two holders of one port (with overlapping
// addresses: equal, or either one the wildcard) are allowed when both set SO_REUSEPORT, or
// when both set SO_REUSEADDR and the earlier one is not listening (Linux's bind rules).
// Connections the application closed (FIN-WAIT, TIME-WAIT, ...) keep their port too, as on
// Linux: the TCP layer keeps those holds (TcpLayer::PortHeldAfterClose) and Reserve asks it.
// Not seen here: ports the TCP layer picks for connect() on an unbound socket while the
// socket is open. Private to the socket layer; holds non-owning pointers that
// SocketApi removes (Release) before a socket is destroyed.
#pragma once

#include <cstdint>
#include <map>

#include "base/addr.h"
#include "base/random.h"
#include "tcp/tcp.h"

namespace ustack {

class TcpSock;

class TcpPorts {
 public:
  // Whether `s` may not hold (addr, port) alongside the other holders. Checked at bind and
  // again at listen (a listener excludes later SO_REUSEADDR holders, as on Linux).
  bool Conflicts(const TcpSock* s, Ipv4Addr addr, uint16_t port) const;
  // Records that s holds (addr, port); port 0 picks a free one from the ephemeral range.
  // Closed connections that `tcp` still keeps (TIME-WAIT, ...) count as holders too.
  // Returns the port, or -EADDRINUSE (-EADDRNOTAVAIL when no ephemeral port is free).
  int Reserve(TcpSock* s, Ipv4Addr addr, uint16_t port, Random& random, const TcpLayer& tcp);
  // Adds a holder without checking (an accepted socket shares its listener's port).
  void Add(TcpSock* s, uint16_t port) { held_.emplace(port, s); }
  void Release(const TcpSock* s, uint16_t port);

 private:
  std::multimap<uint16_t, TcpSock*> held_;
};

}  // namespace ustack
