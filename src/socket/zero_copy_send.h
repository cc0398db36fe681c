// Zero-copy send: ZcSendBuffers holds the buffers SocketApi::ZcMbufGet hands out (F-Stack's
// ff_zc_mbuf_get). A buffer is a run of single-segment mbufs from the stack's pool with room
// for the bytes asked for; ZcMbufWrite copies the application's bytes into them in order,
// and a write/send with the buffer's handle as the data pointer queues the first unsent
// bytes on the socket by reference (TcpConnection::SendRefs), so they are not copied again.
//
// Handles are pointer values that no user-space address can take: bit 63 (set only in kernel
// addresses on x86-64, with or without LAM) and bit 55 (the kernel half on AArch64, even with
// top-byte tagging) are set, with a generation and a slot below. A data pointer without that
// tag is application memory; one with the tag is looked up, and a stale (generation differs)
// or forged (no such slot) handle is refused, never dereferenced.
//
// Lifetime: a buffer is released once every written byte has been handed to a socket (the
// mbufs of unused room go back to the pool at once), by Free, or when the SocketApi is
// destroyed. Bytes handed to a socket are owned by its send buffer from then on and go back
// when acknowledged, or when the connection is reset or closed. Private to the socket layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "buf/packet.h"

namespace ustack {

class ZcSendBuffers {
 public:
  struct Buffer {
    std::vector<Packet> mbufs;  // single-segment; mbuf i holds bytes [i * room, (i+1) * room)
    uint32_t room = 0;          // data bytes per mbuf
    uint32_t capacity = 0;      // bytes asked for
    uint32_t written = 0;       // bytes written so far
    uint32_t sent = 0;          // of which handed to sockets
    uint32_t gen = 0;
    bool live = false;

    uint32_t unsent() const { return written - sent; }
    // The mbufs from the one holding byte `sent` on, and the offset of that byte in it.
    std::span<const Packet> unsent_mbufs() const {
      return std::span<const Packet>(mbufs).subspan(sent / room);
    }
    size_t unsent_offset() const { return sent % room; }
    // Copies unsent bytes [0, dst.size()) out (for sockets that copy anyway: UDP, pairs).
    void CopyUnsent(std::span<uint8_t> dst) const;
  };

  // The mbufs a buffer may use are what the pool has free minus this fraction of its size,
  // kept for receiving (acknowledgements included) and for segment headers.
  static constexpr unsigned kPoolReserveDivisor = 4;
  static constexpr uint32_t kMaxSlots = 1u << 24;

  static bool IsHandle(const void* p) {
    return (reinterpret_cast<uintptr_t>(p) & kTagMask) == kTag;
  }

  // Allocates a buffer for len bytes from `pool`; 0 or -EINVAL (len <= 0), -ENOMEM (the pool
  // cannot spare the mbufs, or kMaxSlots buffers are out).
  int Alloc(rte_mempool* pool, int64_t len, void** handle);
  // The live buffer `handle` names, or nullptr.
  Buffer* Find(const void* handle);
  // Copies data after the bytes written so far: 0, or -EINVAL when it does not fit.
  static int Write(Buffer* b, std::span<const uint8_t> data);
  // Records that n more bytes were handed to a socket; releases the buffer when it has no
  // unsent byte left, and otherwise the mbufs it no longer needs.
  void Consume(const void* handle, size_t n);
  // Releases a buffer; false when `handle` names none.
  bool Free(const void* handle);
  size_t outstanding() const { return slots_.size() - free_.size(); }

 private:
  static constexpr uintptr_t kTagMask = uintptr_t{0xff80} << 48;
  static constexpr uintptr_t kTag = uintptr_t{0xa580} << 48;
  static constexpr uint32_t kGenMask = (1u << 24) - 1;

  static void* HandleOf(uint32_t slot, uint32_t gen) {
    return reinterpret_cast<void*>(kTag | uintptr_t{gen & kGenMask} << 24 | slot);
  }
  void Release(uint32_t slot);

  std::vector<Buffer> slots_;
  std::vector<uint32_t> free_;  // slots not live
};

}  // namespace ustack
