// The narrow interface between transports (TCP, UDP) and the network layer. Transports build
// their header and payload in a Packet (allocated with headroom through AllocTx), then hand
// it to SendIpv4, which prepends IPv4 and Ethernet, routes, resolves and queues it.
#pragma once

#include <cstdint>
#include <span>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"

namespace ustack {

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

// What the network layer tells a transport about a received datagram.
struct Ipv4Info {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t protocol = 0;
  uint8_t ttl = 0;
  uint8_t tos = 0;
  bool dst_broadcast = false;  // sent to a broadcast address of ours
};

struct Ipv4SendOptions {
  uint8_t ttl = 64;
  uint8_t tos = 0;
  bool dont_fragment = true;
};

// An ICMP error about a datagram this host sent (RFC 792, RFC 1122 3.2.2), as the network
// layer hands it to the transport that sent the datagram.
struct IcmpErrorInfo {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t next_hop_mtu = 0;  // destination unreachable code 4 (RFC 1191 4); 0 if not given
  Ipv4Addr src;               // of the quoted (our) datagram
  Ipv4Addr dst;
  uint16_t total_length = 0;           // of the quoted datagram
  std::span<const uint8_t> transport;  // at least its first 8 bytes (ports, sequence)
};

// What an ICMP error means to a socket, as Linux maps it: the errno, and whether it is hard
// (reported at once to a connected datagram socket; ends a TCP connection attempt only in
// SYN-SENT) or soft. error is 0 for messages no transport reports (source quench, RFC 6633).
struct IcmpErrno {
  int error = 0;
  bool hard = false;
};
IcmpErrno IcmpErrorErrno(uint8_t type, uint8_t code);

class IpOutput {
 public:
  // An empty packet with headroom for every lower header; invalid when buffers run out.
  virtual Packet AllocTx() = 0;
  // Sends `l4` (transport header + payload) to dst. src == Any picks the interface address.
  // Returns false (and counts the drop) when no route, no buffer, or the queue is full;
  // a packet waiting for ARP counts as sent.
  virtual bool SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                        const Ipv4SendOptions& opts, Instant now) = 0;
  // Hands the frames queued so far to the device now instead of at the end of the poll
  // iteration, so that the peer can start on them while this side keeps working.
  virtual void Push(Instant now) { (void)now; }
  // The largest transport segment (header included) that fits the path to dst unfragmented.
  virtual uint16_t MaxTransportSize(Ipv4Addr dst) const = 0;
  // A transport validated an ICMP "fragmentation needed" (RFC 1191, RFC 5927): lower the path
  // MTU estimate towards dst. Returns the transport size that fits the path now.
  virtual uint16_t ReducePathMtu(Ipv4Addr dst, uint16_t mtu, Instant now) {
    (void)mtu;
    (void)now;
    return MaxTransportSize(dst);
  }
  // RFC 9293 3.8.3 (MUST-20), RFC 1122 2.3.2.1 (4): a transport's negative advice that
  // segments to dst keep going unanswered; the network layer revalidates the next hop's link
  // address. Ignored by default.
  virtual void AdviseDeliveryProblem(Ipv4Addr dst, Instant now) {
    (void)dst;
    (void)now;
  }
  // The address this host uses as source towards dst.
  virtual Ipv4Addr SourceFor(Ipv4Addr dst) const = 0;
  // True when addr is one of this host's unicast addresses.
  virtual bool IsLocal(Ipv4Addr addr) const = 0;
  // The pool transmit packets come from, for payloads that need more than one segment.
  virtual rte_mempool* tx_pool() const { return nullptr; }
  // Memory pressure: true while fewer than a quarter of the packet pool's buffers are free.
  // Transports then stop growing their buffers (Linux's tcp_mem pressure, in one rule).
  virtual bool BuffersTight() const { return false; }

 protected:
  virtual ~IpOutput() = default;
};

// Verdict of a transport on a received datagram.
enum class Delivery {
  kConsumed,    // taken (or dropped and counted) by the transport
  kNoListener,  // no socket: the network layer answers ICMP port unreachable (RFC 1122 3.2.2.1)
};

// A transport protocol's input. `pkt` starts at the transport header; checksum not yet
// verified (the transport does it with the pseudo header from `ip`). The handler may move
// the packet out of `pkt` to keep it, except when it answers kNoListener: then `pkt` must be
// left as it was given, because the network layer quotes it in the ICMP error.
class TransportHandler {
 public:
  virtual Delivery OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant now) = 0;
  // An ICMP error quoting a datagram of this protocol that we sent. Ignored by default.
  virtual void OnIcmpError(const IcmpErrorInfo& err, Instant now) {
    (void)err;
    (void)now;
  }

 protected:
  virtual ~TransportHandler() = default;
};

}  // namespace ustack
