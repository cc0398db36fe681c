// IPv4 header (RFC 791): a typed view over received bytes and a value type that parses and
// emits the 20-byte option-less header. Options in received headers are skipped by IHL.
// Invariant: an Ipv4View exists only when version is 4, IHL >= 5, the whole header (IHL * 4
// bytes) is in the span and total length >= header length; Parse also guarantees total length
// <= span size and trims the view to total length (dropping link-layer padding).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/addr.h"
#include "base/result.h"

namespace ustack {

inline constexpr size_t kIpv4MinHeaderLen = 20;
inline constexpr size_t kIpv4MaxHeaderLen = 60;
inline constexpr size_t kIpv4MaxDatagram = 65535;  // RFC 791: total length is 16 bits

class Ipv4View {
 public:
  // Header only: checks version, IHL and that the header fits `bytes`. payload() is empty.
  // Use when the rest of the datagram is not contiguous (mbuf chains).
  static std::optional<Ipv4View> ParseHeader(std::span<const uint8_t> bytes);
  // Whole datagram: ParseHeader plus total length <= bytes.size(); the view is trimmed to the
  // total length so trailing padding is excluded from payload().
  static std::optional<Ipv4View> Parse(std::span<const uint8_t> bytes);

  uint8_t version() const { return bytes_[0] >> 4; }
  size_t header_len() const { return size_t{bytes_[0] & 0x0fu} * 4; }
  uint8_t tos() const { return bytes_[1]; }
  uint16_t total_length() const;
  uint16_t ident() const;
  bool reserved_flag() const { return (bytes_[6] & 0x80) != 0; }
  bool dont_fragment() const { return (bytes_[6] & 0x40) != 0; }
  bool more_fragments() const { return (bytes_[6] & 0x20) != 0; }
  uint16_t frag_offset() const;  // in bytes (the field times 8)
  bool is_fragment() const { return more_fragments() || frag_offset() != 0; }
  uint8_t ttl() const { return bytes_[8]; }
  uint8_t protocol() const { return bytes_[9]; }
  uint16_t checksum() const;
  Ipv4Addr src() const;
  Ipv4Addr dst() const;
  // RFC 791 3.1: the ones' complement sum over the header, checksum field included, is zero.
  bool checksum_valid() const;

  std::span<const uint8_t> header() const { return bytes_.first(header_len()); }
  std::span<const uint8_t> options() const { return header().subspan(kIpv4MinHeaderLen); }
  std::span<const uint8_t> payload() const { return bytes_.subspan(header_len()); }

 private:
  explicit Ipv4View(std::span<const uint8_t> b) : bytes_(b) {}
  std::span<const uint8_t> bytes_;
};

struct Ipv4Repr {
  Ipv4Addr src;
  Ipv4Addr dst;
  uint8_t protocol = 0;
  uint8_t ttl = 64;
  uint8_t tos = 0;
  uint16_t ident = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t frag_offset = 0;  // bytes; a multiple of 8
  uint16_t payload_len = 0;  // bytes after the header

  // Parses a whole datagram (see Ipv4View::Parse); options are skipped. EBADMSG when
  // malformed or truncated, EPROTO when verify_checksum and the header checksum is wrong.
  static Result<Ipv4Repr> Parse(std::span<const uint8_t> bytes, bool verify_checksum = true);
  static constexpr size_t header_len() { return kIpv4MinHeaderLen; }
  size_t total_len() const { return kIpv4MinHeaderLen + payload_len; }
  // Writes the 20-byte header with its checksum; returns 20, or 0 when out is too short or
  // the total length would not fit 16 bits.
  size_t Emit(std::span<uint8_t> out) const;
  bool operator==(const Ipv4Repr&) const = default;
};

}  // namespace ustack
