// ChunkRing: a FIFO of RecvChunks in a power-of-two ring that allocates nothing until the
// first push (an idle connection's receive queue costs no heap) and doubles when full. With a
// BlockCache, every size's storage comes from it and goes back to it (the cache keeps the
// first size, kInitialBytes; larger ones pass through to the heap), and storage of the first
// size goes back as soon as the ring is empty.
// Invariants: count_ <= capacity_; slots outside [head_, head_ + count_) hold empty chunks;
// slots_ holds capacity_ constructed chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

#include "base/block_cache.h"
#include "tcp/recv_chunk.h"

namespace ustack {

class ChunkRing {
 public:
  static constexpr size_t kInitialCapacity = 4;
  static constexpr size_t kInitialBytes = kInitialCapacity * sizeof(RecvChunk);

  // `blocks` (may be null: the heap) must outlive the ring.
  explicit ChunkRing(BlockCache* blocks = nullptr) : blocks_(blocks) {}
  ~ChunkRing() { Release(slots_, capacity_); }
  ChunkRing(const ChunkRing&) = delete;
  ChunkRing& operator=(const ChunkRing&) = delete;

  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  RecvChunk& front() { return slots_[head_]; }
  // The i-th chunk from the front (i < size()).
  const RecvChunk& at(size_t i) const { return slots_[(head_ + i) & (capacity_ - 1)]; }
  void push_back(RecvChunk c) {
    if (count_ == capacity_) Grow();
    slots_[(head_ + count_) & (capacity_ - 1)] = std::move(c);
    ++count_;
  }
  void pop_front() {
    slots_[head_] = RecvChunk{};
    head_ = (head_ + 1) & (capacity_ - 1);
    if (--count_ == 0) ReleaseIfSmallest();
  }
  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  void Grow() {
    const size_t cap = capacity_ == 0 ? kInitialCapacity : capacity_ * 2;
    const size_t bytes = cap * sizeof(RecvChunk);
    auto* next = static_cast<RecvChunk*>(AllocateBlock(blocks_, bytes));
    std::uninitialized_value_construct_n(next, cap);
    for (size_t i = 0; i < count_; ++i) next[i] = std::move(slots_[(head_ + i) & (capacity_ - 1)]);
    Release(slots_, capacity_);
    slots_ = next;
    capacity_ = cap;
    head_ = 0;
  }
  // Empty: the smallest storage goes back to the cache (an idle connection holds none), as
  // before the first push.
  void ReleaseIfSmallest() {
    if (capacity_ != kInitialCapacity || !blocks_ || !blocks_->WantsBack(kInitialBytes)) return;
    Release(slots_, capacity_);
    slots_ = nullptr;
    capacity_ = 0;
    head_ = 0;
  }
  void Release(RecvChunk* slots, size_t cap) {
    if (!slots) return;
    std::destroy_n(slots, cap);
    FreeBlock(blocks_, slots, cap * sizeof(RecvChunk));
  }

  BlockCache* blocks_;
  RecvChunk* slots_ = nullptr;
  size_t capacity_ = 0;  // power of two, or 0 before the first push
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace ustack
