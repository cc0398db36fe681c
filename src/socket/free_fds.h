// FreeFds: the free slots of the fd table, for POSIX's lowest-free-descriptor rule. A
// two-level bitmap: one bit per slot (set = free) and one summary bit per 64-slot word (set =
// the word has a free slot), so the lowest free slot at or above any index is found with a
// few find-first-set steps (at most kFdMax / 4096 summary words). Memory grows with the
// highest slot ever tracked and is never given back; steady open/close never allocates.
// Private to the socket layer.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ustack {

class FreeFds {
 public:
  // Marks slot i free (Add) or in use (Remove); slots never added count as in use.
  void Add(int i) {
    const size_t w = static_cast<size_t>(i) / 64;
    if (w >= words_.size()) {
      words_.resize(w + 1, 0);
      summary_.resize(w / 64 + 1, 0);
    }
    words_[w] |= Bit(i);
    summary_[w / 64] |= Bit(static_cast<int>(w));
  }
  void Remove(int i) {
    const size_t w = static_cast<size_t>(i) / 64;
    if (w >= words_.size()) return;
    words_[w] &= ~Bit(i);
    if (words_[w] == 0) summary_[w / 64] &= ~Bit(static_cast<int>(w));
  }
  bool Contains(int i) const {
    const size_t w = static_cast<size_t>(i) / 64;
    return w < words_.size() && (words_[w] & Bit(i)) != 0;
  }
  // The lowest free slot >= from (from >= 0), or -1.
  int LowestAtLeast(int from) const {
    size_t w = static_cast<size_t>(from) / 64;
    if (w >= words_.size()) return -1;
    const uint64_t here = words_[w] & (~uint64_t{0} << (from % 64));
    if (here) return Slot(w, here);
    // The next word with a free slot, from the summary.
    ++w;
    for (size_t s = w / 64; s < summary_.size(); ++s) {
      uint64_t bits = summary_[s];
      if (s == w / 64) bits &= ~uint64_t{0} << (w % 64);
      if (bits) {
        const size_t word = s * 64 + static_cast<size_t>(std::countr_zero(bits));
        return Slot(word, words_[word]);
      }
    }
    return -1;
  }

 private:
  static uint64_t Bit(int i) { return uint64_t{1} << (i % 64); }
  static int Slot(size_t word, uint64_t bits) {
    return static_cast<int>(word * 64) + std::countr_zero(bits);
  }

  std::vector<uint64_t> words_;
  std::vector<uint64_t> summary_;
};

}  // namespace ustack
