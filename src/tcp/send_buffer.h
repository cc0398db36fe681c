// SendBuffer: the bytes an application queued for sending and that are not yet acknowledged.
// Byte 0 is the one at SND.UNA (once the SYN is acknowledged).
// Copied bytes (Append) live in a byte ring that grows on demand (power-of-two sizes, from
// 4 KiB) up to `capacity`, so a connection that never sends holds no buffer memory. With a
// BlockCache, 4 KiB rings come from it and go back to it (the first ring of most connections),
// as soon as the ring is drained.
// Zero-copy bytes (AppendRef) stay in the application's mbufs: the buffer keeps a reference
// to each run of them (an extent) at its place in the stream, between ring bytes, and drops
// it as soon as every byte of it is discarded (acknowledged), or on Clear().
// AppendTo builds a segment's payload: ring bytes and short zero-copy runs are copied into
// the segment; with `attach` (the port transmits mbuf chains) longer zero-copy runs are
// chained to it as indirect mbufs, so their bytes are never copied. Every (re)transmission
// builds its segment afresh, and zero-copy bytes are never modified, so a retransmission
// never changes a buffer the device may still hold.
// Invariants: size() = ring bytes + extent bytes <= capacity(); extents are in stream order
// and disjoint; CopyOut and AppendTo never read past size(). Without extents every call is
// the plain ring's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/block_cache.h"
#include "buf/packet.h"

namespace ustack {

class SendBuffer {
 public:
  // `blocks` (may be null: the heap) must outlive the buffer.
  explicit SendBuffer(uint32_t capacity, bool attach = false, BlockCache* blocks = nullptr)
      : capacity_(capacity), attach_(attach), blocks_(blocks) {}
  ~SendBuffer() { FreeRing(); }
  SendBuffer(const SendBuffer&) = delete;
  SendBuffer& operator=(const SendBuffer&) = delete;

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t free_space() const { return capacity_ > size_ ? capacity_ - size_ : 0; }
  // New capacity (autosizing, SO_SNDBUF). Memory still grows only as bytes are appended;
  // a capacity below size() keeps the queued bytes and takes no more until they drain.
  void set_capacity(uint32_t capacity) { capacity_ = capacity; }
  bool empty() const { return size_ == 0; }
  size_t extents() const { return zc_.size(); }

  // Appends up to free_space() bytes; returns how many were taken.
  size_t Append(std::span<const uint8_t> data);
  // Zero-copy append: up to free_space() of the bytes [off, off + len) of the single-segment
  // packet `pkt`, by reference (Packet::Retain), without copying. Those bytes must not change
  // from now on. Returns how many were taken (0 also when the range is not in pkt).
  uint32_t AppendRef(const Packet& pkt, uint32_t off, uint32_t len);
  // Drops n acknowledged bytes from the front (n is clamped to size()).
  void Discard(uint32_t n);
  // Copies bytes [offset, offset + dst.size()) (clamped to size()); returns bytes copied.
  size_t CopyOut(uint32_t offset, std::span<uint8_t> dst) const;
  // Appends bytes [offset, offset + len) to the segment `seg` (see above); false when they
  // are not all in the buffer or mbufs run out (seg then holds part of them).
  bool AppendTo(Packet& seg, uint32_t offset, uint32_t len) const;
  // Bytes [offset, offset + len) where they lie in the ring (it may wrap: out[1] is then the
  // part from the ring's start, else empty), for a caller that copies them itself (EmitSegment
  // copies and checksums in one pass). False when they are not all ring bytes (zero-copy
  // extents, or beyond size()). The spans are valid until the buffer next changes.
  bool RingSpans(uint32_t offset, uint32_t len, std::span<const uint8_t> (&out)[2]) const {
    if (!zc_.empty() || uint64_t{offset} + len > ring_len_ || len == 0) return false;
    const uint32_t start = (head_ + offset) & (ring_size_ - 1);
    const uint32_t first = len < ring_size_ - start ? len : ring_size_ - start;
    out[0] = {ring_ + start, first};
    out[1] = {ring_, len - first};
    return true;
  }
  // Frees everything.
  void Clear();

  // Zero-copy runs shorter than this are copied into the segment even with `attach`: an
  // indirect mbuf costs more than copying them, and a frame ending in one is never short
  // enough to need link padding (which is appended in place).
  static constexpr uint32_t kAttachMin = 256;
  // The ring's first (smallest) size, the one worth caching.
  static constexpr uint32_t kMinRing = 4096;

 private:
  struct Extent {
    uint64_t pos;        // stream position of its first byte
    uint64_t zc_before;  // zero-copy bytes at stream positions before pos
    Packet pkt;          // a reference to the mbuf holding the bytes
    uint32_t off;        // of the first byte in pkt's data
    uint32_t len;
  };

  // A FIFO of extents over a vector with a moving head: unlike std::deque it allocates
  // nothing until the first zero-copy append (every idle connection has a send buffer).
  class ExtentQueue {
   public:
    using Iter = std::vector<Extent>::const_iterator;
    bool empty() const { return head_ == v_.size(); }
    size_t size() const { return v_.size() - head_; }
    Extent& front() { return v_[head_]; }
    const Extent& front() const { return v_[head_]; }
    Extent& back() { return v_.back(); }
    Iter begin() const { return v_.begin() + static_cast<std::ptrdiff_t>(head_); }
    Iter end() const { return v_.end(); }
    void push_back(Extent e);
    void pop_front();  // drops the extent's mbuf reference at once
    void clear();

   private:
    std::vector<Extent> v_;
    size_t head_ = 0;
  };

  void Grow(uint32_t need);
  void FreeRing();
  void RingCopy(uint32_t ring_off, uint8_t* dst, uint32_t n) const;
  void RingDiscard(uint32_t n);
  // Calls ring(ring_offset, n) and zc(extent, offset_in_extent, n) for the runs of bytes
  // [offset, offset + n), in order; stops (returning false) when one returns false.
  template <typename RingFn, typename ZcFn>
  bool ForEachRun(uint32_t offset, uint32_t n, RingFn&& ring, ZcFn&& zc) const;

  uint32_t capacity_;
  bool attach_;
  uint32_t size_ = 0;  // ring bytes + extent bytes
  BlockCache* blocks_;
  // The ring of copied bytes (from blocks_ or the heap; uninitialised until written).
  uint8_t* ring_ = nullptr;
  uint32_t ring_size_ = 0;  // power of two, or 0 when nothing is allocated
  uint32_t head_ = 0;       // ring index of the first ring byte
  uint32_t ring_len_ = 0;   // ring bytes held
  // Zero-copy extents, and the stream bookkeeping that places ring bytes between them.
  ExtentQueue zc_;
  uint64_t head_pos_ = 0;  // stream position of byte 0
  uint64_t zc_total_ = 0;  // zero-copy bytes ever appended (since Clear)
};

}  // namespace ustack
