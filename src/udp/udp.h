// UdpLayer: UDP (RFC 768) over the network layer. Sockets bind a local port (and optionally
// an address); datagrams queue per socket up to a byte limit, beyond which they are dropped
// and counted. Datagrams to a port nobody bound get ICMP port unreachable from the network
// layer (RFC 1122 3.2.2.1 via Delivery::kNoListener). ICMP errors about datagrams we sent
// reach the socket that sent them (RFC 1122 4.1.3.3) the way Linux reports them without
// IP_RECVERR: a hard error (port unreachable: ECONNREFUSED, ...) about a datagram to the peer
// of a connected socket becomes its pending error; anything else is counted and ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "base/addr.h"
#include "base/events.h"
#include "base/random.h"
#include "base/result.h"
#include "base/time.h"
#include "net/ip_output.h"

namespace ustack {

struct UdpConfig {
  uint32_t receive_buffer = 256 * 1024;  // queued payload bytes per socket
  uint16_t ephemeral_lo = 32768;
  uint16_t ephemeral_hi = 60999;
};

struct UdpCounters {
  uint64_t datagrams_in = 0;
  uint64_t datagrams_out = 0;
  uint64_t drop_malformed = 0;
  uint64_t drop_bad_checksum = 0;
  uint64_t drop_no_port = 0;
  uint64_t drop_receive_buffer_full = 0;
  uint64_t drop_send_failed = 0;
  uint64_t icmp_errors_reported = 0;  // became a connected socket's pending error
  uint64_t icmp_errors_ignored = 0;   // soft, not connected, other peer, or no socket
};

struct UdpEndpoint {
  Ipv4Addr addr;
  uint16_t port = 0;
};

class UdpSocket {
 public:
  virtual ~UdpSocket() = default;
  // Sends one datagram. EMSGSIZE when larger than 65507 bytes, ENOBUFS when buffers run out,
  // EHOSTUNREACH when there is no route; a pending error is returned (and cleared) instead.
  virtual Result<size_t> SendTo(std::span<const uint8_t> data, UdpEndpoint to, Instant now) = 0;
  // Receives one datagram (truncated to out.size()); EAGAIN when none is queued. A pending
  // error comes first (and is cleared), as on Linux.
  virtual Result<size_t> RecvFrom(std::span<uint8_t> out, UdpEndpoint* from) = 0;
  // The peer of connect() (port 0: not connected); only its ICMP errors are reported.
  virtual void set_peer(UdpEndpoint peer) = 0;
  // The pending error (SO_ERROR), cleared; 0 when none. While one is pending, events() has
  // kEventErr.
  virtual int TakeError() = 0;
  virtual uint32_t events() const = 0;
  virtual void set_sink(EventSink* sink) = 0;
  virtual UdpEndpoint local() const = 0;
};

class UdpLayer : public TransportHandler {
 public:
  UdpLayer(IpOutput& ip, Random& random, const UdpConfig& cfg);
  ~UdpLayer();
  UdpLayer(const UdpLayer&) = delete;
  UdpLayer& operator=(const UdpLayer&) = delete;

  Delivery OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant now) override;
  // RFC 1122 4.1.3.3: ICMP errors quoting a datagram we sent, passed to its socket.
  void OnIcmpError(const IcmpErrorInfo& err, Instant now) override;

  // Binds a socket; port 0 picks an ephemeral one. EADDRINUSE when taken.
  Result<UdpSocket*> Bind(UdpEndpoint local, EventSink* sink);
  void Close(UdpSocket* s);

  const UdpCounters& counters() const;

  struct Impl;  // implementation detail, public only so that udp.cc's socket type can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ustack
