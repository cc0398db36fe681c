// Unit tests for the send byte ring (send_buffer.h).
#include "tcp/send_buffer.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/random.h"

namespace ustack {
namespace {

TEST(SendBuffer, AppendRespectsCapacity) {
  SendBuffer b(10000);
  std::vector<uint8_t> d(6000, 7);
  EXPECT_EQ(b.Append(d), 6000u);
  EXPECT_EQ(b.Append(d), 4000u);
  EXPECT_EQ(b.Append(d), 0u);
  EXPECT_EQ(b.size(), 10000u);
  EXPECT_EQ(b.free_space(), 0u);
}

TEST(SendBuffer, RandomOperationsMatchModel) {
  const uint64_t seed = 4242;
  Random rnd(seed);
  SendBuffer b(70000);
  std::vector<uint8_t> model;
  uint8_t next = 0;
  for (int i = 0; i < 5000; ++i) {
    if (rnd.Chance(0.5)) {
      std::vector<uint8_t> d(rnd.Below(9000));
      for (auto& x : d) x = next++;
      const size_t n = b.Append(d);
      ASSERT_EQ(n, std::min<size_t>(d.size(), 70000 - model.size())) << "seed " << seed;
      model.insert(model.end(), d.begin(), d.begin() + static_cast<long>(n));
      next = static_cast<uint8_t>(next - (d.size() - n));
    } else {
      const uint32_t n = static_cast<uint32_t>(rnd.Below(model.size() + 1));
      b.Discard(n);
      model.erase(model.begin(), model.begin() + n);
    }
    ASSERT_EQ(b.size(), model.size()) << "seed " << seed;
    if (!model.empty()) {
      const uint32_t off = static_cast<uint32_t>(rnd.Below(model.size()));
      std::vector<uint8_t> out(rnd.Below(3000) + 1);
      const size_t got = b.CopyOut(off, out);
      ASSERT_EQ(got, std::min(out.size(), model.size() - off)) << "seed " << seed;
      for (size_t k = 0; k < got; ++k) ASSERT_EQ(out[k], model[off + k]) << "seed " << seed;
    }
  }
}

TEST(SendBuffer, CopyOutPastEndCopiesNothing) {
  SendBuffer b(100);
  std::vector<uint8_t> out(10);
  EXPECT_EQ(b.CopyOut(0, out), 0u);
  const std::vector<uint8_t> d = {1, 2, 3};
  ASSERT_EQ(b.Append(d), 3u);
  EXPECT_EQ(b.CopyOut(3, out), 0u);
  EXPECT_EQ(b.CopyOut(1, out), 2u);
  EXPECT_EQ(out[0], 2);
  b.Discard(100);  // clamped
  EXPECT_TRUE(b.empty());
}

}  // namespace
}  // namespace ustack
