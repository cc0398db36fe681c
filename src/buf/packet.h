// Packet: the one owning handle over an rte_mbuf chain. Move-only; frees the chain when
// destroyed. Headers are pushed into headroom on output (Prepend) and pulled on input (Pull).
// Protocol code sees byte spans, never rte_mbuf fields; only buf/ and port/ include DPDK.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

struct rte_mbuf;
struct rte_mempool;

namespace ustack {

// Headroom reserved in every transmit packet: Ethernet (14) + VLAN (4) + IPv6 (40) + TCP
// with options (60), rounded up.
inline constexpr uint16_t kTxHeadroom = 128;

class Packet {
 public:
  Packet() = default;
  explicit Packet(rte_mbuf* m) : m_(m) {}  // adopts m
  Packet(Packet&& o) noexcept : m_(o.m_) { o.m_ = nullptr; }
  Packet& operator=(Packet&& o) noexcept {
    if (this != &o) {
      if (m_ != nullptr) Reset();  // inline check, like the destructor: bursts fill empty slots
      m_ = o.m_;
      o.m_ = nullptr;
    }
    return *this;
  }
  Packet(const Packet&) = delete;
  Packet& operator=(const Packet&) = delete;
  // Inline null check: arrays of mostly empty Packets (receive bursts) cost nothing to drop.
  ~Packet() {
    if (m_ != nullptr) Reset();
  }

  // An empty packet with at least kTxHeadroom of headroom; invalid when the pool is empty.
  static Packet Alloc(rte_mempool* pool);
  // An empty packet holding a copy of `bytes` (single segment; invalid if it cannot fit).
  static Packet FromBytes(rte_mempool* pool, std::span<const uint8_t> bytes);

  bool valid() const { return m_ != nullptr; }
  explicit operator bool() const { return valid(); }
  rte_mbuf* mbuf() const { return m_; }
  rte_mbuf* Release() {
    rte_mbuf* m = m_;
    m_ = nullptr;
    return m;
  }
  void Reset();

  uint32_t length() const;    // bytes in the whole chain
  uint16_t segments() const;  // mbufs in the chain
  uint16_t headroom() const;  // free bytes before the data of the first segment
  uint16_t tailroom() const;  // free bytes after the data of the last segment
  bool contiguous() const { return segments() <= 1; }

  // The data of the first segment.
  std::span<uint8_t> head() const;
  // Ensures the first n bytes are in the first segment (copying if needed); false if the
  // packet is shorter than n or the segment cannot hold n.
  bool MakeContiguous(uint32_t n);

  // Grows the front by n bytes and returns them; nullptr when headroom is short.
  uint8_t* Prepend(uint16_t n);
  // Removes n bytes from the front; false if the first segment is shorter.
  bool Pull(uint32_t n);
  // Removes n bytes from the end (possibly across segments); false if longer than the packet.
  bool TrimBack(uint32_t n);
  // Keeps only the first n bytes.
  bool TruncateTo(uint32_t n) { return n <= length() && TrimBack(length() - n); }
  // Grows the end of the last segment by n bytes; nullptr when tailroom is short.
  uint8_t* Append(uint16_t n);
  // Appends bytes, adding segments from `pool` as needed; false (packet unchanged in length
  // beyond what was appended) if the pool runs dry.
  bool AppendBytes(rte_mempool* pool, std::span<const uint8_t> bytes);

  // Copies out up to dst.size() bytes starting at offset; returns bytes copied.
  size_t CopyOut(size_t offset, std::span<uint8_t> dst) const;
  // Ones'-complement sum of bytes [offset, offset+len), for transport checksums.
  uint64_t ChecksumSum(size_t offset, size_t len) const;
  // A deep copy in fresh mbufs from `pool`; invalid on exhaustion.
  Packet Copy(rte_mempool* pool) const;
  // Links `tail` after this chain (both must be valid); false if too many segments.
  bool Chain(Packet&& tail);
  // The pool the first segment came from (null for an invalid packet).
  rte_mempool* pool() const;

  // Zero-copy sharing (TCP zero-copy send).
  // A second owning handle on this single-segment packet's mbuf: its reference count goes up
  // and the mbuf returns to its pool when the last handle is dropped. From then on the
  // holders share the bytes and the data offset: none may change a byte another uses, nor
  // Prepend or Pull; Append past every byte in use is allowed. Invalid for an invalid or
  // multi-segment packet.
  Packet Retain() const;
  // A new chain of indirect mbufs (taken from `pool`) referencing bytes [offset, offset + len)
  // of this packet without copying them; every segment has no tailroom, so appending to the
  // result adds a fresh segment instead of writing into the shared buffer. Invalid (nothing
  // leaked) when len is 0, the range is out of bounds or the pool runs dry.
  Packet Share(uint32_t offset, uint32_t len, rte_mempool* pool) const;

 private:
  rte_mbuf* m_ = nullptr;
};

// A per-core mbuf pool. Owns the rte_mempool.
class PacketPool {
 public:
  // Creates a pool of `count` mbufs with room for `data_room` bytes each (headroom included).
  PacketPool(const char* name, unsigned count, uint16_t data_room = 2048 + 128, int socket_id = -1);
  ~PacketPool();
  PacketPool(const PacketPool&) = delete;
  PacketPool& operator=(const PacketPool&) = delete;

  bool ok() const { return pool_ != nullptr; }
  rte_mempool* get() const { return pool_; }
  unsigned available() const;
  // Free mbufs (caches included) and total mbufs of any pool.
  static unsigned Available(const rte_mempool* pool);
  static unsigned Capacity(const rte_mempool* pool);

 private:
  rte_mempool* pool_ = nullptr;
};

}  // namespace ustack
