// LatencyHistogram: round-trip times in nanoseconds, recorded without allocating on the hot
// path. Times below kExactNs go into 1 ns buckets (allocated and touched up front); longer
// ones into a vector reserved up front (it grows only past kReservedSlow of them).
// Percentiles are nearest-rank: the smallest time that at least q of the samples do not
// exceed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ustack::rawbench {

class LatencyHistogram {
 public:
  static constexpr uint32_t kExactNs = 1u << 17;  // 131 us
  static constexpr size_t kReservedSlow = 1u << 16;

  LatencyHistogram();

  void Record(uint64_t ns) {
    if (ns < kExactNs) {
      ++buckets_[ns];
    } else {
      slow_.push_back(ns);
    }
    ++count_;
    sum_ += ns;
    if (ns < min_) min_ = ns;
    if (ns > max_) max_ = ns;
  }
  // Forgets every sample (after a warm-up).
  void Clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // q in (0, 1]; 0 when there are no samples. Sorts the slow samples (not const).
  uint64_t Percentile(double q);

 private:
  std::vector<uint32_t> buckets_;
  std::vector<uint64_t> slow_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace ustack::rawbench
