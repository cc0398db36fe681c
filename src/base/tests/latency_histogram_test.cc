// LatencyHistogram (base/latency_histogram.h): exact below 2^17 ns, within 1/1024 below the
// true value above (at every power-of-two boundary and at random values spread over the whole
// int64 range; seed printed, USTACK_HIST_SEED=<n> replays one), nearest-rank percentiles of
// known distributions, mean/min/max, Merge, Clear and the empty histogram.
#include "base/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "base/random.h"
#include "base/test_seed.h"

namespace ustack {
namespace {

constexpr int64_t kExact = int64_t{1} << LatencyHistogram::kExactBits;
constexpr double kRelWidth = 1.0 / (1 << LatencyHistogram::kSubBits);

Duration Ns(int64_t n) { return Duration::Nanos(n); }

// The value the histogram reports for v when v is neither the smallest nor the largest
// sample (those two are kept exactly): the median of {0, v, INT64_MAX}.
int64_t Reported(int64_t v) {
  LatencyHistogram h;
  h.Add(Ns(0));
  h.Add(Ns(v));
  h.Add(Ns(INT64_MAX));
  return h.Percentile(0.5).nanos();
}

// Adds every value to one histogram and checks what it reports for each as the nearest-rank
// sample: exact below 2^17 ns; above, at most one bucket (< v / 1024) below v, never above.
void ExpectAllWithinBound(std::vector<int64_t> values) {
  std::sort(values.begin(), values.end());
  LatencyHistogram h;
  for (int64_t v : values) h.Add(Ns(v));
  const auto n = static_cast<double>(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const int64_t v = values[i];
    const int64_t r = h.Percentile((static_cast<double>(i) + 0.5) / n).nanos();  // rank i + 1
    if (v < kExact) {
      EXPECT_EQ(r, v);
    } else {
      EXPECT_LE(r, v);
      EXPECT_LT(static_cast<double>(v - r), static_cast<double>(v) * kRelWidth) << v;
    }
  }
}

TEST(LatencyHistogram, EmptyReportsZeros) {
  const LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.Percentile(0.5), Duration());
  EXPECT_EQ(h.Percentile(1.0), Duration());
  EXPECT_EQ(h.min(), Duration());
  EXPECT_EQ(h.max(), Duration());
  EXPECT_EQ(h.MeanNanos(), 0.0);
}

TEST(LatencyHistogram, ExactBelowTheLinearLimit) {
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{7}, int64_t{999}, int64_t{2497},
                    int64_t{99'999}, int64_t{100'000}, kExact - 1}) {
    EXPECT_EQ(Reported(v), v);
  }
  // Buckets of 2^(kExactBits - kSubBits) ns in [2^17, 2^18).
  constexpr int64_t kStep = int64_t{1}
                            << (LatencyHistogram::kExactBits - LatencyHistogram::kSubBits);
  EXPECT_EQ(Reported(kExact), kExact);  // a bucket floor
  EXPECT_EQ(Reported(kExact + kStep - 1), kExact);
  EXPECT_EQ(Reported(kExact + kStep), kExact + kStep);
}

TEST(LatencyHistogram, RelativeErrorBoundedAtEveryPowerOfTwo) {
  std::vector<int64_t> values;
  for (int k = 0; k < 63; ++k) {
    const int64_t p = int64_t{1} << k;
    values.insert(values.end(), {p - 1, p, p + (p >> 1) + 1});
  }
  values.push_back(INT64_MAX);
  ExpectAllWithinBound(values);
}

TEST(LatencyHistogram, RelativeErrorBoundedAtRandomValues) {
  const uint64_t seed =
      TestSeed("RandomValues", "USTACK_HIST_SEED", Random(std::random_device{}()).Next64());
  Random rng(seed);
  std::vector<int64_t> values;
  for (int i = 0; i < 1000; ++i) {
    values.push_back(static_cast<int64_t>(rng.Next64() >> (1 + rng.Below(63))));  // log-uniform
  }
  ExpectAllWithinBound(values);
}

TEST(LatencyHistogram, NearestRankOfUniformNanoseconds) {
  LatencyHistogram h;
  for (int64_t ns = 1000; ns >= 1; --ns) h.Add(Ns(ns));  // order does not matter
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_EQ(h.Percentile(0.0), Ns(1));
  EXPECT_EQ(h.Percentile(0.001), Ns(1));
  EXPECT_EQ(h.Percentile(0.5), Ns(500));
  EXPECT_EQ(h.Percentile(0.99), Ns(990));
  EXPECT_EQ(h.Percentile(0.999), Ns(999));
  EXPECT_EQ(h.Percentile(1.0), Ns(1000));
  EXPECT_EQ(h.min(), Ns(1));
  EXPECT_EQ(h.max(), Ns(1000));
  EXPECT_DOUBLE_EQ(h.MeanNanos(), 500.5);
}

