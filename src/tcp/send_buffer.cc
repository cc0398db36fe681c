// Send buffer: byte ring plus zero-copy extents, see send_buffer.h.
#include "tcp/send_buffer.h"

#include <algorithm>
#include <cstring>

namespace ustack {

void SendBuffer::Grow(uint32_t need) {
  uint32_t n = std::max(ring_size_, kMinRing);
  while (n < need) n *= 2;
  // Uninitialised: only bytes written by Append are ever read (zero-filling a fresh ring was
  // 14% of a short connection's work).
  auto* fresh = static_cast<uint8_t*>(AllocateBlock(blocks_, n));
  if (ring_len_ > 0) RingCopy(0, fresh, ring_len_);
  FreeRing();
  ring_ = fresh;
  ring_size_ = n;
  head_ = 0;
}

void SendBuffer::FreeRing() {
  if (!ring_) return;
  FreeBlock(blocks_, ring_, ring_size_);
  ring_ = nullptr;
}

void SendBuffer::RingCopy(uint32_t ring_off, uint8_t* dst, uint32_t n) const {
  const uint32_t mask = ring_size_ - 1;
  const uint32_t start = (head_ + ring_off) & mask;
  const uint32_t first = std::min(n, ring_size_ - start);
  std::memcpy(dst, ring_ + start, first);
  std::memcpy(dst + first, ring_, n - first);
}

void SendBuffer::RingDiscard(uint32_t n) {
  ring_len_ -= n;
  head_ = ring_len_ == 0 ? 0 : (head_ + n) & (ring_size_ - 1);
  // Drained: a smallest ring goes back to the cache (a connection in TIME-WAIT, or idle
  // between requests, holds none), as before the first Append.
  if (ring_len_ == 0 && ring_size_ == kMinRing && blocks_ && blocks_->WantsBack(kMinRing)) {
    FreeRing();
    ring_size_ = 0;
  }
}

size_t SendBuffer::Append(std::span<const uint8_t> data) {
  const uint32_t take = static_cast<uint32_t>(std::min<size_t>(data.size(), free_space()));
  if (take == 0) return 0;
  if (ring_len_ + take > ring_size_) Grow(ring_len_ + take);
  const uint32_t mask = ring_size_ - 1;
  const uint32_t tail = (head_ + ring_len_) & mask;
  const uint32_t first = std::min(take, ring_size_ - tail);
  std::memcpy(ring_ + tail, data.data(), first);
  std::memcpy(ring_, data.data() + first, take - first);
  ring_len_ += take;
  size_ += take;
  return take;
}

uint32_t SendBuffer::AppendRef(const Packet& pkt, uint32_t off, uint32_t len) {
  if (uint64_t{off} + len > pkt.head().size() || !pkt.contiguous()) return 0;
  const uint32_t take = std::min(len, free_space());
  if (take == 0) return 0;
  const uint64_t pos = head_pos_ + size_;
  if (!zc_.empty()) {  // the next bytes of the same mbuf extend the last extent
    Extent& last = zc_.back();
    if (last.pkt.mbuf() == pkt.mbuf() && last.off + last.len == off && last.pos + last.len == pos) {
      last.len += take;
      size_ += take;
      zc_total_ += take;
      return take;
    }
  }
  Packet ref = pkt.Retain();
  if (!ref) return 0;
  zc_.push_back(Extent{pos, zc_total_, std::move(ref), off, take});
  size_ += take;
  zc_total_ += take;
  return take;
}

void SendBuffer::Discard(uint32_t n) {
  n = std::min(n, size_);
  const uint64_t end = head_pos_ + n;
  uint32_t zc_gone = 0;
  while (!zc_.empty() && zc_.front().pos < end) {
    Extent& e = zc_.front();
    if (e.pos + e.len <= end) {
      zc_gone += e.len;
      zc_.pop_front();  // drops the reference: the mbuf may go back to its pool
      continue;
    }
    const auto k = static_cast<uint32_t>(end - e.pos);
    e.pos += k;
    e.zc_before += k;
    e.off += k;
    e.len -= k;
    zc_gone += k;
    break;
  }
  RingDiscard(n - zc_gone);
  head_pos_ = end;
  size_ -= n;
}

template <typename RingFn, typename ZcFn>
bool SendBuffer::ForEachRun(uint32_t offset, uint32_t n, RingFn&& ring, ZcFn&& zc) const {
  uint64_t p = head_pos_ + offset;
  // Zero-copy bytes before byte 0: the ring offset of a ring byte at p is its distance from
  // byte 0 minus the zero-copy bytes in between.
  const uint64_t zc_head = zc_.empty() ? zc_total_ : zc_.front().zc_before;
  auto it = std::partition_point(zc_.begin(), zc_.end(),
                                 [p](const Extent& e) { return e.pos + e.len <= p; });
  while (n > 0) {
    if (it != zc_.end() && it->pos <= p) {
      const auto in = static_cast<uint32_t>(p - it->pos);
      const uint32_t take = std::min(n, it->len - in);
      if (!zc(*it, in, take)) return false;
      p += take;
      n -= take;
      ++it;
      continue;
    }
    const uint64_t zc_before = it != zc_.end() ? it->zc_before : zc_total_;
    const auto ring_off = static_cast<uint32_t>((p - head_pos_) - (zc_before - zc_head));
    const uint32_t take =
        it != zc_.end() ? static_cast<uint32_t>(std::min<uint64_t>(n, it->pos - p)) : n;
    if (!ring(ring_off, take)) return false;
    p += take;
    n -= take;
  }
  return true;
}

size_t SendBuffer::CopyOut(uint32_t offset, std::span<uint8_t> dst) const {
  if (offset >= size_) return 0;
  const uint32_t n = static_cast<uint32_t>(std::min<size_t>(dst.size(), size_ - offset));
  if (zc_.empty()) {
    RingCopy(offset, dst.data(), n);
    return n;
  }
  uint8_t* out = dst.data();
  ForEachRun(
      offset, n,
      [&](uint32_t ring_off, uint32_t k) {
        RingCopy(ring_off, out, k);
        out += k;
        return true;
      },
      [&](const Extent& e, uint32_t in, uint32_t k) {
        std::memcpy(out, e.pkt.head().data() + e.off + in, k);
        out += k;
        return true;
      });
  return n;
}

bool SendBuffer::AppendTo(Packet& seg, uint32_t offset, uint32_t len) const {
  if (len == 0) return true;
  if (uint64_t{offset} + len > size_ || len > UINT16_MAX) return false;
  if (zc_.empty()) {  // the plain ring: one copy into the segment's tailroom
    uint8_t* d = seg.Append(static_cast<uint16_t>(len));
    if (!d) return false;
    RingCopy(offset, d, len);
    return true;
  }
  rte_mempool* pool = seg.pool();
  auto copy = [&](const uint8_t* src, uint32_t k) { return seg.AppendBytes(pool, {src, k}); };
  return ForEachRun(
      offset, len,
      [&](uint32_t ring_off, uint32_t k) {
        const uint32_t start = (head_ + ring_off) & (ring_size_ - 1);
        const uint32_t first = std::min(k, ring_size_ - start);
        return copy(ring_ + start, first) && copy(ring_, k - first);
      },
      [&](const Extent& e, uint32_t in, uint32_t k) {
        if (!attach_ || k < kAttachMin) return copy(e.pkt.head().data() + e.off + in, k);
        Packet shared = e.pkt.Share(e.off + in, k, pool);
        return shared && seg.Chain(std::move(shared));
      });
}

void SendBuffer::Clear() {
  FreeRing();
  ring_size_ = 0;
  head_ = 0;
  ring_len_ = 0;
  zc_.clear();
  head_pos_ = 0;
  zc_total_ = 0;
  size_ = 0;
}

void SendBuffer::ExtentQueue::push_back(Extent e) {
  if (head_ > 0 && head_ * 2 >= v_.size()) {  // reuse the consumed front before growing
    v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  v_.push_back(std::move(e));
}

void SendBuffer::ExtentQueue::pop_front() {
  v_[head_].pkt = Packet();
  if (++head_ == v_.size()) clear();
}

void SendBuffer::ExtentQueue::clear() {
  v_.clear();
  head_ = 0;
}

}  // namespace ustack
