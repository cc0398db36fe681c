// Unit tests for BlockCache and BlockAllocator (block_cache.h): reuse, the per-size cap,
// separate size classes, early give-back, and that destruction frees every held block.
#include "base/block_cache.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <optional>
#include <vector>

namespace ustack {
namespace {

#define SKIP_WITHOUT_KEEPING() \
  if (!BlockCache::kKeepsBlocks) GTEST_SKIP() << "AddressSanitizer: nothing is kept"

TEST(BlockCache, FreedBlockIsHandedBackBeforeTheAllocator) {
  SKIP_WITHOUT_KEEPING();
  BlockCache cache({64, 4096}, 8);
  void* a = cache.Allocate(4096);
  cache.Free(a, 4096);
  EXPECT_EQ(cache.held(4096), 1u);
  void* b = cache.Allocate(4096);
  EXPECT_EQ(b, a);
  EXPECT_EQ(cache.held(4096), 0u);
  void* c = cache.Allocate(4096);  // the class is empty: a fresh block
  EXPECT_NE(c, b);
  cache.Free(b, 4096);
  cache.Free(c, 4096);
  EXPECT_EQ(cache.held(4096), 2u);
}

TEST(BlockCache, KeepsAtMostCapBlocksPerSize) {
  SKIP_WITHOUT_KEEPING();
  BlockCache cache({64, 128}, 3);
  std::vector<void*> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(cache.Allocate(64));
  EXPECT_TRUE(cache.WantsBack(64));
  for (void* p : blocks) cache.Free(p, 64);
  EXPECT_EQ(cache.held(64), 3u);
  EXPECT_FALSE(cache.WantsBack(64));  // full
  EXPECT_TRUE(cache.WantsBack(128));  // another class has its own cap
  EXPECT_EQ(cache.cap(), 3u);
}

TEST(BlockCache, SizesAreKeptApartAndOthersAreNotKept) {
  SKIP_WITHOUT_KEEPING();
  BlockCache cache({64, 128}, 4);
  void* small = cache.Allocate(64);
  cache.Free(small, 64);
  void* big = cache.Allocate(128);
  EXPECT_NE(big, small);  // a 64-byte block never serves 128 bytes
  EXPECT_EQ(cache.held(64), 1u);
  cache.Free(big, 128);
  EXPECT_EQ(cache.held(128), 1u);
  void* other = cache.Allocate(96);  // not a cached size: straight to the heap and back
  cache.Free(other, 96);
  EXPECT_EQ(cache.held(96), 0u);
  EXPECT_FALSE(cache.WantsBack(96));
  EXPECT_EQ(cache.Allocate(64), small);
  cache.Free(small, 64);
}

TEST(BlockCache, ZeroCapKeepsNothing) {
  BlockCache cache({64}, 0);
  void* a = cache.Allocate(64);
  cache.Free(a, 64);
  EXPECT_EQ(cache.held(64), 0u);
}

// Heap bytes in use (glibc). Blocks above glibc's per-thread cache limit (1 KiB), so a
// freed one leaves the count at once.
size_t HeapInUse() { return mallinfo2().uordblks; }

TEST(BlockCache, DestructionFreesEveryHeldBlock) {
  SKIP_WITHOUT_KEEPING();
  std::vector<void*> blocks;
  blocks.reserve(128);
  const size_t before = HeapInUse();
  std::optional<BlockCache> cache;  // not on the heap itself
  cache.emplace(std::initializer_list<size_t>{4096, 2048}, 64);
  for (int i = 0; i < 64; ++i) blocks.push_back(cache->Allocate(4096));
  for (int i = 0; i < 64; ++i) blocks.push_back(cache->Allocate(2048));
  for (int i = 0; i < 64; ++i) cache->Free(blocks[static_cast<size_t>(i)], 4096);
  for (int i = 64; i < 128; ++i) cache->Free(blocks[static_cast<size_t>(i)], 2048);
  const size_t held = cache->held(4096) + cache->held(2048);
  const size_t full = HeapInUse();
  cache.reset();
  const size_t after = HeapInUse();
  EXPECT_EQ(held, 128u);
  EXPECT_GE(full, before + 64 * (4096 + 2048));
  EXPECT_EQ(after, before);
}

TEST(BlockAllocator, VectorStorageComesBackThroughTheCache) {
  SKIP_WITHOUT_KEEPING();
  BlockCache cache({8 * sizeof(uint64_t)}, 4);
  const uint64_t* first = nullptr;
  {
    std::vector<uint64_t, BlockAllocator<uint64_t>> v{BlockAllocator<uint64_t>(&cache)};
    v.reserve(8);
    first = v.data();
    for (uint64_t i = 0; i < 8; ++i) v.push_back(i);
    EXPECT_EQ(v.data(), first);
  }
  EXPECT_EQ(cache.held(8 * sizeof(uint64_t)), 1u);
  std::vector<uint64_t, BlockAllocator<uint64_t>> w{BlockAllocator<uint64_t>(&cache)};
  w.reserve(8);
  EXPECT_EQ(w.data(), first);
  w.resize(100);  // growth beyond the cached size: the old block goes back, the new is heap
  EXPECT_EQ(cache.held(8 * sizeof(uint64_t)), 1u);
  auto moved = std::move(w);  // the allocator moves with the storage
  EXPECT_EQ(moved.get_allocator().cache(), &cache);
}

TEST(BlockAllocator, WithoutCacheUsesTheHeap) {
  std::vector<int, BlockAllocator<int>> v;
  for (int i = 0; i < 1000; ++i) v.push_back(i);
  EXPECT_EQ(v[999], 999);
  EXPECT_EQ(v.get_allocator().cache(), nullptr);
}

}  // namespace
}  // namespace ustack
