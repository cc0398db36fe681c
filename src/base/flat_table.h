// FlatTable: an open-addressing hash table (Robin Hood linear probing, backward-shift
// deletion) of small trivially copyable values that carry their own key (KeyOf(value)), e.g.
// a pointer to an object that knows its key. Each slot is the value plus its 64-bit hash, so
// a probe compares hashes in one cache line and looks at a key only on a hash match.
// Capacity is a power of two (at least 16) that doubles past 3/4 full and never shrinks;
// lookups, inserts and erases never allocate except when the table grows.
// Deletion shifts the following displaced entries back one slot instead of leaving a
// tombstone, so a table that saw many erases (connections leaving TIME-WAIT) probes as short
// as a fresh one. Robin Hood ordering bounds the variance of probe lengths and lets a miss
// stop at the first slot whose entry sits closer to its home than the probe has travelled.
// The hash must spread its input: remote-chosen keys need a secret-keyed hash (flow.h).
// Invariants: for every entry, no empty slot lies between its home slot and its slot, and
// entries are ordered by non-decreasing home along every run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace ustack {

template <typename Value, typename Key, typename KeyOf, typename Hash>
class FlatTable {
  static_assert(std::is_trivially_copyable_v<Value>);

 public:
  explicit FlatTable(Hash hash = Hash{}, KeyOf key_of = KeyOf{}, size_t capacity = 16)
      : hash_(hash), key_of_(key_of) {
    size_t cap = kMinCapacity;
    while (cap < capacity) cap *= 2;
    slots_.resize(cap);
    mask_ = cap - 1;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  size_t capacity() const { return slots_.size(); }

  // The entry with key k, or nullptr. The pointer stays valid until the next insert or erase.
  Value* Find(const Key& k) {
    const size_t i = Locate(k, Hashed(k));
    return i == kNone ? nullptr : &slots_[i].value;
  }
  const Value* Find(const Key& k) const { return const_cast<FlatTable*>(this)->Find(k); }

  // Adds v; its key must not be in the table yet (check with Find first). Returns where v
  // now is (valid until the next insert or erase).
  Value* Insert(const Value& v) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Grow();
    ++size_;
    return &slots_[Place(Slot{Hashed(key_of_(v)), v})].value;
  }

  // Removes the entry with key k if pred(entry) holds; returns whether one was removed.
  template <typename Pred>
  bool EraseIf(const Key& k, Pred pred) {
    const size_t i = Locate(k, Hashed(k));
    if (i == kNone || !pred(slots_[i].value)) return false;
    EraseAt(i);
    return true;
  }
  bool Erase(const Key& k) {
    return EraseIf(k, [](const Value&) { return true; });
  }
  // Removes the entry that Find or Insert returned (and no insert or erase since).
  void EraseFound(const Value* v) {
    const auto* base = reinterpret_cast<const unsigned char*>(slots_.data());
    EraseAt(static_cast<size_t>(reinterpret_cast<const unsigned char*>(v) - base) / sizeof(Slot));
  }

  template <typename F>
  void ForEach(F f) const {
    for (const Slot& s : slots_) {
      if (s.hash != 0) f(s.value);
    }
  }

  // The slots an entry is away from its home slot, for tests (max over all entries).
  size_t MaxProbeDistance() const {
    size_t worst = 0;
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (slots_[i].hash != 0 && Distance(slots_[i].hash, i) > worst) {
        worst = Distance(slots_[i].hash, i);
      }
    }
    return worst;
  }

 private:
  static constexpr size_t kMinCapacity = 16;
  static constexpr size_t kNone = SIZE_MAX;
  // The top bit marks a used slot, so a stored hash is never 0 (the empty marker); homes use
  // the low bits.
  static constexpr uint64_t kUsed = uint64_t{1} << 63;

  struct Slot {
    uint64_t hash = 0;  // 0: empty
    Value value{};
  };

  uint64_t Hashed(const Key& k) const { return static_cast<uint64_t>(hash_(k)) | kUsed; }
  size_t Distance(uint64_t hash, size_t slot) const {
    return (slot - static_cast<size_t>(hash)) & mask_;
  }

  size_t Locate(const Key& k, uint64_t h) const {
    size_t i = static_cast<size_t>(h) & mask_;
    for (size_t dist = 0;; ++dist, i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      // Robin Hood: an entry nearer its home than we are to ours means k is absent.
      if (s.hash == 0 || Distance(s.hash, i) < dist) return kNone;
      if (s.hash == h && key_of_(s.value) == k) return i;
    }
  }

  // Stores carry; returns its slot.
  size_t Place(Slot carry) {
    size_t i = static_cast<size_t>(carry.hash) & mask_;
    size_t placed = kNone;  // where the original carry went once it displaced an entry
    for (size_t dist = 0;; ++dist, i = (i + 1) & mask_) {
      Slot& s = slots_[i];
      if (s.hash == 0) {
        s = carry;
        return placed == kNone ? i : placed;
      }
      const size_t d = Distance(s.hash, i);
      if (d < dist) {  // take from the rich: the carried entry is further from home
        std::swap(s, carry);
        dist = d;
        if (placed == kNone) placed = i;
      }
    }
  }

  void EraseAt(size_t i) {
    // Backward shift: pull each following displaced entry one slot nearer its home.
    for (size_t next = (i + 1) & mask_;; i = next, next = (next + 1) & mask_) {
      const Slot& n = slots_[next];
      if (n.hash == 0 || Distance(n.hash, next) == 0) break;
      slots_[i] = n;
    }
    slots_[i] = Slot{};
    --size_;
  }

  void Grow() {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    mask_ = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.hash != 0) Place(s);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
  Hash hash_;
  KeyOf key_of_;
};

}  // namespace ustack
