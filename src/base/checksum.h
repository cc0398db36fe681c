// Internet checksum (RFC 1071) with incremental update (RFC 1624).
// Sums are accumulated in 32 bits (or wider) and folded once at the end. Long inputs use a
// SIMD kernel chosen once from the CPU's features (checksum_impl.h), else a portable loop.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace ustack {

// Adds the bytes to a running one's-complement sum. `odd_offset` tells whether the data
// starts at an odd byte offset of the checksummed whole (so chained mbufs can be summed).
uint64_t ChecksumAdd(uint64_t sum, std::span<const uint8_t> data, bool odd_offset = false);

// Copies src to dst (src.size() bytes) and adds them to the running sum in the same pass, as
// ChecksumAdd(sum, src, odd_offset) would. dst and src must not overlap (dst may start at any
// address). Uses AVX2 or AVX-512 when the CPU has them (chosen once, at first use).
uint64_t ChecksumCopy(uint8_t* dst, std::span<const uint8_t> src, uint64_t sum,
                      bool odd_offset = false);

// Folds a running sum to 16 bits (not complemented).
uint16_t ChecksumFold(uint64_t sum);

// The final checksum field value: ~fold(sum).
inline uint16_t ChecksumFinish(uint64_t sum) { return static_cast<uint16_t>(~ChecksumFold(sum)); }

// Checksum of a buffer in one go.
inline uint16_t InternetChecksum(std::span<const uint8_t> data) {
  return ChecksumFinish(ChecksumAdd(0, data));
}

// The same as InternetChecksum({p, 20}) (an IPv4 header without options, RFC 791 3.1),
// inline and without the general loop: RFC 1071 2(C) deferred carries, five 32-bit words
// summed in 64 bits and folded once; 2(B) byte order independence, one swap at the end.
inline uint16_t InternetChecksum20(const uint8_t* p) {
  const auto word = [p](int i) {
    uint32_t w;
    std::memcpy(&w, p + 4 * i, sizeof w);
    return uint64_t{w};
  };
  uint64_t s = word(0) + word(1) + word(2) + word(3) + word(4);
  s = (s & 0xffffffff) + (s >> 32);  // at most 33 bits
  s = (s & 0xffff) + (s >> 16);      // at most 18 bits
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  const auto native = static_cast<uint16_t>(s);
  const uint16_t sum = std::endian::native == std::endian::little
                           ? static_cast<uint16_t>(native << 8 | native >> 8)
                           : native;
  return static_cast<uint16_t>(~sum);
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), updating a checksum when a 16-bit word changes.
uint16_t ChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word);

// The same for a 32-bit field (e.g. an IPv4 address), as two 16-bit words.
uint16_t ChecksumUpdate32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value);

// Sum of the IPv4 pseudo header (RFC 793 / RFC 768): addresses host order.
uint64_t PseudoHeaderSumV4(uint32_t src, uint32_t dst, uint8_t protocol, uint32_t length);

}  // namespace ustack
