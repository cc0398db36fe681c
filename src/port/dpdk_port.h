// DpdkPort: a Port over one DPDK ethdev, for any poll-mode driver the EAL was given
// (net_af_xdp, net_af_packet, net_tap, net_memif, a real NIC, ...).
//
// Structure: a DpdkDevice (private) configures, starts, stops and closes the ethdev; each
// DpdkPort is one rx/tx queue pair of it, used by one core. Open() makes a device with one
// queue pair and returns the port of queue 0; a multi-queue (RSS) open later returns one
// port per queue sharing the device, which closes when its last port goes away.
//
// Ownership: the port owns the device reference; `pool` (given to Open) must outlive the
// port, because the driver fills received frames from it. Errors are reported as text,
// never by aborting. No offloads are enabled yet; capabilities() records what exists.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "port/port.h"

namespace ustack {

struct DpdkPortConfig {
  uint16_t port_id = 0;
  uint16_t rx_desc = 1024;  // clamped to the device's limits
  uint16_t tx_desc = 1024;
  uint16_t mtu = 1500;  // see DpdkCapabilities::usable_max_mtu
  bool promiscuous = false;
};

// What the device can do, recorded at Open for later offload and multi-queue work.
struct DpdkCapabilities {
  std::string driver;  // e.g. "net_af_packet"
  std::string name;    // ethdev name, e.g. "net_af_packet0"
  uint16_t min_mtu = 0;
  uint16_t max_mtu = 0;  // the device's MTU range (dev_info) ...
  // ... and the MTU the port can really carry: frames in one mbuf of the port's pool and
  // within max_mtu, except on net_memif, whose dev_info claims 1518-byte frames: there frames
  // must fit one memif packet buffer (bsize devarg, see memif_args.h).
  uint16_t usable_max_mtu = 0;
  std::string mtu_limit;  // what bounds usable_max_mtu, e.g. "net_memif bsize 9024"
  uint16_t max_rx_queues = 0;
  uint16_t max_tx_queues = 0;
  uint16_t reta_size = 0;         // RSS redirection table entries
  uint64_t rss_hash_types = 0;    // flow_type_rss_offloads
  uint64_t rx_offload_capa = 0;   // RTE_ETH_RX_OFFLOAD_* bits
  uint64_t tx_offload_capa = 0;   // RTE_ETH_TX_OFFLOAD_* bits
  bool rx_ipv4_checksum = false;  // the device verifies and flags checksums
  bool rx_tcp_checksum = false;
  bool rx_udp_checksum = false;
  bool tx_ipv4_checksum = false;  // the device computes checksums on request
  bool tx_tcp_checksum = false;
  bool tx_udp_checksum = false;
  bool tx_tcp_tso = false;
  bool tx_multi_segs = false;  // the device transmits mbuf chains
  uint16_t rx_desc = 0;        // descriptors per queue after clamping
  uint16_t tx_desc = 0;
  uint16_t configured_mtu = 0;  // what the ethdev itself was configured with
};

// Counters kept by the device (rte_eth_stats_get), for all queues of the port.
struct DpdkDeviceStats {
  uint64_t ipackets = 0;
  uint64_t opackets = 0;
  uint64_t ibytes = 0;
  uint64_t obytes = 0;
  uint64_t imissed = 0;  // dropped by the device: rx queue full
  uint64_t ierrors = 0;
  uint64_t oerrors = 0;
  uint64_t rx_nombuf = 0;  // rx mbuf allocation failures
};

class DpdkDevice;

class DpdkPort final : public Port {
 public:
  // Configures one rx and one tx queue on cfg.port_id with receive buffers from `pool`,
  // sets the MTU (where the driver supports it), starts the device and reads its MAC.
  // Returns nullptr with *error set (DPDK's message included) on any failure, including an
  // MTU whose frames do not fit one mbuf of `pool` (see frame_size.h) or, on net_memif, one
  // memif buffer; there an MTU above 1500 leaves the ethdev configured at 1500, which memif's
  // data path ignores.
  static std::unique_ptr<DpdkPort> Open(const DpdkPortConfig& cfg, PacketPool& pool,
                                        std::string* error);
  ~DpdkPort() override;
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;

  // Frames that arrive as mbuf chains (no scatter is configured, but net_memif chains a
  // frame longer than one mbuf) are dropped and counted in stats().rx_dropped.
  uint16_t RxBurst(std::span<Packet> out, Instant now) override;
  uint16_t TxBurst(std::span<Packet> pkts, Instant now) override;
  MacAddr mac() const override { return mac_; }
  uint16_t mtu() const override { return mtu_; }
  rte_mempool* pool() const override { return pool_; }
  // Counters of this queue pair, kept by the port itself.
  PortStats stats() const override { return stats_; }

  uint16_t port_id() const { return port_id_; }
  uint16_t queue_id() const { return queue_id_; }
  const DpdkCapabilities& capabilities() const;
  // The device's own counters; false (and *error set) when the driver cannot tell.
  bool DeviceStats(DpdkDeviceStats* out, std::string* error) const;
  // Link state now (non-blocking query).
  bool LinkUp() const;

 private:
  DpdkPort(std::shared_ptr<DpdkDevice> dev, uint16_t queue_id, rte_mempool* pool);

  std::shared_ptr<DpdkDevice> dev_;
  uint16_t port_id_;
  uint16_t queue_id_;
  rte_mempool* pool_;
  MacAddr mac_;
  uint16_t mtu_;
  PortStats stats_;
};

// Number of ethdev ports the EAL found (0 before the EAL is initialised).
uint16_t DpdkPortCount();

}  // namespace ustack
