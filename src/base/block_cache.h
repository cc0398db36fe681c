// BlockCache: keeps freed memory blocks of a few fixed sizes and hands them back before
// asking the allocator, so objects every connection allocates once (the send ring, the
// receive queue's chunk ring, the sent-segment log) reuse the blocks of the connections
// before them instead of a fresh heap block each time. BlockAllocator<T> puts a standard
// container's storage through it.
// Ownership: one per stack (the TcpEngine owns it); users hold a pointer, null meaning the
// plain heap. It must outlive every block it handed out. Single-threaded, like its stack.
// Invariants: each size class holds at most cap() blocks, each from ::operator new of exactly
// that size, linked through their first bytes; the destructor frees them all. Under
// AddressSanitizer nothing is kept (cap 0), so a use after free is still caught.
#pragma once

#include <array>
#include <cstddef>
#include <initializer_list>
#include <new>
#include <type_traits>

namespace ustack {

class BlockCache {
 public:
  static constexpr size_t kMaxSizes = 4;
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kKeepsBlocks = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr bool kKeepsBlocks = false;
#else
  static constexpr bool kKeepsBlocks = true;
#endif
#else
  static constexpr bool kKeepsBlocks = true;
#endif

  // Caches blocks of the given sizes (at most kMaxSizes; each at least a pointer's size,
  // smaller ones are not cached), up to `cap` blocks of each.
  BlockCache(std::initializer_list<size_t> sizes, size_t cap) : cap_(kKeepsBlocks ? cap : 0) {
    for (size_t s : sizes) {
      if (n_ < kMaxSizes && s >= sizeof(Free_)) classes_[n_++].size = s;
    }
  }
  ~BlockCache() {
    for (size_t i = 0; i < n_; ++i) {
      while (Free_* f = classes_[i].head) {
        classes_[i].head = f->next;
        ::operator delete(f);
      }
    }
  }
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;

  // A block of `bytes` (aligned for any ordinary type): a cached one of that size if any.
  void* Allocate(size_t bytes) {
    if (Class* c = Find(bytes); c && c->head) {
      Free_* f = c->head;
      c->head = f->next;
      --c->count;
      return f;
    }
    return ::operator new(bytes);
  }
  // Gives back a block from Allocate (or ::operator new) of `bytes`; kept when its size is
  // cached and that class is not full, else freed.
  void Free(void* p, size_t bytes) noexcept {
    if (!p) return;
    Class* c = Find(bytes);
    if (!c || c->count >= cap_) {
      ::operator delete(p);
      return;
    }
    c->head = ::new (p) Free_{c->head};
    ++c->count;
  }
  // True when a block of `bytes` given back now is worth giving back early (a user that
  // empties keeps nothing, and takes a block again when it fills): Free would keep it, or
  // under AddressSanitizer (nothing is kept) its size is cached, so a later use is caught.
  bool WantsBack(size_t bytes) const {
    const Class* c = const_cast<BlockCache*>(this)->Find(bytes);
    return c && (c->count < cap_ || !kKeepsBlocks);
  }
  // Blocks of `bytes` held now.
  size_t held(size_t bytes) const {
    const Class* c = const_cast<BlockCache*>(this)->Find(bytes);
    return c ? c->count : 0;
  }
  size_t cap() const { return cap_; }

 private:
  struct Free_ {
    Free_* next;
  };
  struct Class {
    size_t size = 0;
    size_t count = 0;
    Free_* head = nullptr;
  };
  Class* Find(size_t bytes) {
    for (size_t i = 0; i < n_; ++i) {
      if (classes_[i].size == bytes) return &classes_[i];
    }
    return nullptr;
  }

  std::array<Class, kMaxSizes> classes_{};
  size_t n_ = 0;
  size_t cap_;
};

// A block of `bytes` from `cache`, or from the plain heap when `cache` is null.
inline void* AllocateBlock(BlockCache* cache, size_t bytes) {
  return cache ? cache->Allocate(bytes) : ::operator new(bytes);
}
// Gives back a block from AllocateBlock with the same cache and size.
inline void FreeBlock(BlockCache* cache, void* p, size_t bytes) noexcept {
  if (cache) {
    cache->Free(p, bytes);
  } else {
    ::operator delete(p);
  }
}

// A standard allocator over a BlockCache (null: the plain heap). Containers keep theirs on
// move and swap, so a block always returns to the cache it came from.
template <class T>
class BlockAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

  BlockAllocator() noexcept = default;
  explicit BlockAllocator(BlockCache* cache) noexcept : cache_(cache) {}
  template <class U>
  BlockAllocator(const BlockAllocator<U>& o) noexcept : cache_(o.cache()) {}  // NOLINT

  T* allocate(size_t n) { return static_cast<T*>(AllocateBlock(cache_, n * sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { FreeBlock(cache_, p, n * sizeof(T)); }
  BlockCache* cache() const { return cache_; }
  template <class U>
  bool operator==(const BlockAllocator<U>& o) const {
    return cache_ == o.cache();
  }

 private:
  BlockCache* cache_ = nullptr;
};

}  // namespace ustack
