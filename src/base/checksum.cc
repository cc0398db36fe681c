// Internet checksum, see checksum.h.
#include "base/checksum.h"

#include "base/checksum_impl.h"

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

// Loads a T at p + i and, when copying, stores it at dst + i.
template <typename T, bool kCopy>
inline T Take(uint8_t* dst, const uint8_t* p, size_t i) {
  T v;
  std::memcpy(&v, p + i, sizeof v);
  if constexpr (kCopy) std::memcpy(dst + i, &v, sizeof v);
  return v;
}

// Ones'-complement sum (64 bits, end-around carry) of the bytes taken as 16-bit words in the
// host's byte order, 8 bytes at a time (RFC 1071 2(B)); copies them to dst with kCopy.
template <bool kCopy>
uint64_t Sum64(uint8_t* dst, const uint8_t* p, size_t n) {
  uint64_t a = 0, b = 0;  // two accumulators: independent carry chains
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a = AddCarry(a, Take<uint64_t, kCopy>(dst, p, i));
    b = AddCarry(b, Take<uint64_t, kCopy>(dst, p, i + 8));
    a = AddCarry(a, Take<uint64_t, kCopy>(dst, p, i + 16));
    b = AddCarry(b, Take<uint64_t, kCopy>(dst, p, i + 24));
  }
  for (; i + 8 <= n; i += 8) a = AddCarry(a, Take<uint64_t, kCopy>(dst, p, i));
  if (i + 4 <= n) {
    b = AddCarry(b, Take<uint32_t, kCopy>(dst, p, i));
    i += 4;
  }
  if (i + 2 <= n) {
    b = AddCarry(b, Take<uint16_t, kCopy>(dst, p, i));
    i += 2;
  }
  // A lone last byte is the first (high-order) byte of a big-endian word, i.e. the byte at the
  // lower address of a host-order word.
  if (i < n) {
    const uint8_t last = Take<uint8_t, kCopy>(dst, p, i);
    b = AddCarry(b, std::endian::native == std::endian::little ? last : last << 8);
  }
  return AddCarry(a, b);
}

uint16_t Fold64(uint64_t s) {
  s = (s & 0xffffffff) + (s >> 32);  // at most 33 bits
  s = (s & 0xffff) + (s >> 16);      // at most 18 bits
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

uint16_t PortableSum(const uint8_t* p, size_t n) { return Fold64(Sum64<false>(nullptr, p, n)); }

uint16_t PortableCopy(uint8_t* dst, const uint8_t* src, size_t n) {
  return Fold64(Sum64<true>(dst, src, n));
}

// Folding commutes with swapping the two bytes of every word (RFC 1071 2(B)): a host-order
// sum becomes a network-order one with one swap.
inline uint64_t ToNetwork(uint16_t native) {
  return std::endian::native == std::endian::little
             ? static_cast<uint16_t>(native << 8 | native >> 8)
             : native;
}

constexpr ChecksumImpl kPortable{"portable", PortableSum, PortableCopy};
#if defined(__x86_64__)
constexpr ChecksumImpl kAvx2{"avx2", ChecksumSumAvx2, ChecksumCopyAvx2};
constexpr ChecksumImpl kAvx512{"avx512bw", ChecksumSumAvx512, ChecksumCopyAvx512};
#endif

// The kernels this CPU runs, portable first. Built once; immutable afterwards.
struct ImplTable {
  ChecksumImpl impls[3];
  size_t count = 0;
  ImplTable() : impls{kPortable, kPortable, kPortable} {
    impls[count++] = kPortable;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) impls[count++] = kAvx2;
    if (__builtin_cpu_supports("avx512bw")) impls[count++] = kAvx512;
#endif
  }
};

const ImplTable& Table() {
  static const ImplTable table;  // one-time dispatch, immutable after init
  return table;
}

// Below this many bytes the portable loop is as fast as the SIMD kernels (their fixed cost,
// ~9 ns, is the lane reductions and the masks; BM_ChecksumKernel) and needs no dispatch.
constexpr size_t kSimdMin = 256;

}  // namespace

uint64_t ChecksumTailSum(const uint8_t* p, size_t n) { return Sum64<false>(nullptr, p, n); }
uint64_t ChecksumTailCopy(uint8_t* dst, const uint8_t* src, size_t n) {
  return Sum64<true>(dst, src, n);
}

const ChecksumImpl& PortableChecksumImpl() { return kPortable; }

std::span<const ChecksumImpl> AvailableChecksumImpls() {
  const ImplTable& t = Table();
  return {t.impls, t.count};
}

const ChecksumImpl& ActiveChecksumImpl() {
  static const ChecksumImpl& active = AvailableChecksumImpls().back();
  return active;
}

uint64_t ChecksumAddWith(const ChecksumImpl& impl, uint64_t sum, std::span<const uint8_t> data,
                         bool odd_offset) {
  const uint8_t* p = data.data();
  size_t n = data.size();
  if (odd_offset && n > 0) {
    sum += *p;  // low byte of a 16-bit word whose high byte came before
    ++p;
    --n;
  }
  return sum + ToNetwork(impl.sum(p, n));
}

uint64_t ChecksumCopyWith(const ChecksumImpl& impl, uint8_t* dst, std::span<const uint8_t> src,
                          uint64_t sum, bool odd_offset) {
  const uint8_t* p = src.data();
  size_t n = src.size();
  if (odd_offset && n > 0) {
    *dst++ = *p;
    sum += *p;  // as in ChecksumAddWith
    ++p;
    --n;
  }
  return sum + ToNetwork(impl.copy(dst, p, n));
}

uint64_t ChecksumAdd(uint64_t sum, std::span<const uint8_t> data, bool odd_offset) {
  if (data.size() < kSimdMin) return ChecksumAddWith(kPortable, sum, data, odd_offset);
  return ChecksumAddWith(ActiveChecksumImpl(), sum, data, odd_offset);
}

uint64_t ChecksumCopy(uint8_t* dst, std::span<const uint8_t> src, uint64_t sum, bool odd_offset) {
  if (src.size() < kSimdMin) return ChecksumCopyWith(kPortable, dst, src, sum, odd_offset);
  return ChecksumCopyWith(ActiveChecksumImpl(), dst, src, sum, odd_offset);
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
