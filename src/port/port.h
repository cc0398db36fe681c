// Port: a source and sink of Ethernet frames. Implemented by DpdkPort (any PMD), SimLink
// endpoints (tests) and wrappers (PcapngPort). One Port is used by exactly one core.
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"

namespace ustack {

struct PortStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_packets = 0;
  uint64_t tx_bytes = 0;
  uint64_t tx_dropped = 0;  // frames the device would not take
  uint64_t rx_dropped = 0;  // frames the port received but dropped (e.g. mbuf chains)
};

class Port {
 public:
  virtual ~Port() = default;

  // Receives up to out.size() frames; returns how many were written to out.
  virtual uint16_t RxBurst(std::span<Packet> out, Instant now) = 0;
  // Transmits frames from the front of pkts; returns how many the device took (those are
  // moved-from). The caller decides what to do with the rest (retry or drop and count).
  virtual uint16_t TxBurst(std::span<Packet> pkts, Instant now) = 0;

  virtual MacAddr mac() const = 0;
  virtual uint16_t mtu() const = 0;       // largest IP packet, e.g. 1500
  virtual rte_mempool* pool() const = 0;  // where transmit packets are allocated
  virtual PortStats stats() const = 0;
};

}  // namespace ustack
