// Bucket arithmetic and nearest-rank percentiles of LatencyHistogram, see latency_histogram.h.
#include "base/latency_histogram.h"

#include <algorithm>
#include <bit>

namespace ustack {

LatencyHistogram::LatencyHistogram() : counts_(kBuckets, uint64_t{0}) {}

size_t LatencyHistogram::Bucket(uint64_t ns) {
  if (ns < kExact) return static_cast<size_t>(ns);
  const int e = std::bit_width(ns) - 1;                // 2^e <= ns < 2^(e+1), kExactBits <= e <= 62
  const uint64_t sub = (ns >> (e - kSubBits)) - kSub;  // in [0, kSub)
  return static_cast<size_t>(kExact + static_cast<uint64_t>(e - kExactBits) * kSub + sub);
}

uint64_t LatencyHistogram::BucketFloor(size_t bucket) {
  if (bucket < kExact) return bucket;
  const uint64_t above = bucket - kExact;
  const uint64_t e = above / kSub + kExactBits;
  return (kSub + above % kSub) << (e - kSubBits);
}

void LatencyHistogram::Merge(const LatencyHistogram& o) {
  for (size_t i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
  count_ += o.count_;
  sum_ns_ += o.sum_ns_;
  min_ns_ = std::min(min_ns_, o.min_ns_);
  max_ns_ = std::max(max_ns_, o.max_ns_);
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), uint64_t{0});
  count_ = 0;
  sum_ns_ = 0;
  min_ns_ = UINT64_MAX;
  max_ns_ = 0;
}

Duration LatencyHistogram::Percentile(double q) const {
  if (count_ == 0) return Duration();
  // ceil(q * count), forgiving the last bits of a product like 0.99 * 1000.
  const auto want =
      static_cast<uint64_t>(std::max(0.0, q * static_cast<double>(count_)) + 0.999999);
  const uint64_t rank = std::clamp<uint64_t>(want, 1, count_);
  if (rank == count_) return max();
  uint64_t seen = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    seen += counts_[i];
    if (seen >= rank)
      return Duration::Nanos(static_cast<int64_t>(std::max(BucketFloor(i), min_ns_)));
  }
  return max();  // not reached: the counts add up to count_
}

}  // namespace ustack
