// NetInterface::Impl: the state of one interface, shared by interface.cc (glue, Ethernet and
// ARP input, transmit batching), ipv4_input.cc, ipv4_output.cc and icmp.cc. Private to net/.
// Ownership: Impl owns the ARP cache, the reassembler and the frames in the transmit batch;
// the port, timer wheel and transport handlers are borrowed and must outlive it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "net/arp_cache.h"
#include "net/interface.h"
#include "net/ip_output.h"
#include "net/pmtu_cache.h"
#include "net/reassembly.h"
#include "port/port.h"
#include "wire/arp.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

namespace ustack {

// Where an outgoing IP packet goes on the link.
struct NextHop {
  enum class Kind { kUnicast, kBroadcast, kMulticast };
  Kind kind = Kind::kUnicast;
  Ipv4Addr addr;  // the neighbour to resolve (kUnicast) or the multicast group
};

// The part of an offending datagram quoted in an ICMP error: its IP header and the first
// 8 bytes of its data (RFC 792).
struct IcmpQuote {
  std::array<uint8_t, kIpv4MaxHeaderLen + 8> bytes{};
  size_t len = 0;
  std::span<const uint8_t> span() const { return {bytes.data(), len}; }
};

struct NetInterface::Impl final : ArpCacheOwner {
  static constexpr size_t kTxBatch = 64;

  Impl(Port& p, TimerWheel& t, const InterfaceConfig& c, Instant now);

  // interface.cc
  void Input(Packet frame, Instant now);
  void ArpInput(Packet pkt, Instant now);
  void SendArp(ArpOp op, const MacAddr& eth_dst, const MacAddr& target_mac, Ipv4Addr target_ip,
               Instant now);
  // Prepends Ethernet (dst, our MAC, type) and adds the frame to the transmit batch.
  void SendFrame(Packet payload, const MacAddr& dst, uint16_t ethertype, Instant now);
  void EnqueueFrame(Packet frame, Instant now);
  void FlushTx(Instant now);
  void SendArpRequest(Ipv4Addr target, Instant now) override;
  void SendResolved(Packet ip_packet, const MacAddr& mac, Instant now) override;

  // ipv4_input.cc
  void Ipv4Input(Packet pkt, bool link_broadcast, Instant now);
  void Deliver(Packet payload, const Ipv4Info& info, std::span<const uint8_t> ip_header,
               Instant now);
  bool MayAnswerWithError(const Ipv4Info& info) const;
  static IcmpQuote Quote(std::span<const uint8_t> ip_header, const Packet& payload);

  // ipv4_output.cc
  bool SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                const Ipv4SendOptions& opts, Instant now);
  bool Route(Ipv4Addr dst, NextHop* hop) const;
  bool SendFragments(const Packet& l4, const Ipv4Repr& base, const NextHop& hop, Instant now);
  // Resolves the link address of an IPv4 packet and sends (or queues) it.
  bool OutputIp(Packet ip, const NextHop& hop, Instant now);
  // Grows the front by n bytes, chaining a fresh buffer when headroom is short.
  uint8_t* PrependHeader(Packet& p, uint16_t n);

  // icmp.cc
  void IcmpInput(Packet pkt, const Ipv4Info& info, Instant now);
  void SendIcmpError(uint8_t type, uint8_t code, const IcmpQuote& quote, Ipv4Addr to, Instant now);
  void IcmpErrorInput(const IcmpView& icmp, const Ipv4Info& info, Instant now);
  uint16_t ReducePathMtu(Ipv4Addr dst, uint16_t mtu, Instant now);

  Packet AllocTx() { return Packet::Alloc(port.pool()); }
  bool IsOurBroadcast(Ipv4Addr a) const { return a.IsBroadcast() || a == cfg.broadcast; }

  Port& port;
  TimerWheel& timers;
  InterfaceConfig cfg;  // broadcast filled in from addr and netmask when left Any
  NetCounters counters;
  MacAddr mac;
  uint16_t next_ident;  // IPv4 identification of the next datagram
  std::array<TransportHandler*, 256> transports{};
  ArpCache arp;
  Reassembler reassembler;
  PmtuCache pmtu;
  Instant last_now;  // the clock of the latest Input/FlushTx, for the PMTU cache's age
  std::array<Packet, kTxBatch> tx;
  size_t tx_count = 0;
};

}  // namespace ustack
