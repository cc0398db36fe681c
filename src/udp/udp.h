// UdpLayer: UDP (RFC 768) over the network layer. Sockets bind a local port (and optionally
// an address); datagrams queue per socket up to a byte limit, beyond which they are dropped
// and counted. Datagrams to a port nobody bound get ICMP port unreachable from the network
// layer (RFC 1122 3.2.2.1 via Delivery::kNoListener).
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
};

struct UdpEndpoint {
  Ipv4Addr addr;
  uint16_t port = 0;
};

class UdpSocket {
 public:
  virtual ~UdpSocket() = default;
  // Sends one datagram. EMSGSIZE when larger than 65507 bytes, ENOBUFS when buffers run out,
  // EHOSTUNREACH when there is no route.
  virtual Result<size_t> SendTo(std::span<const uint8_t> data, UdpEndpoint to, Instant now) = 0;
  // Receives one datagram (truncated to out.size()); EAGAIN when none is queued.
  virtual Result<size_t> RecvFrom(std::span<uint8_t> out, UdpEndpoint* from) = 0;
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

  // Binds a socket; port 0 picks an ephemeral one. EADDRINUSE when taken.
  Result<UdpSocket*> Bind(UdpEndpoint local, EventSink* sink);
  void Close(UdpSocket* s);

  const UdpCounters& counters() const;

  struct Impl;  // implementation detail, public only so that udp.cc's socket type can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace ustack
