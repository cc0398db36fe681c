// x86-64 checksum kernels (see checksum_impl.h): AVX2 and AVX-512BW, compiled for those
// instruction sets function by function (the rest of the build targets generic x86-64) and
// chosen at run time by checksum.cc from the CPU's features.
//
// Each 16-bit word w is biased to w - 32768 (xor 0x8000, read as signed), and vpmaddwd with
// ones adds adjacent biased words into signed 32-bit lanes: one instruction for what would
// otherwise be a widening unpack and two adds. RFC 1071 2(C): no carries are propagated in
// the loop; the lanes are summed in 64 bits once per block and the bias (32768 per word) added
// back before the one fold at the end.
#if defined(__x86_64__)

// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which -Wmaybe-uninitialized
// reports once inlined (a false positive: every lane is then written).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <algorithm>
#include <cstdint>

#include "base/checksum.h"
#include "base/checksum_impl.h"

namespace ustack {
namespace {

// Bytes summed between reductions of the 32-bit lanes. A lane gains at most 65536 in
// magnitude per vector added to it; with the four accumulators merged, a lane holds at most
// kBlock / 32 vectors' worth (AVX2: 8192 * 65536 = 2^29), far from 2^31.
constexpr size_t kBlock = 256 * 1024;

// total + tail with end-around carry, folded.
uint16_t Finish(uint64_t total, uint64_t tail) {
  uint64_t s;
  const bool carry = __builtin_add_overflow(total, tail, &s);
  return ChecksumFold(s + carry);
}

// ---- AVX2 ----

__attribute__((target("avx2"))) inline __m256i Pairs256(__m256i v) {
  const __m256i biased = _mm256_xor_si256(v, _mm256_set1_epi16(INT16_MIN));
  return _mm256_madd_epi16(biased, _mm256_set1_epi16(1));
}

// The signed sum of the eight 32-bit lanes.
__attribute__((target("avx2"))) inline int64_t Lanes256(__m256i v) {
  const __m256i lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v));
  const __m256i hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256(v, 1));
  const __m256i s = _mm256_add_epi64(lo, hi);
  const __m128i t = _mm_add_epi64(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  return _mm_cvtsi128_si64(t) + _mm_extract_epi64(t, 1);
}

// Summing: p + i is 32-byte aligned. Copying: dst + i is (split stores cost more than split
// loads).
template <bool kCopy>
__attribute__((target("avx2"))) inline __m256i Load256(uint8_t* dst, const uint8_t* p, size_t i) {
  const auto* src = reinterpret_cast<const __m256i*>(p + i);
  if constexpr (!kCopy) return _mm256_load_si256(src);
  const __m256i v = _mm256_loadu_si256(src);
  _mm256_store_si256(reinterpret_cast<__m256i*>(dst + i), v);
  return v;
}

// Whole 32-byte vectors with AVX2 (aligned as Load256 needs), the last 0..31 bytes with the
// portable loop.
template <bool kCopy>
__attribute__((target("avx2"))) uint16_t Avx2Aligned(uint8_t* dst, const uint8_t* p, size_t n) {
  const size_t vec_bytes = n & ~size_t{31};
  int64_t biased = 0;  // sum of (w - 32768) over the words of whole vectors
  for (size_t start = 0; start < vec_bytes; start += kBlock) {
    const size_t end = std::min(vec_bytes, start + kBlock);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    size_t i = start;
    for (; i + 128 <= end; i += 128) {
      a0 = _mm256_add_epi32(a0, Pairs256(Load256<kCopy>(dst, p, i)));
      a1 = _mm256_add_epi32(a1, Pairs256(Load256<kCopy>(dst, p, i + 32)));
      a2 = _mm256_add_epi32(a2, Pairs256(Load256<kCopy>(dst, p, i + 64)));
      a3 = _mm256_add_epi32(a3, Pairs256(Load256<kCopy>(dst, p, i + 96)));
    }
    for (; i < end; i += 32) a0 = _mm256_add_epi32(a0, Pairs256(Load256<kCopy>(dst, p, i)));
    biased += Lanes256(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)));
  }
  const auto total = static_cast<uint64_t>(biased + static_cast<int64_t>(vec_bytes / 2) * 32768);
  const uint64_t tail = kCopy ? ChecksumTailCopy(dst + vec_bytes, p + vec_bytes, n - vec_bytes)
                              : ChecksumTailSum(p + vec_bytes, n - vec_bytes);
  return Finish(total, tail);
}

// The first 0..31 bytes with the portable loop, up to the alignment Load256 needs. When that
// is an odd number of bytes the rest's words are paired one byte off from the data's own, and
// RFC 1071 2(B) makes its correct sum the byte swap of the folded one.
template <bool kCopy>
__attribute__((target("avx2"))) uint16_t Avx2(uint8_t* dst, const uint8_t* p, size_t n) {
  const uintptr_t aligned_base = reinterpret_cast<uintptr_t>(kCopy ? dst : p);
  const size_t head = std::min(n, static_cast<size_t>(-aligned_base & 31));
  const uint64_t head_sum = kCopy ? ChecksumTailCopy(dst, p, head) : ChecksumTailSum(p, head);
  const uint16_t rest = Avx2Aligned<kCopy>(kCopy ? dst + head : nullptr, p + head, n - head);
  return Finish(head_sum, head % 2 == 0 ? rest : static_cast<uint16_t>(rest << 8 | rest >> 8));
}

