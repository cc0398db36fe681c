// UDP header (RFC 768): view and value type. UdpRepr::Parse checks the length field against
// the buffer; the checksum is verified separately because it needs the IP pseudo header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace ustack {

inline constexpr size_t kUdpHeaderLen = 8;

struct UdpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t length = 0;    // header + payload, as on the wire
  uint16_t checksum = 0;  // as on the wire; 0 means "not computed" (RFC 768)

  // Parses the header at the front of `bytes`; `total` is the datagram length the IP layer
  // reported. nullopt when shorter than 8 bytes or length is outside [8, total].
  static std::optional<UdpRepr> Parse(std::span<const uint8_t> bytes, size_t total);
  // Writes 8 bytes (checksum field as given).
  void Emit(std::span<uint8_t, kUdpHeaderLen> out) const;
};

}  // namespace ustack
