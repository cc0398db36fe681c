// Internet checksum (RFC 1071) with incremental update (RFC 1624).
// Sums are accumulated in 32 bits (or wider) and folded once at the end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ustack {

// Adds the bytes to a running one's-complement sum. `odd_offset` tells whether the data
// starts at an odd byte offset of the checksummed whole (so chained mbufs can be summed).
uint64_t ChecksumAdd(uint64_t sum, std::span<const uint8_t> data, bool odd_offset = false);

// Folds a running sum to 16 bits (not complemented).
uint16_t ChecksumFold(uint64_t sum);

// The final checksum field value: ~fold(sum).
inline uint16_t ChecksumFinish(uint64_t sum) { return static_cast<uint16_t>(~ChecksumFold(sum)); }

// Checksum of a buffer in one go.
inline uint16_t InternetChecksum(std::span<const uint8_t> data) {
  return ChecksumFinish(ChecksumAdd(0, data));
}

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), updating a checksum when a 16-bit word changes.
uint16_t ChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word);

// The same for a 32-bit field (e.g. an IPv4 address), as two 16-bit words.
uint16_t ChecksumUpdate32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value);

// Sum of the IPv4 pseudo header (RFC 793 / RFC 768): addresses host order.
uint64_t PseudoHeaderSumV4(uint32_t src, uint32_t dst, uint8_t protocol, uint32_t length);

}  // namespace ustack
