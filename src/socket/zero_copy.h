// Zero-copy receive: ZcBuffers keeps the received TCP payload that SocketApi::ZcRecv lends to
// the application. Each loan is one RecvChunk (the packet the bytes arrived in) and is handed
// out as a read-only iovec pointing into the mbuf's data, with an opaque handle that
// ZcRecvDone returns. A chunk whose packet spans several mbufs (a reassembled IP datagram) is
// copied once into a heap block, so that every iovec is contiguous.
// Handles are (generation << 32 | slot + 1): a handle that was never lent or was already
// returned is recognised and refused, never dereferenced. Loans outlive the socket they came
// from (close does not invalidate them); whatever is still lent when the SocketApi is destroyed
// is freed then. Private to the socket layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "socket/socket_api.h"
#include "tcp/recv_queue.h"

namespace ustack {

class ZcBuffers {
 public:
  // Takes the chunk and describes its bytes in *iov.
  void Lend(RecvChunk&& chunk, ZcIov* iov);
  // Ends the loan `handle` (freeing its mbufs); false when no such loan is outstanding.
  bool Return(uint64_t handle);
  size_t outstanding() const { return loans_.size() - free_.size(); }

 private:
  struct Loan {
    Packet pkt;                       // holds the mbufs the iovec points into
    std::unique_ptr<uint8_t[]> copy;  // or the bytes of a multi-segment chunk
    uint32_t gen = 0;
    bool lent = false;
  };
  std::vector<Loan> loans_;
  std::vector<uint32_t> free_;  // slots not lent
};

}  // namespace ustack
