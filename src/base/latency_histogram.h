// LatencyHistogram: a log-linear histogram of Durations for the benchmark programs
// (ustack-echo, ustack-load, ustack-raw-pingpong). Values below 2^17 ns (131 us) have a
// bucket per nanosecond, so they are kept exactly; above, each power of two is split into
// 2^10 equal buckets, so a value is known to within 1/1024 (0.1%) of itself, up to the
// largest Duration (no clamping). The buckets (about 1.4 MB) are allocated and zeroed once, by
// the constructor; Add is O(1) and never allocates. Percentiles are nearest-rank and scan
// the buckets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/time.h"

namespace ustack {

class LatencyHistogram {
 public:
  static constexpr int kExactBits = 17;  // 1 ns buckets below 2^kExactBits ns
  static constexpr int kSubBits = 10;    // 2^kSubBits buckets per power of two above

  LatencyHistogram();

  // A negative duration (a clock step) counts as zero.
  void Add(Duration d) {
    const uint64_t ns = d.nanos() < 0 ? 0 : static_cast<uint64_t>(d.nanos());
    ++counts_[Bucket(ns)];
    ++count_;
    sum_ns_ += ns;
    if (ns < min_ns_) min_ns_ = ns;
    if (ns > max_ns_) max_ns_ = ns;
  }
  // Adds every sample of `o`, as if each had been Added here.
  void Merge(const LatencyHistogram& o);
  // Forgets every sample (e.g. after a warm-up); keeps the buckets' memory.
  void Clear();

  uint64_t count() const { return count_; }
  // Exact; zero when empty.
  Duration min() const { return Duration::Nanos(count_ ? static_cast<int64_t>(min_ns_) : 0); }
  Duration max() const { return Duration::Nanos(static_cast<int64_t>(max_ns_)); }
  double MeanNanos() const {
    return count_ ? static_cast<double>(sum_ns_) / static_cast<double>(count_) : 0.0;
  }
  // The nearest-rank q-quantile (q in [0, 1]): the smallest sample v such that at least a
  // fraction q of the samples are <= v, rounded down to its bucket's lowest value (exact
  // below 2^kExactBits ns; above, within 1/2^kSubBits below v). q = 1 gives max() and q = 0
  // min(), exactly. Zero when empty.
  Duration Percentile(double q) const;

 private:
  static constexpr uint64_t kExact = uint64_t{1} << kExactBits;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  // Powers of two [2^kExactBits, 2^63): a non-negative int64 is below 2^63.
  static constexpr size_t kBuckets = kExact + (63 - kExactBits) * kSub;

  static size_t Bucket(uint64_t ns);
  static uint64_t BucketFloor(size_t bucket);

  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ns_ = 0;
  uint64_t min_ns_ = UINT64_MAX;
  uint64_t max_ns_ = 0;
};

}  // namespace ustack
