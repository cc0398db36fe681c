// Unit tests for FlatTable (flat_table.h): churn against std::unordered_map as the reference,
// growth, wrap-around runs, colliding hashes, and the TIME-WAIT pattern (many erases, then
// lookups). Randomised tests print their seed; USTACK_FLAT_TABLE_SEED replays one.
#include "base/flat_table.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <vector>

#include "base/random.h"
#include "base/test_seed.h"

namespace ustack {
namespace {

struct Entry {
  uint64_t key = 0;
  uint32_t payload = 0;
};
struct EntryKey {
  uint64_t operator()(const Entry& e) const { return e.key; }
};
struct MixHash {  // a good spread
  uint64_t operator()(uint64_t k) const {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
  }
};
struct ModHash {  // deliberately poor: long runs of equal and neighbouring homes
  uint64_t modulus = 7;
  uint64_t operator()(uint64_t k) const { return k % modulus; }
};

using Table = FlatTable<Entry, uint64_t, EntryKey, MixHash>;
using PoorTable = FlatTable<Entry, uint64_t, EntryKey, ModHash>;

// A fixed seed per test (CI stays deterministic) unless USTACK_FLAT_TABLE_SEED gives one.
uint64_t SeedFor(const char* test, uint64_t fixed) {
  return TestSeed(test, "USTACK_FLAT_TABLE_SEED", fixed);
}

// Runs `ops` random inserts, erases and lookups over keys below `key_space` on both tables
// and checks that they agree after every step and in full at the end.
template <typename T>
void Churn(T& table, uint64_t seed, int ops, uint64_t key_space) {
  Random r(seed);
  std::unordered_map<uint64_t, uint32_t> ref;
  for (int i = 0; i < ops; ++i) {
    const uint64_t k = r.Below(key_space);
    const uint64_t op = r.Below(10);
    Entry* e = table.Find(k);
    auto it = ref.find(k);
    ASSERT_EQ(e != nullptr, it != ref.end()) << "seed=" << seed << " op " << i << " key " << k;
    if (e) {
      ASSERT_EQ(e->payload, it->second) << "seed=" << seed << " op " << i;
    }
    if (op < 5 && !e) {
      const auto payload = static_cast<uint32_t>(r.Next32());
      Entry* at = table.Insert(Entry{k, payload});
      ASSERT_EQ(at->key, k) << "seed=" << seed << " op " << i;
      ASSERT_EQ(at, table.Find(k)) << "seed=" << seed << " op " << i;
      ref.emplace(k, payload);
    } else if (op < 7 && e) {
      ASSERT_TRUE(table.Erase(k));
      ref.erase(it);
    } else if (op < 9 && e) {
      table.EraseFound(e);
      ref.erase(it);
    } else if (e) {
      e->payload += 1;  // values are mutable in place
      it->second += 1;
    }
    ASSERT_EQ(table.size(), ref.size()) << "seed=" << seed << " op " << i;
  }
  size_t seen = 0;
  table.ForEach([&](const Entry& e) {
    ++seen;
    auto it = ref.find(e.key);
    ASSERT_NE(it, ref.end()) << "seed=" << seed;
    EXPECT_EQ(e.payload, it->second) << "seed=" << seed;
  });
  EXPECT_EQ(seen, ref.size());
  for (const auto& [k, v] : ref) {
    const Entry* e = table.Find(k);
    ASSERT_NE(e, nullptr) << "seed=" << seed << " key " << k;
    EXPECT_EQ(e->payload, v);
  }
}

TEST(FlatTable, ChurnMatchesUnorderedMap) {
  const uint64_t seed = SeedFor("ChurnMatchesUnorderedMap", 1);
  Table t;
  Churn(t, seed, 200'000, 5'000);
}

TEST(FlatTable, ChurnWithCollidingHashes) {
  const uint64_t seed = SeedFor("ChurnWithCollidingHashes", 2);
  // Every key hashes to one of 7 homes: runs wrap around the end of the table and every
  // erase shifts long runs back.
  PoorTable t(ModHash{7});
  Churn(t, seed, 50'000, 400);
  PoorTable all_one(ModHash{1});
  Churn(all_one, seed + 1, 20'000, 100);
}

TEST(FlatTable, EmptyTableFindsNothing) {
  Table t;
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.Find(0), nullptr);
  EXPECT_EQ(t.Find(12345), nullptr);
  EXPECT_FALSE(t.Erase(12345));
  EXPECT_EQ(t.capacity(), 16u);
}

TEST(FlatTable, GrowsByPowersOfTwoAtThreeQuarters) {
  Table t;
  size_t last_cap = t.capacity();
  for (uint64_t k = 0; k < 100'000; ++k) {
    t.Insert(Entry{k * 7919, static_cast<uint32_t>(k)});
    ASSERT_LE(t.size() * 4, t.capacity() * 3) << "at " << k;
    ASSERT_EQ(t.capacity() & (t.capacity() - 1), 0u);
    if (t.capacity() != last_cap) {
      EXPECT_EQ(t.capacity(), last_cap * 2);
      last_cap = t.capacity();
    }
  }
  EXPECT_EQ(t.capacity(), 262'144u);  // 100,000 / 0.75 rounded up to a power of two
  for (uint64_t k = 0; k < 100'000; ++k) {
    const Entry* e = t.Find(k * 7919);
    ASSERT_NE(e, nullptr) << k;
    EXPECT_EQ(e->payload, k);
  }
  EXPECT_EQ(t.Find(7), nullptr);
}

TEST(FlatTable, InitialCapacityRoundsUp) {
  Table t(MixHash{}, EntryKey{}, 100);
  EXPECT_EQ(t.capacity(), 128u);
}

// Busy servers: connections enter TIME-WAIT, leave it, and new ones come. After many erases
// lookups (hits and misses) stay short and the table does not grow.
TEST(FlatTable, ManyErasesThenLookups) {
  const uint64_t seed = SeedFor("ManyErasesThenLookups", 3);
  Random r(seed);
  Table t;
  std::vector<uint64_t> keys;
  for (int i = 0; i < 20'000; ++i) {
    const uint64_t k = r.Next64();
    if (t.Find(k)) continue;
    t.Insert(Entry{k, 1});
    keys.push_back(k);
  }
  const size_t cap = t.capacity();
  for (int round = 0; round < 20; ++round) {
    // Erase 90%, then put as many new keys back.
    std::vector<uint64_t> kept;
    for (uint64_t k : keys) {
      if (r.Below(10) == 0) {
        kept.push_back(k);
      } else {
        ASSERT_TRUE(t.Erase(k)) << "seed=" << seed;
        ASSERT_EQ(t.Find(k), nullptr) << "seed=" << seed;
      }
    }
    for (uint64_t k : kept) ASSERT_NE(t.Find(k), nullptr) << "seed=" << seed;
    EXPECT_LT(t.MaxProbeDistance(), 32u) << "seed=" << seed;
    while (kept.size() < keys.size()) {
      const uint64_t k = r.Next64();
      if (t.Find(k)) continue;
      t.Insert(Entry{k, 2});
      kept.push_back(k);
    }
    keys.swap(kept);
  }
  EXPECT_EQ(t.size(), keys.size());
  EXPECT_EQ(t.capacity(), cap);  // the same population never grows the table
  EXPECT_LT(t.MaxProbeDistance(), 32u) << "seed=" << seed;
  for (int i = 0; i < 10'000; ++i) EXPECT_EQ(t.Find(r.Next64() | 1), nullptr);
}

TEST(FlatTable, EraseIfChecksTheEntry) {
  Table t;
  t.Insert(Entry{5, 50});
  EXPECT_FALSE(t.EraseIf(5, [](const Entry& e) { return e.payload == 51; }));
  EXPECT_NE(t.Find(5), nullptr);
  EXPECT_TRUE(t.EraseIf(5, [](const Entry& e) { return e.payload == 50; }));
  EXPECT_EQ(t.Find(5), nullptr);
  EXPECT_TRUE(t.empty());
}

TEST(FlatTable, EraseAllThenReuse) {
  Table t;
  for (uint64_t k = 1; k <= 1000; ++k) t.Insert(Entry{k, 0});
  for (uint64_t k = 1; k <= 1000; ++k) ASSERT_TRUE(t.Erase(k));
  EXPECT_TRUE(t.empty());
  size_t used = 0;
  t.ForEach([&](const Entry&) { ++used; });
  EXPECT_EQ(used, 0u);
  for (uint64_t k = 1; k <= 1000; ++k) EXPECT_EQ(t.Find(k), nullptr);
  t.Insert(Entry{42, 7});
  EXPECT_EQ(t.Find(42)->payload, 7u);
}

}  // namespace
}  // namespace ustack
