// ImpairedPort: a Port decorator that puts a simulated bad wire between the stack and a real
// device, in one or both directions: delay with jitter, reordering, corruption, loss,
// duplication and a rate limit, with the fault model of SimLink (port/impairment.h). Used
// for interop tests against the Linux kernel, whose veth has no netem here.
//
// Received frames are pulled from the inner port and pass the rx channel on their way to the
// stack; transmitted frames pass the tx channel on their way to the inner port. Frames held
// back are released by later RxBurst/TxBurst calls once their time has come, so a stack that
// polls (RxBurst runs every iteration) releases them without new traffic. Time is only the
// `now` given to the bursts; randomness comes from the seed (each direction its own stream),
// so a seed and the same arrivals replay exactly.
//
// Ownership: owns the inner port and every frame in flight; the frames are freed (their
// mbufs returned to the pool) before the inner port is closed. Transmit frames the inner
// port refuses are dropped and counted. Single-threaded, like every Port.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "port/impairment.h"
#include "port/port.h"

namespace ustack {

class ImpairedPort final : public Port {
 public:
  // `rx` impairs frames towards the stack, `tx` frames from it; a clean Impairment{} passes
  // that direction through untouched.
  ImpairedPort(std::unique_ptr<Port> inner, const Impairment& rx, const Impairment& tx,
               uint64_t seed);
  ~ImpairedPort() override;
  ImpairedPort(const ImpairedPort&) = delete;
  ImpairedPort& operator=(const ImpairedPort&) = delete;

  // Releases due transmit frames, pulls a burst from the inner port into the rx channel and
  // returns the received frames whose time has come.
  uint16_t RxBurst(std::span<Packet> out, Instant now) override;
  // Takes every frame (returns pkts.size()), then releases due transmit frames.
  uint16_t TxBurst(std::span<Packet> pkts, Instant now) override;
  MacAddr mac() const override { return inner_->mac(); }
  uint16_t mtu() const override { return inner_->mtu(); }
  rte_mempool* pool() const override { return inner_->pool(); }
  PortStats stats() const override { return inner_->stats(); }

  Port& inner() { return *inner_; }
  // Earliest time a held frame is due in either direction; Instant::Max() if none.
  Instant NextRelease() const { return Earliest(rx_.NextRelease(), tx_.NextRelease()); }
  size_t InFlight() const { return rx_.InFlight() + tx_.InFlight(); }
  const ImpairmentStats& rx_stats() const { return rx_.stats(); }
  const ImpairmentStats& tx_stats() const { return tx_.stats(); }
  uint64_t tx_refused() const { return tx_refused_; }
  // "impair.<dir>.<counter> value" lines for the non-zero counters.
  void PrintCounters(FILE* out) const;

 private:
  void FlushTx(Instant now);

  std::unique_ptr<Port> inner_;
  ImpairedChannel rx_;
  ImpairedChannel tx_;
  bool rx_clean_;
  bool tx_clean_;
  std::vector<Packet> stage_;  // a burst on its way between the inner port and a channel
  uint64_t tx_refused_ = 0;
};

}  // namespace ustack
