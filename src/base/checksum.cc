// Internet checksum, see checksum.h.
#include "base/checksum.h"

namespace ustack {

uint64_t ChecksumAdd(uint64_t sum, std::span<const uint8_t> data, bool odd_offset) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  uint64_t local = 0;
  if (odd_offset && n > 0) {
    local += *p;  // low byte of a 16-bit word whose high byte came before
    ++p;
    --n;
  }
  while (n >= 8) {
    local += (uint64_t{p[0]} << 8 | p[1]) + (uint64_t{p[2]} << 8 | p[3]) +
             (uint64_t{p[4]} << 8 | p[5]) + (uint64_t{p[6]} << 8 | p[7]);
    p += 8;
    n -= 8;
  }
  while (n >= 2) {
    local += uint64_t{p[0]} << 8 | p[1];
    p += 2;
    n -= 2;
  }
  if (n == 1) local += uint64_t{p[0]} << 8;
  return sum + local;
}

uint16_t ChecksumFold(uint64_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

uint16_t ChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word) {
  uint64_t sum = static_cast<uint16_t>(~old_checksum);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  return static_cast<uint16_t>(~ChecksumFold(sum));
}

uint16_t ChecksumUpdate32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value) {
  uint16_t c = ChecksumUpdate16(old_checksum, static_cast<uint16_t>(old_value >> 16),
                                static_cast<uint16_t>(new_value >> 16));
  return ChecksumUpdate16(c, static_cast<uint16_t>(old_value), static_cast<uint16_t>(new_value));
}

uint64_t PseudoHeaderSumV4(uint32_t src, uint32_t dst, uint8_t protocol, uint32_t length) {
  return uint64_t{src >> 16} + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + protocol +
         (length >> 16) + (length & 0xffff);
}

}  // namespace ustack
