// Internet checksum, see checksum.h.
#include "base/checksum.h"

#include <bit>
#include <cstring>

namespace ustack {
namespace {

// Adds w to acc with end-around carry (ones'-complement addition on 64 bits).
inline uint64_t AddCarry(uint64_t acc, uint64_t w) {
  uint64_t out;
  const bool carry = __builtin_add_overflow(acc, w, &out);
  return out + carry;
}

template <typename T>
inline T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// Ones'-complement sum of the bytes taken as 16-bit words in the host's byte order, folded to
// 16 bits. RFC 1071 2(B): the sum is byte-order independent, so words are read 8 bytes at a
// time and the folded result is swapped once at the end (see ChecksumAdd).
uint16_t NativeSum(const uint8_t* p, size_t n) {
  uint64_t a = 0, b = 0;  // two accumulators: independent carry chains
  while (n >= 32) {
    a = AddCarry(a, Load<uint64_t>(p));
    b = AddCarry(b, Load<uint64_t>(p + 8));
    a = AddCarry(a, Load<uint64_t>(p + 16));
    b = AddCarry(b, Load<uint64_t>(p + 24));
    p += 32;
    n -= 32;
  }
  while (n >= 8) {
    a = AddCarry(a, Load<uint64_t>(p));
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    b = AddCarry(b, Load<uint32_t>(p));
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    b = AddCarry(b, Load<uint16_t>(p));
    p += 2;
    n -= 2;
  }
  // A lone last byte is the first (high-order) byte of a big-endian word, i.e. the byte at the
  // lower address of a host-order word.
  if (n == 1) b = AddCarry(b, std::endian::native == std::endian::little ? p[0] : p[0] << 8);
  uint64_t s = AddCarry(a, b);
  s = (s & 0xffffffff) + (s >> 32);  // at most 33 bits
  s = (s & 0xffff) + (s >> 16);      // at most 18 bits
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

}  // namespace

uint64_t ChecksumAdd(uint64_t sum, std::span<const uint8_t> data, bool odd_offset) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  if (odd_offset && n > 0) {
    sum += *p;  // low byte of a 16-bit word whose high byte came before
    ++p;
    --n;
  }
  const uint16_t native = NativeSum(p, n);
  // Folding commutes with swapping the two bytes of every word (RFC 1071 2(B)).
  return sum + (std::endian::native == std::endian::little
                    ? static_cast<uint16_t>(native << 8 | native >> 8)
                    : native);
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
