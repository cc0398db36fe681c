// ARP for Ethernet and IPv4 (RFC 826): a typed view over the 28-byte packet and a value type
// that parses (rejecting other hardware/protocol types and opcodes) and emits.
// Invariant: an ArpView exists only over at least 28 bytes, so every accessor is in bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/addr.h"
#include "base/result.h"

namespace ustack {

inline constexpr size_t kArpPacketLen = 28;  // Ethernet/IPv4 form
inline constexpr uint16_t kArpHardwareEthernet = 1;

enum class ArpOp : uint16_t { kRequest = 1, kReply = 2 };

class ArpView {
 public:
  // Succeeds when `bytes` holds at least the 28 bytes of the Ethernet/IPv4 form. Field values
  // (hardware type, lengths, opcode) are not checked here: see ArpRepr::Parse.
  static std::optional<ArpView> Parse(std::span<const uint8_t> bytes);

  uint16_t hardware_type() const;
  uint16_t protocol_type() const;
  uint8_t hardware_len() const { return bytes_[4]; }
  uint8_t protocol_len() const { return bytes_[5]; }
  uint16_t op() const;
  MacAddr sender_mac() const;
  Ipv4Addr sender_ip() const;
  MacAddr target_mac() const;
  Ipv4Addr target_ip() const;
  // True for hardware Ethernet (6-byte addresses) and protocol IPv4 (4-byte addresses).
  bool is_ethernet_ipv4() const;

 private:
  explicit ArpView(std::span<const uint8_t> b) : bytes_(b) {}
  std::span<const uint8_t> bytes_;
};

struct ArpRepr {
  ArpOp op = ArpOp::kRequest;
  MacAddr sender_mac;
  Ipv4Addr sender_ip;
  MacAddr target_mac;
  Ipv4Addr target_ip;

  // EBADMSG when truncated or not Ethernet/IPv4; EOPNOTSUPP for opcodes other than 1 and 2.
  static Result<ArpRepr> Parse(std::span<const uint8_t> bytes);
  static constexpr size_t length() { return kArpPacketLen; }
  // Writes the 28-byte packet; returns bytes written, 0 when out is too short.
  size_t Emit(std::span<uint8_t> out) const;
  bool operator==(const ArpRepr&) const = default;
};

}  // namespace ustack
