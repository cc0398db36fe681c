// RFC 6298 retransmission timeout estimator, see rtt.h.
#include "tcp/rtt.h"

#include <algorithm>

namespace ustack {

namespace {
constexpr int kMaxShift = 16;
}

RttEstimator::RttEstimator(Duration initial, Duration min, Duration max, Duration granularity)
    : min_(min), max_(max), granularity_(granularity) {
  rto_ = Clamp(initial);  // RFC 6298 2.1: RTO <- initial value (1 s) before any sample
}

Duration RttEstimator::Clamp(Duration d) const { return std::clamp(d, min_, max_); }

void RttEstimator::Sample(Duration rtt) {
  if (rtt < Duration()) rtt = Duration();
  if (!has_sample_) {
    // RFC 6298 2.2: first measurement R: SRTT <- R, RTTVAR <- R/2.
    srtt_ = rtt;
    rttvar_ = rtt / 2;
    has_sample_ = true;
  } else {
    // RFC 6298 2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|; SRTT <- 7/8 SRTT + 1/8 R'.
    const Duration delta = srtt_ > rtt ? srtt_ - rtt : rtt - srtt_;
    rttvar_ = (rttvar_ * 3 + delta) / 4;
    srtt_ = (srtt_ * 7 + rtt) / 8;
  }
  // RFC 6298 2.3: RTO <- SRTT + max(G, K*RTTVAR), K = 4; 2.4/2.5 bound it.
  rto_ = Clamp(srtt_ + std::max(granularity_, rttvar_ * 4));
  shift_ = 0;
}

void RttEstimator::Backoff() { shift_ = std::min(shift_ + 1, kMaxShift); }

void RttEstimator::ResetAfterSynTimeout() {
  if (rto_ < Duration::Seconds(3)) rto_ = Clamp(Duration::Seconds(3));
  shift_ = 0;
}

Duration RttEstimator::rto() const {
  Duration d = rto_;
  for (int i = 0; i < shift_ && d < max_; ++i) d = d * 2;
  return Clamp(d);
}

}  // namespace ustack
