// Zero-copy receive loans, see zero_copy.h.
#include "socket/zero_copy.h"

namespace ustack {

void ZcBuffers::Lend(RecvChunk&& chunk, ZcIov* iov) {
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(loans_.size());
    loans_.emplace_back();
  }
  Loan& l = loans_[slot];
  ++l.gen;
  l.lent = true;
  const std::span<uint8_t> head = chunk.pkt.head();
  if (chunk.pkt.contiguous() && head.size() >= size_t{chunk.off} + chunk.len) {
    iov->base = head.data() + chunk.off;
    l.pkt = std::move(chunk.pkt);
  } else {
    l.copy = std::make_unique<uint8_t[]>(chunk.len);
    chunk.pkt.CopyOut(chunk.off, std::span<uint8_t>(l.copy.get(), chunk.len));
    iov->base = l.copy.get();
    chunk.pkt.Reset();
  }
  iov->len = chunk.len;
  iov->handle = (uint64_t{l.gen} << 32) | (uint64_t{slot} + 1);
}

bool ZcBuffers::Return(uint64_t handle) {
  const uint64_t idx = (handle & 0xffffffffu);
  if (idx == 0 || idx > loans_.size()) return false;
  const auto slot = static_cast<uint32_t>(idx - 1);
  Loan& l = loans_[slot];
  if (!l.lent || l.gen != static_cast<uint32_t>(handle >> 32)) return false;
  l.lent = false;
  l.pkt.Reset();
  l.copy.reset();
  free_.push_back(slot);
  return true;
}

}  // namespace ustack
