// FuzzNet: the network around tcp_stateful_fuzz's stack. One Stack (built fresh for each
// input) behind a port whose receive side is fed by the fuzzer and whose transmit side answers
// ARP and keeps every IPv4 packet the stack sends (Ethernet stripped), on a manual clock.
// The mbuf pool belongs to the caller and outlives the stack, so whatever the stack leaves in
// use after a connection is gone is visible. Fuzz harness code only; single-threaded.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/time.h"
#include "stack/stack.h"

struct rte_mempool;

namespace ustack::fuzz {

// Addresses from the benchmarking range (RFC 2544): the peer is reached via the gateway.
inline constexpr Ipv4Addr kLocalIp = Ipv4Addr::Of(198, 18, 0, 2);
inline constexpr Ipv4Addr kGatewayIp = Ipv4Addr::Of(198, 18, 0, 1);
inline constexpr Ipv4Addr kRemoteIp = Ipv4Addr::Of(198, 19, 0, 1);

class FuzzNet {
 public:
  FuzzNet(rte_mempool* pool, const TcpConfig& tcp);
  ~FuzzNet();
  FuzzNet(const FuzzNet&) = delete;
  FuzzNet& operator=(const FuzzNet&) = delete;

  Instant now() const { return now_; }
  int64_t elapsed_ms() const { return (now_ - start_).millis(); }
  Stack& stack() { return *stack_; }

  // Delivers one IPv4 packet at now() and polls until the stack is idle.
  void Inject(std::span<const uint8_t> ipv4);
  // Polls at now() until no input is pending (after socket calls, to flush their output).
  void Settle();
  // Moves the clock to the next timer deadline or to `limit`, whichever is first, and polls.
  // False when the clock is already at `limit`.
  bool StepTowards(Instant limit);

  bool has_output() const { return !out_.empty(); }
  size_t output_count() const { return out_.size(); }
  const std::vector<uint8_t>& output(size_t i) const { return out_[i]; }
  std::vector<uint8_t> PopOutput();

 private:
  class Port;

  Instant start_;
  Instant now_;
  std::deque<std::vector<uint8_t>> out_;  // filled by the port, so declared before the stack
  Port* port_ = nullptr;                  // owned by stack_
  std::unique_ptr<Stack> stack_;
};

}  // namespace ustack::fuzz
