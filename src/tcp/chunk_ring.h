// ChunkRing: a FIFO of RecvChunks in a power-of-two ring that allocates nothing until the
// first push (an idle connection's receive queue costs no heap) and doubles when full.
// Invariants: count_ <= capacity_; slots outside [head_, head_ + count_) hold empty chunks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "tcp/recv_chunk.h"

namespace ustack {

class ChunkRing {
 public:
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
    --count_;
  }
  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  void Grow() {
    const size_t cap = capacity_ == 0 ? 4 : capacity_ * 2;
    auto next = std::make_unique<RecvChunk[]>(cap);
    for (size_t i = 0; i < count_; ++i) next[i] = std::move(slots_[(head_ + i) & (capacity_ - 1)]);
    slots_ = std::move(next);
    capacity_ = cap;
    head_ = 0;
  }

  std::unique_ptr<RecvChunk[]> slots_;
  size_t capacity_ = 0;  // power of two, or 0 before the first push
  size_t head_ = 0;
  size_t count_ = 0;
};

}  // namespace ustack
