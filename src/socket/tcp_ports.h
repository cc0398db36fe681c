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
// SocketApi removes (Release) before a socket is destroyed. The holders of one port form a
// chain through the sockets themselves (TcpSock::port_next/port_prev) whose head sits in a
// flat table by port, so holding and releasing a port does not allocate in steady state.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/addr.h"
#include "base/flat_table.h"
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
  void Add(TcpSock* s, uint16_t port);
  void Release(TcpSock* s, uint16_t port);

 private:
  struct Chain {
    uint16_t port = 0;
    TcpSock* head = nullptr;
  };
  struct ChainPort {
    uint16_t operator()(const Chain& c) const { return c.port; }
  };
  struct PortHash {  // ports are chosen locally (bind, ephemeral picks), not by peers
    size_t operator()(uint16_t port) const {
      const uint64_t x = uint64_t{port} * 0x9e3779b97f4a7c15ULL;
      return static_cast<size_t>(x ^ (x >> 32));
    }
  };
  FlatTable<Chain, uint16_t, ChainPort, PortHash> held_;
};

}  // namespace ustack
