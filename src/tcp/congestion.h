// CongestionControl: the interface between a connection's sender and its congestion
// controller, so NewReno, CUBIC (RFC 9438) or others plug in without touching output.cc.
// The connection reports events; the controller answers with cwnd (bytes).
// RenoCongestion is NewReno's window arithmetic: RFC 5681 slow start and congestion
// avoidance with Appropriate Byte Counting (RFC 3465), the loss response of RFC 5681 3.2 and
// the RTO response of RFC 5681 3.1. Fast recovery itself (NewReno RFC 6582, SACK RFC 6675,
// PRR RFC 6937) lives in the connection (recovery.cc), which sets cwnd when it ends.
// CubicCongestion (cubic.h) implements RFC 9438.
#pragma once

#include <cstdint>

#include "base/time.h"
#include "tcp/tcp.h"

namespace ustack {

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;
  // New data was cumulatively acknowledged.
  virtual void OnAck(uint32_t bytes_acked, uint32_t bytes_in_flight, Instant now) = 0;
  // A loss was detected by duplicate ACKs / SACK / RACK (not used yet by the skeleton).
  virtual void OnLoss(uint32_t bytes_in_flight, Instant now) = 0;
  // The retransmission timer expired.
  virtual void OnRetransmitTimeout(uint32_t bytes_in_flight, Instant now) = 0;
  // The effective send MSS changed (set once the handshake fixes it).
  virtual void SetMss(uint32_t mss) = 0;
  virtual uint32_t cwnd() const = 0;
  virtual uint32_t ssthresh() const = 0;
  // Recovery finished (RFC 6937: cwnd = ssthresh) or a loss response is undone (RFC 3522).
  virtual void SetWindow(uint32_t cwnd, uint32_t ssthresh) = 0;
  // The last loss response was spurious (RFC 3522, RFC 3708): back to cwnd and ssthresh, and
  // to whatever else the controller changed for it (RFC 9438 4.9).
  virtual void Undo(uint32_t cwnd, uint32_t ssthresh) { SetWindow(cwnd, ssthresh); }
  // Smoothed RTT, for controllers that need it (CUBIC's target).
  virtual void SetRtt(Duration srtt) { (void)srtt; }
  virtual const char* name() const = 0;
};

class RenoCongestion final : public CongestionControl {
 public:
  explicit RenoCongestion(uint32_t mss) { SetMss(mss); }

  void OnAck(uint32_t bytes_acked, uint32_t bytes_in_flight, Instant now) override;
  void OnLoss(uint32_t bytes_in_flight, Instant now) override;
  void OnRetransmitTimeout(uint32_t bytes_in_flight, Instant now) override;
  void SetMss(uint32_t mss) override;
  uint32_t cwnd() const override { return cwnd_; }
  uint32_t ssthresh() const override { return ssthresh_; }
  void SetWindow(uint32_t cwnd, uint32_t ssthresh) override;
  const char* name() const override { return "reno"; }

 private:
  uint32_t mss_ = 536;
  uint32_t cwnd_ = 0;
  uint32_t ssthresh_ = UINT32_MAX;  // RFC 5681 3.1: initially arbitrarily high
  uint32_t acked_in_ca_ = 0;        // bytes acknowledged since cwnd last grew in CA
  bool initial_ = true;             // cwnd is still the initial window
};

}  // namespace ustack
