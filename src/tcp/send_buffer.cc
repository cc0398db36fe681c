// Send byte ring, see send_buffer.h.
#include "tcp/send_buffer.h"

#include <algorithm>
#include <cstring>

namespace ustack {

namespace {
constexpr uint32_t kMinRing = 4096;
}

void SendBuffer::Grow(uint32_t need) {
  uint32_t n = std::max(ring_size_, kMinRing);
  while (n < need) n *= 2;
  auto fresh = std::make_unique<uint8_t[]>(n);
  CopyOut(0, {fresh.get(), size_});
  ring_ = std::move(fresh);
  ring_size_ = n;
  head_ = 0;
}

size_t SendBuffer::Append(std::span<const uint8_t> data) {
  const uint32_t take = static_cast<uint32_t>(std::min<size_t>(data.size(), free_space()));
  if (take == 0) return 0;
  if (size_ + take > ring_size_) Grow(size_ + take);
  const uint32_t mask = ring_size_ - 1;
  const uint32_t tail = (head_ + size_) & mask;
  const uint32_t first = std::min(take, ring_size_ - tail);
  std::memcpy(ring_.get() + tail, data.data(), first);
  std::memcpy(ring_.get(), data.data() + first, take - first);
  size_ += take;
  return take;
}

void SendBuffer::Discard(uint32_t n) {
  n = std::min(n, size_);
  size_ -= n;
  head_ = size_ == 0 ? 0 : (head_ + n) & (ring_size_ - 1);
}

size_t SendBuffer::CopyOut(uint32_t offset, std::span<uint8_t> dst) const {
  if (offset >= size_) return 0;
  const uint32_t n = static_cast<uint32_t>(std::min<size_t>(dst.size(), size_ - offset));
  const uint32_t mask = ring_size_ - 1;
  const uint32_t start = (head_ + offset) & mask;
  const uint32_t first = std::min(n, ring_size_ - start);
  std::memcpy(dst.data(), ring_.get() + start, first);
  std::memcpy(dst.data() + first, ring_.get(), n - first);
  return n;
}

void SendBuffer::Clear() {
  ring_.reset();
  ring_size_ = 0;
  head_ = 0;
  size_ = 0;
}

}  // namespace ustack
