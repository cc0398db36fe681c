// CongestionControl: the interface between a connection's sender and its congestion
// controller, so NewReno, CUBIC (RFC 9438) or others plug in without touching output.cc.
// The connection reports events; the controller answers with cwnd (bytes).
// Reno below is the walking-skeleton controller: RFC 5681 slow start and congestion
// avoidance, and the RTO response of RFC 5681 3.1; fast retransmit/recovery comes with SACK.
#pragma once

#include <cstdint>

#include "base/time.h"

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

 private:
  uint32_t mss_ = 536;
  uint32_t cwnd_ = 0;
  uint32_t ssthresh_ = UINT32_MAX;  // RFC 5681 3.1: initially arbitrarily high
  uint32_t acked_in_ca_ = 0;        // bytes acknowledged since cwnd last grew in CA
  bool initial_ = true;             // cwnd is still the initial window
};

}  // namespace ustack
