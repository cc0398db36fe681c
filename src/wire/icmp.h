// ICMPv4 (RFC 792): a typed view over a message and a value type for the messages the stack
// sends and understands (echo request/reply, destination unreachable, time exceeded); other
// types parse with their raw rest-of-header word. The checksum covers the whole message.
// Invariant: an IcmpView exists only over at least the 8-byte header. IcmpRepr::data is a
// non-owning span into the parsed or caller-provided buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"

namespace ustack {

inline constexpr size_t kIcmpHeaderLen = 8;

inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpDestUnreachable = 3;
inline constexpr uint8_t kIcmpSourceQuench = 4;
inline constexpr uint8_t kIcmpRedirect = 5;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr uint8_t kIcmpTimeExceeded = 11;
inline constexpr uint8_t kIcmpParameterProblem = 12;

// Destination unreachable codes (RFC 792).
inline constexpr uint8_t kIcmpCodeNetUnreachable = 0;
inline constexpr uint8_t kIcmpCodeHostUnreachable = 1;
inline constexpr uint8_t kIcmpCodeProtocolUnreachable = 2;
inline constexpr uint8_t kIcmpCodePortUnreachable = 3;
inline constexpr uint8_t kIcmpCodeFragNeeded = 4;
// Time exceeded codes.
inline constexpr uint8_t kIcmpCodeTtlExceeded = 0;
inline constexpr uint8_t kIcmpCodeReassemblyTimeout = 1;

// True for ICMP error messages (RFC 1122 3.2.2: never answered with another ICMP error).
constexpr bool IcmpIsError(uint8_t type) {
  return type == kIcmpDestUnreachable || type == kIcmpSourceQuench || type == kIcmpRedirect ||
         type == kIcmpTimeExceeded || type == kIcmpParameterProblem;
}

class IcmpView {
 public:
  // Succeeds when `bytes` holds the 8-byte header; the message is all of `bytes`.
  static std::optional<IcmpView> Parse(std::span<const uint8_t> bytes);

  uint8_t type() const { return bytes_[0]; }
  uint8_t code() const { return bytes_[1]; }
  uint16_t checksum() const;
  uint32_t rest_of_header() const;  // bytes 4..7
  uint16_t echo_id() const;         // echo request/reply
  uint16_t echo_seq() const;
  uint16_t next_hop_mtu() const;  // destination unreachable, code 4 (RFC 1191)
  std::span<const uint8_t> data() const { return bytes_.subspan(kIcmpHeaderLen); }
  // RFC 792: the ones' complement sum over the whole message is zero.
  bool checksum_valid() const;

 private:
  explicit IcmpView(std::span<const uint8_t> b) : bytes_(b) {}
  std::span<const uint8_t> bytes_;
};

struct IcmpRepr {
  uint8_t type = 0;
  uint8_t code = 0;
  uint32_t rest = 0;              // rest of header: id << 16 | seq for echo, mtu for code 4
  std::span<const uint8_t> data;  // echo payload, or the quoted datagram of an error

  static IcmpRepr EchoRequest(uint16_t id, uint16_t seq, std::span<const uint8_t> payload);
  static IcmpRepr EchoReply(uint16_t id, uint16_t seq, std::span<const uint8_t> payload);
  // `quoted`: the offending datagram's IP header plus at least its first 8 data bytes.
  static IcmpRepr DestUnreachable(uint8_t code, std::span<const uint8_t> quoted,
                                  uint16_t next_hop_mtu = 0);
  static IcmpRepr TimeExceeded(uint8_t code, std::span<const uint8_t> quoted);

  // EBADMSG when shorter than 8 bytes; EPROTO when verify_checksum and the checksum is wrong.
  static Result<IcmpRepr> Parse(std::span<const uint8_t> bytes, bool verify_checksum = true);

  uint16_t echo_id() const { return static_cast<uint16_t>(rest >> 16); }
  uint16_t echo_seq() const { return static_cast<uint16_t>(rest); }
  size_t length() const { return kIcmpHeaderLen + data.size(); }
  // Writes header and data with the checksum over both; returns length(), or 0 when out is
  // too short. `data` may overlap `out`.
  size_t Emit(std::span<uint8_t> out) const;
};

}  // namespace ustack
