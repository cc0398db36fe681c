// Simulation harness: two complete stacks (A = 198.18.0.1, B = 198.18.0.2) joined by a
// SimLink, driven by a manual clock. The clock jumps to the next event (frame arrival or
// timer) when nothing else is happening, so simulated minutes cost milliseconds.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "port/sim_link.h"
#include "socket/socket_api.h"
#include "stack/stack.h"

namespace ustack::sim {

inline constexpr Ipv4Addr kAddrA = Ipv4Addr::Of(198, 18, 0, 1);
inline constexpr Ipv4Addr kAddrB = Ipv4Addr::Of(198, 18, 0, 2);

class TwoStacks {
 public:
  TwoStacks(rte_mempool* pool, uint64_t seed, const Impairment& imp,
            const TcpConfig& tcp = TcpConfig{});
  ~TwoStacks();

  SocketApi& a() { return *api_a_; }
  SocketApi& b() { return *api_b_; }
  Stack& stack_a() { return *stack_a_; }
  Stack& stack_b() { return *stack_b_; }
  SimLink& link() { return *link_; }
  Instant now() const { return now_; }

  // Runs poll iterations, calling `step` after each, until `step` returns true or the
  // simulated clock passes `limit`. Returns whether `step` finished.
  bool RunUntil(const std::function<bool()>& step, Duration limit);

 private:
  Instant now_;
  std::unique_ptr<SimLink> link_;
  std::unique_ptr<Stack> stack_a_;
  std::unique_ptr<Stack> stack_b_;
  std::unique_ptr<SocketApi> api_a_;
  std::unique_ptr<SocketApi> api_b_;
};

// An AF_INET socket address (network byte order fields) for the socket API.
inline sockaddr_in Sockaddr(Ipv4Addr a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_addr.s_addr = htonl(a.v);
  s.sin_port = htons(port);
  return s;
}

// Byte i of the seeded test stream `stream`; cheap, position-addressable, and different for
// every seed and direction.
inline uint8_t StreamByte(uint64_t stream, uint64_t i) {
  uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ULL + stream * 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 29;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 32;
  return static_cast<uint8_t>(x >> ((i & 7) * 8));
}

}  // namespace ustack::sim
