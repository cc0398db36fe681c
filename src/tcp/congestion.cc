// RFC 5681 slow start / congestion avoidance, see congestion.h.
#include "tcp/congestion.h"

#include <algorithm>

namespace ustack {

void RenoCongestion::SetMss(uint32_t mss) {
  mss_ = std::max<uint32_t>(mss, 1);
  if (initial_) {
    // RFC 6928 2: IW = min(10*MSS, max(2*MSS, 14600)).
    cwnd_ = std::min(10 * mss_, std::max(2 * mss_, 14600u));
  } else {
    // RFC 5681 3.1: after a lost SYN the window is one (now larger) segment.
    cwnd_ = std::max(cwnd_, mss_);
  }
}

void RenoCongestion::OnAck(uint32_t bytes_acked, uint32_t bytes_in_flight, Instant) {
  (void)bytes_in_flight;
  if (bytes_acked == 0) return;
  initial_ = false;
  if (cwnd_ < ssthresh_) {
    // RFC 3465 2.2 (ABC): slow start grows cwnd by the bytes acknowledged, at most L = 2 SMSS.
    cwnd_ += std::min(bytes_acked, 2 * mss_);
    return;
  }
  // RFC 5681 3.1 eq. 3 via byte counting: one SMSS per cwnd of acknowledged data.
  acked_in_ca_ += bytes_acked;
  if (acked_in_ca_ >= cwnd_) {
    acked_in_ca_ -= cwnd_;
    cwnd_ += mss_;
  }
}

void RenoCongestion::SetWindow(uint32_t cwnd, uint32_t ssthresh) {
  cwnd_ = std::max(cwnd, mss_);
  ssthresh_ = std::max(ssthresh, 2 * mss_);
  acked_in_ca_ = 0;
  initial_ = false;
}

void RenoCongestion::OnLoss(uint32_t bytes_in_flight, Instant) {
  // RFC 5681 3.2 eq. 4: ssthresh = max(FlightSize / 2, 2*SMSS).
  ssthresh_ = std::max(bytes_in_flight / 2, 2 * mss_);
  cwnd_ = ssthresh_;
  acked_in_ca_ = 0;
  initial_ = false;
}

void RenoCongestion::OnRetransmitTimeout(uint32_t bytes_in_flight, Instant) {
  // RFC 5681 3.1 eq. 4 and: after an RTO, cwnd = LW = 1 SMSS.
  ssthresh_ = std::max(bytes_in_flight / 2, 2 * mss_);
  cwnd_ = mss_;
  acked_in_ca_ = 0;
  initial_ = false;
}

}  // namespace ustack
