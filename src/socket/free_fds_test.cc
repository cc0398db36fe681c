// Unit tests for FreeFds (free_fds.h): the lowest free slot at or above an index, against a
// std::set reference under random churn (seed printed; USTACK_FREE_FDS_SEED replays one), and
// at word and summary-word boundaries.
#include "socket/free_fds.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "base/random.h"
#include "base/test_seed.h"

namespace ustack {
namespace {

int RefLowest(const std::set<int>& ref, int from) {
  auto it = ref.lower_bound(from);
  return it == ref.end() ? -1 : *it;
}

TEST(FreeFds, EmptyHasNothing) {
  FreeFds f;
  EXPECT_EQ(f.LowestAtLeast(0), -1);
  EXPECT_EQ(f.LowestAtLeast(100000), -1);
  EXPECT_FALSE(f.Contains(0));
  f.Remove(5);  // removing a slot never added is harmless
  EXPECT_EQ(f.LowestAtLeast(0), -1);
}

TEST(FreeFds, LowestAcrossWordAndSummaryBoundaries) {
  FreeFds f;
  for (int i : {0, 63, 64, 4095, 4096, 4097, 70000}) f.Add(i);
  EXPECT_EQ(f.LowestAtLeast(0), 0);
  EXPECT_EQ(f.LowestAtLeast(1), 63);
  EXPECT_EQ(f.LowestAtLeast(64), 64);
  EXPECT_EQ(f.LowestAtLeast(65), 4095);
  EXPECT_EQ(f.LowestAtLeast(4096), 4096);
  EXPECT_EQ(f.LowestAtLeast(4098), 70000);
  EXPECT_EQ(f.LowestAtLeast(70001), -1);
  f.Remove(0);
  f.Remove(63);
  EXPECT_EQ(f.LowestAtLeast(0), 64);
  f.Remove(64);
  f.Remove(4095);
  EXPECT_EQ(f.LowestAtLeast(0), 4096);
  f.Remove(4096);
  f.Remove(4097);
  EXPECT_EQ(f.LowestAtLeast(0), 70000);
  f.Remove(70000);
  EXPECT_EQ(f.LowestAtLeast(0), -1);
  f.Add(3);
  EXPECT_TRUE(f.Contains(3));
  EXPECT_EQ(f.LowestAtLeast(0), 3);
}

TEST(FreeFds, ChurnMatchesStdSet) {
  const uint64_t seed = TestSeed("FreeFds churn", "USTACK_FREE_FDS_SEED", 1);
  Random r(seed);
  FreeFds f;
  std::set<int> ref;
  for (int op = 0; op < 200'000; ++op) {
    // Mostly low slots (busy fd tables reuse the bottom), sometimes far ones.
    const int i = static_cast<int>(r.Chance(0.05) ? r.Below(20'000) : r.Below(300));
    if (r.Below(2) == 0) {
      f.Add(i);
      ref.insert(i);
    } else {
      f.Remove(i);
      ref.erase(i);
    }
    const int from = static_cast<int>(r.Below(10'000));
    ASSERT_EQ(f.LowestAtLeast(from), RefLowest(ref, from)) << "seed=" << seed << " op " << op;
    ASSERT_EQ(f.LowestAtLeast(0), RefLowest(ref, 0)) << "seed=" << seed << " op " << op;
    ASSERT_EQ(f.Contains(i), ref.count(i) == 1) << "seed=" << seed;
  }
}

}  // namespace
}  // namespace ustack
