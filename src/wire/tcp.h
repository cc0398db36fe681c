// TCP header (RFC 9293 3.1) and options (RFC 9293 3.2, RFC 7323, RFC 2018).
// TcpView is a checked view over received bytes: Parse() validates the data offset once, after
// which no accessor can read out of bounds. TcpRepr is the value type: it parses options from a
// view and emits header + options (padded to 4 bytes) into a caller's buffer. Stateless.
// Checksum helpers add the IPv4 pseudo header; the segment sum itself comes from the caller
// (e.g. Packet::ChecksumSum over an mbuf chain), so wire/ needs no buffer type.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/addr.h"

namespace ustack {

inline constexpr size_t kTcpHeaderLen = 20;
inline constexpr size_t kTcpMaxHeaderLen = 60;
inline constexpr size_t kTcpMaxOptionsLen = kTcpMaxHeaderLen - kTcpHeaderLen;
inline constexpr size_t kTcpMaxSackBlocks = 4;

// Flag bits of header byte 13 (RFC 9293 3.1, RFC 3168 for ECE/CWR).
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

// Option kinds (RFC 9293 3.2, RFC 7323, RFC 2018).
inline constexpr uint8_t kTcpOptEol = 0;
inline constexpr uint8_t kTcpOptNop = 1;
inline constexpr uint8_t kTcpOptMss = 2;
inline constexpr uint8_t kTcpOptWindowScale = 3;
inline constexpr uint8_t kTcpOptSackPermitted = 4;
inline constexpr uint8_t kTcpOptSack = 5;
inline constexpr uint8_t kTcpOptTimestamps = 8;

struct TcpSackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // sequence number just after the block
  bool operator==(const TcpSackBlock&) const = default;
};

struct TcpTimestamps {
  uint32_t value = 0;  // TSval
  uint32_t echo = 0;   // TSecr
  bool operator==(const TcpTimestamps&) const = default;
};

// The options TCP understands. Blocks past sack_count are ignored (and kept zero by Parse).
struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;  // raw shift as received; RFC 7323 2.3 clamp is TCP's job
  bool sack_permitted = false;
  std::optional<TcpTimestamps> timestamps;
  uint8_t sack_count = 0;
  std::array<TcpSackBlock, kTcpMaxSackBlocks> sack{};

  // SACK blocks that fit in the 40 option bytes next to the other options.
  size_t SackBlocksThatFit() const;
  // Bytes the options take when emitted, a multiple of 4, at most kTcpMaxOptionsLen.
  size_t EncodedLength() const;
  bool operator==(const TcpOptions&) const = default;
};

// Parses option bytes. False when an option's length is impossible (RFC 9293 3.2: the
// segment is then malformed). Unknown kinds are skipped by their length; EOL ends the list.
bool ParseTcpOptions(std::span<const uint8_t> bytes, TcpOptions* out);
// Writes the options padded to a multiple of 4 with NOPs/EOL; returns bytes written, or 0 if
// `out` is shorter than EncodedLength().
size_t EmitTcpOptions(const TcpOptions& opts, std::span<uint8_t> out);

class TcpView {
 public:
  // Needs the whole header in `bytes`: 20 <= data offset * 4 <= bytes.size().
  static std::optional<TcpView> Parse(std::span<const uint8_t> bytes);

  uint16_t src_port() const;
  uint16_t dst_port() const;
  uint32_t seq() const;
  uint32_t ack() const;
  size_t header_length() const { return header_len_; }  // data offset in bytes
  uint8_t flags() const { return bytes_[13]; }
  uint16_t window() const;
  uint16_t checksum() const;
  uint16_t urgent() const;
  std::span<const uint8_t> options() const {
    return bytes_.subspan(kTcpHeaderLen, header_len_ - kTcpHeaderLen);
  }
  // Bytes after the header that are inside the parsed span.
  std::span<const uint8_t> payload() const { return bytes_.subspan(header_len_); }
  std::span<const uint8_t> bytes() const { return bytes_; }

 private:
  TcpView(std::span<const uint8_t> b, size_t header_len) : bytes_(b), header_len_(header_len) {}
  std::span<const uint8_t> bytes_;
  size_t header_len_;
};

struct TcpRepr {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t urgent = 0;
  TcpOptions options;

  // Nullopt when the options are malformed.
  static std::optional<TcpRepr> Parse(const TcpView& v);
  size_t HeaderLength() const { return kTcpHeaderLen + options.EncodedLength(); }
  // Writes the header with a zero checksum into out[0, HeaderLength()); false if too short.
  bool Emit(std::span<uint8_t> out) const;
  bool operator==(const TcpRepr&) const = default;
};

// Offset of the checksum field within the header.
inline constexpr size_t kTcpChecksumOffset = 16;

// RFC 9293 3.1: checksum over the IPv4 pseudo header and the segment. `segment_sum` is the
// running ChecksumAdd sum over all `length` bytes of the segment, checksum field zeroed.
uint16_t TcpChecksumV4(Ipv4Addr src, Ipv4Addr dst, uint32_t length, uint64_t segment_sum);
// True when a received segment (checksum field included in `segment_sum`) verifies.
bool TcpChecksumValidV4(Ipv4Addr src, Ipv4Addr dst, uint32_t length, uint64_t segment_sum);
// Convenience for a contiguous segment: computes and stores the checksum field.
void FillTcpChecksumV4(std::span<uint8_t> segment, Ipv4Addr src, Ipv4Addr dst);

}  // namespace ustack
