// SendBuffer: the bytes an application queued for sending and that are not yet acknowledged,
// as a byte ring. Byte 0 is the one at SND.UNA (once the SYN is acknowledged). The ring grows
// on demand (power-of-two sizes, from 4 KiB) up to `capacity`, so a connection that never
// sends holds no buffer memory; Clear() releases it.
// Invariants: size() <= capacity(); CopyOut never reads past size().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace ustack {

class SendBuffer {
 public:
  explicit SendBuffer(uint32_t capacity) : capacity_(capacity) {}

  uint32_t size() const { return size_; }
  uint32_t capacity() const { return capacity_; }
  uint32_t free_space() const { return capacity_ - size_; }
  bool empty() const { return size_ == 0; }

  // Appends up to free_space() bytes; returns how many were taken.
  size_t Append(std::span<const uint8_t> data);
  // Drops n acknowledged bytes from the front (n is clamped to size()).
  void Discard(uint32_t n);
  // Copies bytes [offset, offset + dst.size()) (clamped to size()); returns bytes copied.
  size_t CopyOut(uint32_t offset, std::span<uint8_t> dst) const;
  // Frees everything.
  void Clear();

 private:
  void Grow(uint32_t need);

  uint32_t capacity_;
  std::unique_ptr<uint8_t[]> ring_;
  uint32_t ring_size_ = 0;  // power of two, or 0 when nothing is allocated
  uint32_t head_ = 0;       // ring index of byte 0
  uint32_t size_ = 0;
};

}  // namespace ustack
