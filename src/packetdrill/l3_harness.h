// L3Harness: one Stack over an in-process IPv4 "wire", driven by a manual clock, for the
// scenario runner (tests/scenario) and the packetdrill plugin. The test plays the remote end
// at the IP layer: Inject() hands the stack an IPv4 packet (wrapped in Ethernet addressed to
// the stack), and every IPv4 packet the stack transmits is stripped of its Ethernet header and
// queued with its virtual send time. ARP is answered inside the port: every request the stack
// makes is replied to with a fixed peer MAC, so routes via the gateway resolve at once.
//
// Time only moves when the harness is told to (AdvanceTo/StepTowards); each step jumps through
// the stack's timer deadlines so timers fire at their exact virtual instants, and the stack is
// polled after every injection and every clock change until no input is pending.
// Ownership: the harness owns the mbuf pool, the port, the stack and the SocketApi.
// Single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/addr.h"
#include "base/time.h"
#include "buf/packet.h"
#include "socket/socket_api.h"
#include "stack/stack.h"

namespace ustack::pd {

// packetdrill's defaults: the stack under test is 192.168.0.1/16 behind gateway 192.168.0.2;
// the remote end is 192.0.2.1, reached via the gateway.
inline constexpr Ipv4Addr kDefaultLocalIp = Ipv4Addr::Of(192, 168, 0, 1);
inline constexpr Ipv4Addr kDefaultGateway = Ipv4Addr::Of(192, 168, 0, 2);
inline constexpr Ipv4Addr kDefaultNetmask = Ipv4Addr::Of(255, 255, 0, 0);
inline constexpr Ipv4Addr kDefaultRemoteIp = Ipv4Addr::Of(192, 0, 2, 1);

struct HarnessConfig {
  Ipv4Addr local_ip = kDefaultLocalIp;
  Ipv4Addr netmask = kDefaultNetmask;
  Ipv4Addr gateway = kDefaultGateway;
  uint16_t mtu = 1500;
  uint64_t seed = 1;  // the stack's Random (ISNs, ephemeral ports)
  TcpConfig tcp;
};

// One IPv4 packet the stack sent, without its Ethernet header.
struct OutPacket {
  std::vector<uint8_t> bytes;
  Instant sent;
};

class HarnessPort;

class L3Harness {
 public:
  // Starts the EAL if needed; nullptr (and *error) when the EAL or the pool cannot start.
  static std::unique_ptr<L3Harness> Create(const HarnessConfig& cfg, std::string* error);
  ~L3Harness();
  L3Harness(const L3Harness&) = delete;
  L3Harness& operator=(const L3Harness&) = delete;

  // The virtual clock. It starts at start() (a round, non-zero instant).
  Instant now() const { return now_; }
  Instant start() const { return start_; }
  // Microseconds since start().
  int64_t elapsed_usecs() const { return (now_ - start_).micros(); }

  // Delivers one IPv4 packet to the stack at now(); false if it cannot be buffered.
  bool Inject(std::span<const uint8_t> ipv4);
  // Moves the clock forward to `t` (never backward), firing timers on the way.
  void AdvanceTo(Instant t);
  // Moves the clock to the next timer deadline or to `limit`, whichever is first, and polls.
  // Returns false when the clock is already at `limit`.
  bool StepTowards(Instant limit);
  // Polls at now() until no input is pending (call after socket calls to flush output).
  void Settle();

  bool has_output() const { return !out_.empty(); }
  const OutPacket& front_output() const { return out_.front(); }
  OutPacket PopOutput();
  size_t output_count() const { return out_.size(); }

  SocketApi& api() { return *api_; }
  Stack& stack() { return *stack_; }
  const HarnessConfig& config() const { return cfg_; }

 private:
  explicit L3Harness(const HarnessConfig& cfg);
  friend class HarnessPort;
  void Collect(OutPacket pkt) { out_.push_back(std::move(pkt)); }

  HarnessConfig cfg_;
  Instant start_;
  Instant now_;
  std::unique_ptr<PacketPool> pool_;
  HarnessPort* port_ = nullptr;  // owned by stack_
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<SocketApi> api_;
  std::deque<OutPacket> out_;
};

}  // namespace ustack::pd
