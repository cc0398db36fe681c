// socketpair() ends (PairSock, socket_objects.h): byte transfer, shutdown and close with
// Linux's AF_UNIX stream semantics. Each call tells the other end's watchers (epoll, kqueue)
// about the change. Private to the socket layer.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <span>

#include "socket/socket_objects.h"

namespace ustack {

// Writes into the peer's ring: bytes taken, -EPIPE once either side shut the direction or the
// peer is gone, -EAGAIN when the peer's ring is full. A pending error is left for reads.
ssize_t PairSend(PairSock* p, std::span<const uint8_t> data);
// Reads (or with `peek` copies) from this end's ring: bytes, 0 at end of stream, a pending
// error once, -EAGAIN when empty and still open.
ssize_t PairRecv(PairSock* p, std::span<uint8_t> out, bool peek);
void PairShutdown(PairSock* p, bool read, bool write);
// The last fd of this end is closed.
void PairClose(PairSock* p);

}  // namespace ustack
