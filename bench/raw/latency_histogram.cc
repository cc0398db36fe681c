// Nearest-rank percentiles over 1 ns buckets, see latency_histogram.h.
#include "latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace ustack::rawbench {

LatencyHistogram::LatencyHistogram() : buckets_(kExactNs, 0) { slow_.reserve(kReservedSlow); }

void LatencyHistogram::Clear() {
  std::fill(buckets_.begin(), buckets_.end(), 0u);
  slow_.clear();
  count_ = 0;
  sum_ = 0;
  min_ = UINT64_MAX;
  max_ = 0;
}

uint64_t LatencyHistogram::Percentile(double q) {
  if (count_ == 0) return 0;
  const double want = std::ceil(q * static_cast<double>(count_));
  const uint64_t rank = std::clamp<uint64_t>(static_cast<uint64_t>(want), 1, count_);
  uint64_t seen = 0;
  for (uint32_t ns = 0; ns < kExactNs; ++ns) {
    seen += buckets_[ns];
    if (seen >= rank) return ns;
  }
  std::sort(slow_.begin(), slow_.end());
  return slow_[rank - seen - 1];
}

}  // namespace ustack::rawbench
