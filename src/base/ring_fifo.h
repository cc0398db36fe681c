// RingFifo<T>: a FIFO over a ring whose capacity (a power of two) doubles when full and never
// shrinks. It allocates nothing until the first push, so an idle socket's empty queue costs
// only the object itself (std::deque allocates ~600 bytes even when empty), and steady use
// allocates nothing. T must be default-constructible and movable; a popped slot is reset to
// T{} at once, so a queue of mbuf references drops each reference when it is popped.
// Single-threaded.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace ustack {

template <typename T>
class RingFifo {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Preconditions for the accessors: !empty(), and i < size() for operator[].
  T& front() { return ring_[head_]; }
  const T& front() const { return ring_[head_]; }
  T& back() { return (*this)[size_ - 1]; }
  const T& back() const { return (*this)[size_ - 1]; }
  T& operator[](size_t i) { return ring_[(head_ + i) & (ring_.size() - 1)]; }
  const T& operator[](size_t i) const { return ring_[(head_ + i) & (ring_.size() - 1)]; }

  void push_back(T v) {
    if (size_ == ring_.size()) Grow();
    ring_[(head_ + size_) & (ring_.size() - 1)] = std::move(v);
    ++size_;
  }
  // Precondition: !empty().
  T pop_front() {
    T v = std::exchange(ring_[head_], T{});
    head_ = (head_ + 1) & (ring_.size() - 1);
    --size_;
    return v;
  }
  void clear() {
    while (!empty()) pop_front();
    head_ = 0;
  }

 private:
  void Grow() {
    std::vector<T> bigger(ring_.empty() ? kFirstCapacity : ring_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
    ring_.swap(bigger);
    head_ = 0;
  }

  static constexpr size_t kFirstCapacity = 8;
  std::vector<T> ring_;  // size: 0 or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace ustack