// ---- AVX-512BW ----

__attribute__((target("avx512bw"))) inline __m512i Pairs512(__m512i v) {
  const __m512i biased = _mm512_xor_si512(v, _mm512_set1_epi16(INT16_MIN));
  return _mm512_madd_epi16(biased, _mm512_set1_epi16(1));
}

// The signed sum of the sixteen 32-bit lanes.
__attribute__((target("avx512bw"))) inline int64_t Lanes512(__m512i v) {
  return _mm512_reduce_add_epi64(_mm512_cvtepi32_epi64(_mm512_castsi512_si256(v))) +
         _mm512_reduce_add_epi64(_mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64(v, 1)));
}

// Summing: a + i is 64-byte aligned. Copying: dst + i is (split stores cost more than split
// loads).
template <bool kCopy>
__attribute__((target("avx512bw"))) inline __m512i Load512(uint8_t* dst, const uint8_t* a,
                                                           size_t i) {
  if constexpr (!kCopy) return _mm512_load_si512(a + i);
  const __m512i v = _mm512_loadu_si512(a + i);
  _mm512_store_si512(dst + i, v);
  return v;
}

// A vector of only the bytes in `mask` (the others read as zero, and neither read nor
// written: masked loads and stores do not fault on masked-out bytes).
template <bool kCopy>
__attribute__((target("avx512bw"))) inline __m512i Masked512(uint8_t* dst, const uint8_t* a,
                                                             size_t i, __mmask64 mask) {
  const __m512i v = _mm512_maskz_loadu_epi8(mask, a + i);
  if constexpr (kCopy) _mm512_mask_storeu_epi8(dst + i, mask, v);
  return v;
}

// Every load (summing) or store (copying) 64-byte aligned: the first and last vectors are
// loaded and stored under a mask. The words are then paired from the aligned address; when
// that is an odd number of bytes before the data, the pairing is one byte off from the data's
// own, and RFC 1071 2(B) makes the correct sum the byte swap of the folded one.
template <bool kCopy>
__attribute__((target("avx512bw"))) uint16_t Avx512(uint8_t* dst, const uint8_t* p, size_t n) {
  if (n == 0) return 0;
  const size_t mis = reinterpret_cast<uintptr_t>(kCopy ? dst : p) & 63;
  const auto* a = reinterpret_cast<const uint8_t*>(reinterpret_cast<uintptr_t>(p) - mis);
  auto* d = reinterpret_cast<uint8_t*>(reinterpret_cast<uintptr_t>(dst) - mis);
  const size_t end = n + mis;  // bytes from a
  const size_t vectors = (end + 63) / 64;
  const __mmask64 last_mask = end % 64 == 0 ? ~__mmask64{0} : (__mmask64{1} << (end % 64)) - 1;
  __mmask64 first_mask = ~__mmask64{0} << mis;
  if (vectors == 1) first_mask &= last_mask;
  __m512i a0 = Pairs512(Masked512<kCopy>(d, a, 0, first_mask));
  __m512i a1 = _mm512_setzero_si512(), a2 = a1, a3 = a1;
  int64_t biased = 0;                          // sum of (w - 32768) over the words of every vector
  const size_t full_end = (vectors - 1) * 64;  // the last vector is masked
  for (size_t start = 64; start < full_end; start += kBlock) {
    const size_t stop = std::min(full_end, start + kBlock);
    size_t i = start;
    for (; i + 256 <= stop; i += 256) {
      a0 = _mm512_add_epi32(a0, Pairs512(Load512<kCopy>(d, a, i)));
      a1 = _mm512_add_epi32(a1, Pairs512(Load512<kCopy>(d, a, i + 64)));
      a2 = _mm512_add_epi32(a2, Pairs512(Load512<kCopy>(d, a, i + 128)));
      a3 = _mm512_add_epi32(a3, Pairs512(Load512<kCopy>(d, a, i + 192)));
    }
    for (; i < stop; i += 64) a0 = _mm512_add_epi32(a0, Pairs512(Load512<kCopy>(d, a, i)));
    const __m512i s = _mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3));
    biased += Lanes512(s);
    a0 = a1 = a2 = a3 = _mm512_setzero_si512();
  }
  if (vectors > 1) a0 = _mm512_add_epi32(a0, Pairs512(Masked512<kCopy>(d, a, full_end, last_mask)));
  biased += Lanes512(a0);
  const auto total = static_cast<uint64_t>(biased + static_cast<int64_t>(vectors * 32) * 32768);
  const uint16_t sum = ChecksumFold(total);
  return mis % 2 == 0 ? sum : static_cast<uint16_t>(sum << 8 | sum >> 8);
}

}  // namespace

uint16_t ChecksumSumAvx2(const uint8_t* p, size_t n) { return Avx2<false>(nullptr, p, n); }
uint16_t ChecksumCopyAvx2(uint8_t* dst, const uint8_t* src, size_t n) {
  return Avx2<true>(dst, src, n);
}
uint16_t ChecksumSumAvx512(const uint8_t* p, size_t n) { return Avx512<false>(nullptr, p, n); }
uint16_t ChecksumCopyAvx512(uint8_t* dst, const uint8_t* src, size_t n) {
  return Avx512<true>(dst, src, n);
}

}  // namespace ustack

#endif  // __x86_64__
