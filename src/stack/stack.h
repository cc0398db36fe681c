// Stack: one complete network stack for one core. Owns the port, the timing wheel, the
// random source, the network interface and the transports. Everything is driven by Poll(now),
// called in a loop by the core that owns the stack; no other thread may touch it.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <memory>

#include "base/random.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "net/interface.h"
#include "port/port.h"
#include "tcp/tcp.h"
#include "udp/udp.h"

namespace ustack {

struct StackConfig {
  InterfaceConfig net;
  TcpConfig tcp;
  UdpConfig udp;
  uint64_t seed = 0;  // 0: seeded from the OS at start
  uint16_t rx_burst = 32;
};

class Stack {
 public:
  Stack(std::unique_ptr<Port> port, const StackConfig& cfg, Instant now);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // One iteration: expire timers, receive and process a burst, flush coalesced output.
  // Returns the number of frames received (0 means the iteration found no input).
  size_t Poll(Instant now);
  // Sends what the application queued since the last Poll (coalesced TCP output and queued
  // frames) without waiting for the next iteration's Poll: a run loop calls it right after
  // the application's turn, so a reply leaves in the iteration that produced it.
  void Flush(Instant now);
  // The earliest instant at which Poll must run again if no input arrives (for sleeping).
  Instant NextDeadline() const { return timers_.NextDeadline(); }
  // Reads the monotonic clock (through the TSC where the kernel's clock is on it, see
  // tsc_clock.h). The only clock read in the stack; protocol code gets `now`.
  static Instant Now();

  Port& port() { return *port_; }
  NetInterface& net() { return *net_; }
  TcpLayer& tcp() { return *tcp_; }
  UdpLayer& udp() { return *udp_; }
  TimerWheel& timers() { return timers_; }
  Random& random() { return random_; }
  uint64_t polls() const { return polls_; }

  // Writes every counter as "layer.name value" lines, netstat -s style; zero counters are
  // left out unless `all`.
  void PrintCounters(FILE* out, bool all = false) const;

 private:
  std::unique_ptr<Port> port_;
  TimerWheel timers_;
  Random random_;
  std::unique_ptr<NetInterface> net_;
  std::unique_ptr<TcpLayer> tcp_;
  std::unique_ptr<UdpLayer> udp_;
  uint16_t rx_burst_;
  uint64_t polls_ = 0;
  // Receive burst storage, empty between polls (Poll moves every packet out). A member rather
  // than a local so that a poll does not construct and destroy 64 Packets (Poll is never
  // re-entered).
  std::array<Packet, 64> burst_;
};

}  // namespace ustack
