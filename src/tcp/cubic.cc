// CUBIC congestion control (RFC 9438), see cubic.h.
#include "tcp/cubic.h"

#include <algorithm>
#include <cmath>

namespace ustack {

void CubicCongestion::SetMss(uint32_t mss) {
  mss_ = std::max<uint32_t>(mss, 1);
  if (initial_) {
    // RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)).
    cwnd_ = std::min(10 * mss_, std::max(2 * mss_, 14600u));
  } else {
    cwnd_ = std::max(cwnd_, mss_);
  }
}

double CubicCongestion::WCubic(double t) const {
  const double d = t - k_;
  return kC * d * d * d + w_max_;  // RFC 9438 4.2 eq. 1
}

void CubicCongestion::OnAck(uint32_t bytes_acked, uint32_t bytes_in_flight, Instant now) {
  (void)bytes_in_flight;
  if (bytes_acked == 0) return;
  initial_ = false;
  if (cwnd_ < ssthresh_) {
    // RFC 9438 4.10 / RFC 3465 2.2: slow start with ABC, L = 2 SMSS.
    cwnd_ += std::min(bytes_acked, 2 * mss_);
    return;
  }
  const double seg = static_cast<double>(mss_);
  const double cwnd_seg = cwnd_ / seg;
  if (!epoch_valid_) {
    // RFC 9438 4.2: a new epoch starts with the first ACK in congestion avoidance.
    epoch_valid_ = true;
    epoch_start_ = now;
    cwnd_epoch_ = cwnd_seg;
    if (w_max_ < cwnd_seg) w_max_ = cwnd_seg;
    k_ = std::cbrt(std::max(0.0, (w_max_ - cwnd_epoch_) / kC));  // RFC 9438 4.2 eq. 2
    w_est_ = cwnd_epoch_;
  }
  const double t = static_cast<double>((now - epoch_start_).nanos()) / 1e9;
  const double rtt = static_cast<double>(srtt_.nanos()) / 1e9;
  const double acked_seg = bytes_acked / seg;
  // RFC 9438 4.3: W_est grows by alpha_cubic per window of acknowledged segments; alpha_cubic
  // is 1 (Reno's increase) once W_est has reached the window before the last reduction.
  const double alpha = w_est_ >= cwnd_prior_ ? 1.0 : 3.0 * (1.0 - kBeta) / (1.0 + kBeta);
  w_est_ += alpha * acked_seg / cwnd_seg;
  double target;
  if (WCubic(t) < w_est_) {
    target = w_est_;  // Reno-friendly region
  } else {
    // RFC 9438 4.4/4.5: aim at W_cubic(t + RTT), between cwnd and 1.5 cwnd.
    target = std::clamp(WCubic(t + rtt), cwnd_seg, 1.5 * cwnd_seg);
  }
  if (target <= cwnd_seg) return;
  // Increase by (target - cwnd) / cwnd per acknowledged segment, in bytes.
  growth_acc_ += (target - cwnd_seg) / cwnd_seg * acked_seg * seg;
  if (growth_acc_ >= 1.0) {
    const double whole = std::floor(growth_acc_);
    cwnd_ += static_cast<uint32_t>(std::min(whole, 1e9));
    growth_acc_ -= whole;
  }
}

void CubicCongestion::Reduce(uint32_t bytes_in_flight) {
  (void)bytes_in_flight;
  const double cwnd_seg = cwnd_ / static_cast<double>(mss_);
  prior_ = Prior{epoch_valid_, epoch_start_, w_max_, k_, cwnd_epoch_, w_est_, cwnd_prior_};
  cwnd_prior_ = cwnd_seg;
  // RFC 9438 4.7 fast convergence: a flow whose W_max shrinks releases bandwidth.
  w_max_ = cwnd_seg < w_max_ ? cwnd_seg * (1.0 + kBeta) / 2.0 : cwnd_seg;
  // RFC 9438 4.6: ssthresh = cwnd * beta_cubic, at least 2 segments.
  ssthresh_ = std::max(static_cast<uint32_t>(cwnd_ * kBeta), 2 * mss_);
  epoch_valid_ = false;
  growth_acc_ = 0;
  initial_ = false;
}

void CubicCongestion::OnLoss(uint32_t bytes_in_flight, Instant) {
  Reduce(bytes_in_flight);
  cwnd_ = ssthresh_;
}

void CubicCongestion::OnRetransmitTimeout(uint32_t bytes_in_flight, Instant) {
  // RFC 9438 4.8: after an RTO, reduce as for a loss and restart from one segment.
  Reduce(bytes_in_flight);
  cwnd_ = mss_;
}

// RFC 9438 4.9: a spurious congestion event: cwnd and ssthresh as before it (the caller's
// values), and W_max, K, the epoch and W_est as they were, so growth resumes where it was.
void CubicCongestion::Undo(uint32_t cwnd, uint32_t ssthresh) {
  cwnd_ = std::max(cwnd, mss_);
  ssthresh_ = std::max(ssthresh, 2 * mss_);
  epoch_valid_ = prior_.epoch_valid;
  epoch_start_ = prior_.epoch_start;
  w_max_ = prior_.w_max;
  k_ = prior_.k;
  cwnd_epoch_ = prior_.cwnd_epoch;
  w_est_ = prior_.w_est;
  cwnd_prior_ = prior_.cwnd_prior;
  growth_acc_ = 0;
  initial_ = false;
}

void CubicCongestion::SetWindow(uint32_t cwnd, uint32_t ssthresh) {
  cwnd_ = std::max(cwnd, mss_);
  ssthresh_ = std::max(ssthresh, 2 * mss_);
  epoch_valid_ = false;
  initial_ = false;
}

}  // namespace ustack
