// LatencyHistogram: a log-linear histogram of durations in whole microseconds: exact below
// 4096 us, then 2048 sub-buckets per power of two (relative error below 0.05%), up to about
// 12 days. Recording is O(1) and never allocates; percentiles scan the buckets.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

#include "base/time.h"

namespace ustack::load {

class LatencyHistogram {
 public:
  LatencyHistogram() : counts_(kLinear + kSub * kMaxExp) {}

  void Add(Duration d) {
    const int64_t us = d.micros() < 0 ? 0 : d.micros();
    ++counts_[Index(static_cast<uint64_t>(us))];
    ++total_;
    sum_ += static_cast<uint64_t>(us);
  }
  void Merge(const LatencyHistogram& o) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
    sum_ += o.sum_;
  }
  uint64_t count() const { return total_; }
  double MeanMicros() const { return total_ ? static_cast<double>(sum_) / total_ : 0.0; }
  // The smallest recorded value v (us, to the bucket's precision) such that at least a
  // fraction q of the samples are <= v; 0 when empty.
  uint64_t Percentile(double q) const {
    if (total_ == 0) return 0;
    uint64_t need = static_cast<uint64_t>(q * static_cast<double>(total_) + 0.999999);
    if (need == 0) need = 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= need) return Value(i);
    }
    return Value(counts_.size() - 1);
  }

 private:
  static constexpr uint64_t kLinear = 4096;
  static constexpr uint64_t kSub = 2048;
  static constexpr uint64_t kMaxExp = 29;

  static size_t Index(uint64_t us) {
    if (us < kLinear) return static_cast<size_t>(us);
    uint64_t e = static_cast<uint64_t>(std::bit_width(us)) - 12;  // us >> e in [2048, 4096)
    if (e > kMaxExp) return static_cast<size_t>(kLinear + kSub * kMaxExp - 1);
    return static_cast<size_t>(kLinear + (e - 1) * kSub + ((us >> e) - kSub));
  }
  static uint64_t Value(size_t i) {
    if (i < kLinear) return i;
    const uint64_t e = (i - kLinear) / kSub + 1;
    return ((i - kLinear) % kSub + kSub) << e;
  }

  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
  uint64_t sum_ = 0;
};

}  // namespace ustack::load
