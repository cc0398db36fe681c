// ReadyQueue: the scheduler's FIFO of coroutines to resume, a ring buffer whose capacity
// doubles when full and never shrinks, so that steady operation allocates nothing (a
// std::deque allocates and frees a block every few dozen pushes). Single-threaded.
#pragma once

#include <coroutine>
#include <cstddef>
#include <vector>

namespace ustack::co {

class ReadyQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  void push_back(std::coroutine_handle<> h) {
    if (size_ == ring_.size()) Grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = h;
    ++size_;
  }
  // Precondition: !empty().
  std::coroutine_handle<> pop_front() {
    const std::coroutine_handle<> h = ring_[head_];
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
    return h;
  }
  void clear() { head_ = size_ = 0; }

 private:
  void Grow() {
    std::vector<std::coroutine_handle<>> bigger(ring_.empty() ? 64 : ring_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = ring_[(head_ + i) & (ring_.size() - 1)];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::vector<std::coroutine_handle<>> ring_;  // size: 0 or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace ustack::co
