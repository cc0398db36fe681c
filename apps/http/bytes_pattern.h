// The deterministic byte pattern served by GET /bytes/N: byte i (counted from 0) is
// ((i * 2654435761) mod 2^64 >> 16) mod 256. Any slice can be generated from its offset
// alone, so a response of any size is produced piecewise without holding it in memory.
#pragma once

#include <cstdint>
#include <span>

namespace ustack::http {

inline constexpr uint64_t kPatternMultiplier = 2654435761ULL;

constexpr uint8_t PatternByte(uint64_t i) {
  return static_cast<uint8_t>((i * kPatternMultiplier) >> 16);  // unsigned wrap is mod 2^64
}

// Writes bytes [offset, offset + out.size()) of the pattern into out.
inline void FillPattern(uint64_t offset, std::span<uint8_t> out) {
  uint64_t x = offset * kPatternMultiplier;
  for (uint8_t& b : out) {
    b = static_cast<uint8_t>(x >> 16);
    x += kPatternMultiplier;
  }
}

}  // namespace ustack::http
