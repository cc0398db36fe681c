// Building inbound packets from a PacketSpec and checking outbound packets against one.
// FlowState holds what makes relative numbers absolute: the remote end's ISN (chosen by the
// runner), the stack's ISN (learned from the first SYN it sends; 0 until then), the ports and
// the stack's timestamp clock offset.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/addr.h"
#include "script.h"

namespace ustack::scenario {

inline constexpr uint16_t kBindPort = 8080;     // packetdrill's default bind/connect port
inline constexpr uint16_t kRemotePort = 47100;  // the remote end's port for passive opens

struct FlowState {
  Ipv4Addr local_ip;
  Ipv4Addr remote_ip;
  uint16_t local_port = kBindPort;
  uint16_t remote_port = kRemotePort;
  bool local_port_known = true;
  uint32_t remote_isn = 1000000;
  uint32_t local_isn = 0;
  bool local_isn_known = false;
  uint16_t next_ip_id = 1;
  // The stack's timestamp clock relative to the script's: learned from the first outbound
  // packet whose TS option the script spells out (actual TSval - script TSval), and added to
  // the TS ecr of inbound ACKs, so scripts echo the script's TS val numbers as in packetdrill.
  std::optional<uint32_t> ts_offset;
};

// The IPv4 packet for an inbound spec (checksums filled).
std::vector<uint8_t> BuildInbound(const PacketSpec& spec, FlowState& flow);

// Checks an outbound IPv4 packet against the spec; learns the stack's ISN (and port, for an
// active open) from a SYN. Returns "" on a match, else a description of the differences.
std::string MatchOutbound(const PacketSpec& spec, std::span<const uint8_t> ipv4, FlowState& flow);

// The packet in script notation with relative numbers, for messages.
std::string DescribeOutbound(std::span<const uint8_t> ipv4, const FlowState& flow);

}  // namespace ustack::scenario
