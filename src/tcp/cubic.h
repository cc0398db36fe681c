// CubicCongestion: CUBIC (RFC 9438), the default controller (as on Linux). Slow start is
// RFC 5681 with ABC (RFC 3465); congestion avoidance follows the cubic function
// W_cubic(t) = C (t - K)^3 + W_max (RFC 9438 4.2) with the Reno-friendly region (4.3), fast
// convergence (4.7) and the multiplicative decrease beta_cubic = 0.7 (4.6).
// Windows are bytes at the interface, segments inside the cubic arithmetic.
// Invariants: cwnd >= 1 MSS, ssthresh >= 2 MSS once a loss was seen.
#pragma once

#include <cstdint>

#include "base/time.h"
#include "tcp/congestion.h"

namespace ustack {

class CubicCongestion final : public CongestionControl {
 public:
  static constexpr double kC = 0.4;     // RFC 9438 5.1
  static constexpr double kBeta = 0.7;  // RFC 9438 4.6

  explicit CubicCongestion(uint32_t mss) { SetMss(mss); }

  void OnAck(uint32_t bytes_acked, uint32_t bytes_in_flight, Instant now) override;
  void OnLoss(uint32_t bytes_in_flight, Instant now) override;
  void OnRetransmitTimeout(uint32_t bytes_in_flight, Instant now) override;
  void SetMss(uint32_t mss) override;
  uint32_t cwnd() const override { return cwnd_; }
  uint32_t ssthresh() const override { return ssthresh_; }
  void SetWindow(uint32_t cwnd, uint32_t ssthresh) override;
  void Undo(uint32_t cwnd, uint32_t ssthresh) override;
  void SetRtt(Duration srtt) override { srtt_ = srtt; }
  const char* name() const override { return "cubic"; }

  double w_max() const { return w_max_; }  // segments
  double k() const { return k_; }          // seconds

 private:
  void Reduce(uint32_t bytes_in_flight);
  double WCubic(double t) const;

  uint32_t mss_ = 536;
  uint32_t cwnd_ = 0;
  uint32_t ssthresh_ = UINT32_MAX;
  bool initial_ = true;
  Duration srtt_ = Duration::Millis(100);
  // Congestion avoidance epoch (RFC 9438 4.2).
  bool epoch_valid_ = false;
  Instant epoch_start_;
  double w_max_ = 0;       // segments, window before the last reduction
  double k_ = 0;           // seconds
  double cwnd_epoch_ = 0;  // segments at the epoch start
  double w_est_ = 0;       // Reno-friendly estimate, segments (RFC 9438 4.3)
  double cwnd_prior_ = 0;  // segments, cwnd when ssthresh was last set (RFC 9438 4.3)
  double growth_acc_ = 0;  // fractional bytes of growth not yet applied
  // RFC 9438 4.9: the state before the last reduction, restored if it proves spurious.
  struct Prior {
    bool epoch_valid = false;
    Instant epoch_start;
    double w_max = 0;
    double k = 0;
    double cwnd_epoch = 0;
    double w_est = 0;
    double cwnd_prior = 0;
  } prior_;
};

}  // namespace ustack