TEST(LatencyHistogram, NearestRankOfUniformMicroseconds) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.Add(Duration::Micros(i));
  EXPECT_EQ(h.Percentile(0.1), Duration::Micros(100));  // exact below 131 us
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    const double want = 1000.0 * static_cast<double>(static_cast<int>(q * 1000 + 0.5));
    const auto got = static_cast<double>(h.Percentile(q).nanos());
    EXPECT_LE(got, want) << q;
    EXPECT_GT(got, want * (1 - kRelWidth)) << q;
  }
  EXPECT_EQ(h.Percentile(1.0), Duration::Micros(1000));
  EXPECT_DOUBLE_EQ(h.MeanNanos(), 500'500.0);  // the mean is exact at any size
}

TEST(LatencyHistogram, TenNanosecondStepsAroundTwoMicroseconds) {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.Add(Ns(2000 + 10 * i + 7));  // 2.007 .. 2.997 us
  EXPECT_EQ(h.Percentile(0.5), Ns(2497));
  EXPECT_EQ(h.Percentile(0.01), Ns(2007));
  EXPECT_EQ(h.Percentile(1.0), Ns(2997));
  EXPECT_DOUBLE_EQ(h.MeanNanos(), 2502.0);
}

TEST(LatencyHistogram, TailOfFewSlowSamples) {
  LatencyHistogram h;
  for (int i = 0; i < 98; ++i) h.Add(Ns(900));
  h.Add(Ns(kExact + 5));
  h.Add(Ns(5'000'000));
  EXPECT_EQ(h.Percentile(0.98), Ns(900));
  EXPECT_EQ(h.Percentile(0.99), Ns(kExact));  // the floor of kExact + 5's 16 ns bucket
  EXPECT_EQ(h.Percentile(1.0), Ns(5'000'000));
  EXPECT_EQ(h.max(), Ns(5'000'000));
}

TEST(LatencyHistogram, NegativeCountsAsZeroAndHugeIsNotClamped) {
  LatencyHistogram h;
  h.Add(Ns(-5));
  h.Add(Duration::Seconds(100));
  h.Add(Ns(INT64_MAX));
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.min(), Ns(0));
  EXPECT_EQ(h.max(), Ns(INT64_MAX));
  const double got = static_cast<double>(h.Percentile(0.5).nanos());
  EXPECT_LE(got, 1e11);
  EXPECT_GT(got, 1e11 * (1 - kRelWidth));
}

TEST(LatencyHistogram, MergeEqualsAddingEverythingToOne) {
  Random rng(42);
  LatencyHistogram a, b, all;
  for (int i = 0; i < 20000; ++i) {
    const auto d = Ns(static_cast<int64_t>(rng.Below(i % 2 ? 50'000 : 50'000'000)));
    (rng.Chance(0.3) ? a : b).Add(d);
    all.Add(d);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.MeanNanos(), all.MeanNanos());
  for (double q : {0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0}) {
    EXPECT_EQ(a.Percentile(q), all.Percentile(q)) << q;
  }
}

TEST(LatencyHistogram, MergeWithEmpty) {
  LatencyHistogram a, empty;
  a.Add(Ns(300));
  a.Add(Ns(700));
  a.Merge(empty);
  EXPECT_EQ(a.count(), 2u);
  EXPECT_EQ(a.min(), Ns(300));
  EXPECT_EQ(a.Percentile(0.5), Ns(300));
  empty.Merge(a);
  EXPECT_EQ(empty.count(), 2u);
  EXPECT_EQ(empty.min(), Ns(300));
  EXPECT_EQ(empty.max(), Ns(700));
  EXPECT_DOUBLE_EQ(empty.MeanNanos(), 500.0);
}

TEST(LatencyHistogram, ClearForgetsEverything) {
  LatencyHistogram h;
  for (int i = 0; i < 100; ++i) h.Add(Duration::Millis(i));
  h.Clear();
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.min(), Duration());
  EXPECT_EQ(h.max(), Duration());
  EXPECT_EQ(h.Percentile(0.5), Duration());
  EXPECT_EQ(h.MeanNanos(), 0.0);
  h.Add(Ns(42));
  EXPECT_EQ(h.Percentile(0.5), Ns(42));
  EXPECT_EQ(h.min(), Ns(42));
}

}  // namespace
}  // namespace ustack
