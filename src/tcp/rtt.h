// RttEstimator: the RFC 6298 retransmission timer computation for one connection.
// Invariants: rto() is always within [min, max]; backoff doubles it (RFC 6298 5.5) until a
// new valid sample arrives (Karn's rule is the caller's job: never sample a retransmission).
#pragma once

#include <cstdint>

#include "base/time.h"

namespace ustack {

class RttEstimator {
 public:
  RttEstimator(Duration initial, Duration min, Duration max, Duration granularity);

  // RFC 6298 2.2/2.3: folds one round-trip measurement in; clears any backoff.
  void Sample(Duration rtt);
  // RFC 6298 5.5: doubles the timeout after an expiry (bounded by max).
  void Backoff();
  // RFC 6298 5.7: after a SYN timeout the RTO for data starts at 3 s when lower.
  void ResetAfterSynTimeout();

  Duration rto() const;  // current timeout including backoff
  Duration base_rto() const { return rto_; }
  Duration srtt() const { return srtt_; }
  Duration rttvar() const { return rttvar_; }
  bool has_sample() const { return has_sample_; }
  int backoff_shift() const { return shift_; }

 private:
  Duration Clamp(Duration d) const;

  Duration min_;
  Duration max_;
  Duration granularity_;
  Duration srtt_;
  Duration rttvar_;
  Duration rto_;
  int shift_ = 0;
  bool has_sample_ = false;
};

}  // namespace ustack
