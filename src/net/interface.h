// NetInterface: the network layer of one port. Ethernet demux, ARP (cache with aging,
// gratuitous ARP, bounded queue of packets awaiting resolution), IPv4 in and out (connected
// subnet, default gateway, TTL, header checksum, fragment reassembly with limits) and ICMP
// (echo reply, port unreachable, errors passed to transports, path MTU per RFC 1191). Transports
// register by protocol number and send through the IpOutput interface. Frames out are batched and
// flushed once per poll iteration.
#pragma once

#include <cstdint>
#include <memory>

#include "base/addr.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "net/ip_output.h"
#include "port/port.h"

namespace ustack {

struct InterfaceConfig {
  Ipv4Addr addr;
  Ipv4Addr netmask = Ipv4Addr::Of(255, 255, 255, 0);
  Ipv4Addr broadcast;                            // Any means derived from addr and netmask
  Ipv4Addr gateway;                              // Any means no default route
  Duration arp_timeout = Duration::Seconds(60);  // a resolved entry's lifetime
  Duration arp_retry = Duration::Seconds(1);     // between requests while unresolved
  int arp_max_retries = 3;                       // then queued packets are dropped
  uint32_t arp_max_entries = 1024;
  uint32_t arp_queue_per_entry = 64;  // packets waiting for one neighbour (a burst of SYNs)
  uint32_t reassembly_max_bytes = 4 * 1024 * 1024;      // all incomplete datagrams together
  Duration reassembly_timeout = Duration::Seconds(30);  // RFC 791 / RFC 1122 3.3.2
  uint8_t default_ttl = 64;
  Duration pmtu_timeout = Duration::Seconds(600);  // RFC 1191 6.3: retry a larger MTU
  uint32_t pmtu_max_entries = 4096;
  // Frames queued for transmission are handed to the device once this many wait (0: only
  // when a full batch of 64 waits and at the end of each poll iteration). Small values cut
  // latency on devices where a transmit call is cheap (a shared-memory ring such as memif)
  // and cost a system call per push on others (af_xdp, af_packet).
  uint16_t tx_push_frames = 0;
};

struct NetCounters {
  uint64_t rx_frames = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_frames = 0;
  uint64_t tx_bytes = 0;
  uint64_t drop_eth_malformed = 0;
  uint64_t drop_eth_not_for_us = 0;
  uint64_t drop_eth_unknown_type = 0;
  uint64_t arp_requests_in = 0;
  uint64_t arp_replies_in = 0;
  uint64_t arp_requests_out = 0;
  uint64_t arp_replies_out = 0;
  uint64_t drop_arp_malformed = 0;
  uint64_t drop_arp_unresolved = 0;  // queued packets dropped after ARP gave up
  uint64_t drop_arp_queue_full = 0;
  uint64_t arp_revalidations = 0;  // requests sent on a transport's negative advice
  uint64_t ip_in = 0;
  uint64_t ip_out = 0;
  uint64_t drop_ip_malformed = 0;
  uint64_t drop_ip_bad_checksum = 0;
  uint64_t drop_ip_not_for_us = 0;
  uint64_t drop_ip_unknown_protocol = 0;
  uint64_t drop_ip_no_route = 0;
  uint64_t drop_ip_no_buffer = 0;
  uint64_t drop_ip_too_big = 0;  // DF set and larger than the MTU
  uint64_t frag_in = 0;
  uint64_t reassembled = 0;
  uint64_t drop_frag_timeout = 0;
  uint64_t drop_frag_memory = 0;
  uint64_t drop_frag_malformed = 0;
  uint64_t icmp_in = 0;
  uint64_t icmp_echo_replies = 0;
  uint64_t icmp_unreachable_out = 0;
  uint64_t drop_icmp_malformed = 0;
  uint64_t icmp_errors_in = 0;         // errors about datagrams we sent
  uint64_t drop_icmp_error_quote = 0;  // quote truncated, not ours, or about a fragment
  uint64_t pmtu_reductions = 0;        // path MTU lowered after a transport's check
  uint64_t drop_tx_full = 0;           // device refused frames
};

class NetInterface : public IpOutput {
 public:
  NetInterface(Port& port, TimerWheel& timers, const InterfaceConfig& cfg, Instant now);
  ~NetInterface();
  NetInterface(const NetInterface&) = delete;
  NetInterface& operator=(const NetInterface&) = delete;

  void RegisterTransport(uint8_t protocol, TransportHandler* handler);
  // Announces our address with a gratuitous ARP (RFC 5227 3).
  void Start(Instant now);
  // One received Ethernet frame.
  void Input(Packet frame, Instant now);
  // Hands batched frames to the port. Called at the end of each poll iteration.
  void FlushTx(Instant now);
  void Push(Instant now) override { FlushTx(now); }

  // IpOutput
  Packet AllocTx() override;
  bool SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                const Ipv4SendOptions& opts, Instant now) override;
  uint16_t MaxTransportSize(Ipv4Addr dst) const override;
  uint16_t ReducePathMtu(Ipv4Addr dst, uint16_t mtu, Instant now) override;
  void AdviseDeliveryProblem(Ipv4Addr dst, Instant now) override;
  Ipv4Addr SourceFor(Ipv4Addr dst) const override;
  bool IsLocal(Ipv4Addr addr) const override;
  rte_mempool* tx_pool() const override { return port_.pool(); }
  bool BuffersTight() const override;

  const NetCounters& counters() const;
  const InterfaceConfig& config() const;
  MacAddr mac() const;
  // Number of ARP cache entries (resolved or pending); for tools and tests.
  size_t arp_entries() const;

 private:
  struct Impl;
  Port& port_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ustack
