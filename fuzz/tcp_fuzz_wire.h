// Segments for tcp_stateful_fuzz: building the IPv4/TCP packets the fuzzer's peer injects
// (payload bytes follow PeerByte of their sequence numbers), and parsing what the stack sent.
// Fuzz harness code only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "wire/tcp.h"

namespace ustack::fuzz {

// Ways of damaging an injected segment; the stack must drop each one (and count it).
enum class Corruption : uint8_t {
  kNone,
  kTcpChecksum,
  kIpChecksum,
  kTruncated,
  kOtherPort,
  kMaxValue = kOtherPort,
};

// One segment from the peer.
struct SegSpec {
  Ipv4Addr src, dst;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t urgent = 0;
  uint32_t payload_len = 0;
  TcpOptions options;
  std::vector<uint8_t> raw_options;  // when not empty: sent instead of `options`
  uint8_t tos = 0;                   // ECN field in the low two bits
  Corruption corrupt = Corruption::kNone;

  // Sequence number of the first payload byte (after a SYN).
  uint32_t data_seq() const { return seq + ((flags & kTcpSyn) ? 1 : 0); }
};

// The IPv4 datagram for `s`.
std::vector<uint8_t> BuildSegment(const SegSpec& s);

// One IPv4/TCP packet the stack sent, parsed and verified.
struct OutSeg {
  Ipv4Addr src, dst;
  uint8_t tos = 0;
  TcpRepr tcp;
  size_t options_len = 0;
  std::vector<uint8_t> payload;
  bool has(uint8_t f) const { return (tcp.flags & f) != 0; }
  // Sequence space the segment takes (payload plus SYN and FIN).
  uint32_t seq_len() const {
    return static_cast<uint32_t>(payload.size()) + (has(kTcpSyn) ? 1 : 0) + (has(kTcpFin) ? 1 : 0);
  }
};

// Parses `ip` (what the stack transmitted, Ethernet stripped) and fails the run when it is not
// a well-formed IPv4/TCP packet with valid checksums.
OutSeg ParseOutbound(std::span<const uint8_t> ip);

}  // namespace ustack::fuzz
