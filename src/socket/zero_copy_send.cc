// Zero-copy send buffers, see zero_copy_send.h.
#include "socket/zero_copy_send.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace ustack {

static_assert(sizeof(void*) == 8, "zero-copy send handles need 64-bit pointers");

void ZcSendBuffers::Buffer::CopyUnsent(std::span<uint8_t> dst) const {
  size_t at = sent, done = 0;
  while (done < dst.size()) {
    const Packet& m = mbufs[at / room];
    const size_t in = at % room;
    const size_t k = std::min(m.head().size() - in, dst.size() - done);
    std::memcpy(dst.data() + done, m.head().data() + in, k);
    done += k;
    at += k;
  }
}

int ZcSendBuffers::Alloc(rte_mempool* pool, int64_t len, void** handle) {
  if (len <= 0 || len > INT_MAX || !handle) return -EINVAL;
  if (free_.empty() && slots_.size() >= kMaxSlots) return -ENOMEM;
  Packet first = Packet::Alloc(pool);
  if (!first || first.tailroom() == 0) return -ENOMEM;
  const uint32_t room = first.tailroom();
  const uint64_t need = (static_cast<uint64_t>(len) + room - 1) / room;
  const uint64_t reserve = PacketPool::Capacity(pool) / kPoolReserveDivisor;
  if (need - 1 + reserve > PacketPool::Available(pool)) return -ENOMEM;
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  Buffer& b = slots_[slot];
  b.mbufs.reserve(need);
  b.mbufs.push_back(std::move(first));
  while (b.mbufs.size() < need) {
    Packet p = Packet::Alloc(pool);
    if (!p) {
      b.mbufs.clear();
      free_.push_back(slot);
      return -ENOMEM;
    }
    b.mbufs.push_back(std::move(p));
  }
  b.room = room;
  b.capacity = static_cast<uint32_t>(len);
  b.written = 0;
  b.sent = 0;
  ++b.gen;
  b.live = true;
  *handle = HandleOf(slot, b.gen);
  return 0;
}

ZcSendBuffers::Buffer* ZcSendBuffers::Find(const void* handle) {
  if (!IsHandle(handle)) return nullptr;
  const auto v = reinterpret_cast<uintptr_t>(handle);
  const auto slot = static_cast<uint32_t>(v & kGenMask);
  const auto gen = static_cast<uint32_t>((v >> 24) & kGenMask);
  if (slot >= slots_.size()) return nullptr;
  Buffer& b = slots_[slot];
  // The exact value: the bits between the tag and the generation must be clear too.
  if (!b.live || HandleOf(slot, b.gen) != handle || (b.gen & kGenMask) != gen) return nullptr;
  return &b;
}

int ZcSendBuffers::Write(Buffer* b, std::span<const uint8_t> data) {
  if (data.size() > b->capacity - b->written) return -EINVAL;
  size_t done = 0;
  while (done < data.size()) {
    Packet& m = b->mbufs[b->written / b->room];
    const uint32_t in = b->written % b->room;
    const auto k = static_cast<uint16_t>(std::min<size_t>(b->room - in, data.size() - done));
    uint8_t* d = m.Append(k);  // mbuf i holds exactly `room` bytes: this always fits
    if (!d) return -EINVAL;
    std::memcpy(d, data.data() + done, k);
    done += k;
    b->written += k;
  }
  return 0;
}

void ZcSendBuffers::Consume(const void* handle, size_t n) {
  Buffer* b = Find(handle);
  if (!b || n == 0) return;
  const uint32_t from = b->sent / b->room;
  b->sent += static_cast<uint32_t>(std::min<size_t>(n, b->unsent()));
  if (b->unsent() == 0) {
    Release(static_cast<uint32_t>(b - slots_.data()));
    return;
  }
  // Fully sent mbufs now live on in the send buffer only.
  for (uint32_t i = from; i < b->sent / b->room; ++i) b->mbufs[i].Reset();
}

bool ZcSendBuffers::Free(const void* handle) {
  Buffer* b = Find(handle);
  if (!b) return false;
  Release(static_cast<uint32_t>(b - slots_.data()));
  return true;
}

void ZcSendBuffers::Release(uint32_t slot) {
  Buffer& b = slots_[slot];
  b.mbufs.clear();  // the mbufs go back unless a send buffer still holds them
  b.live = false;
  free_.push_back(slot);
}

}  // namespace ustack
