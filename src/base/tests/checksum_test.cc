// Every checksum kernel this CPU runs (portable, AVX2, AVX-512BW; checksum_impl.h), and the
// dispatching ChecksumAdd / ChecksumCopy, against a byte-at-a-time RFC 1071 reference: every
// length 0..2048 at every start alignment mod 64 and both odd_offset values, then random large
// buffers (seed printed; USTACK_CHECKSUM_SEED=<n> replays one).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "base/checksum.h"
#include "base/checksum_impl.h"
#include "base/random.h"
#include "base/test_seed.h"

namespace ustack {
namespace {

// RFC 1071 section 1: big-endian 16-bit words summed as integers; byte i of the checksummed
// whole is the high byte of a word when i is even. `odd` puts data[0] at an odd position.
uint64_t ReferenceSum(const uint8_t* d, size_t n, bool odd) {
  uint64_t s = 0;
  for (size_t i = 0; i < n; ++i) s += (i + odd) % 2 == 0 ? uint64_t{d[i]} << 8 : d[i];
  return s;
}

// Folds like ChecksumFold, for the reference (0 only for a zero sum).
uint16_t RefFold(uint64_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

enum class Fill { kRandom, kOnes, kZeros };

void FillBytes(std::vector<uint8_t>& buf, Fill fill, Random& r) {
  for (auto& x : buf) {
    x = fill == Fill::kRandom ? static_cast<uint8_t>(r.Next32()) : fill == Fill::kOnes ? 0xff : 0;
  }
}

constexpr size_t kMaxLen = 2048;
constexpr size_t kAligns = 64;          // every start address mod the widest vector
constexpr uint64_t kCarryIn = 0x1fffe;  // a running sum carried in from before

// Every length 0..kMaxLen at every alignment, both odd_offset values, random bytes, all-0xff
// (the most carries; the largest vector lanes) and all zeros (the sum must stay 0, not
// become 0xffff; the most negative biased lanes). The reference is kept incrementally.
void ExhaustiveSum(const ChecksumImpl& impl) {
  Random r(1);
  std::vector<uint8_t> buf(kMaxLen + kAligns);
  for (Fill fill : {Fill::kRandom, Fill::kOnes, Fill::kZeros}) {
    FillBytes(buf, fill, r);
    for (size_t align = 0; align < kAligns; ++align) {
      const uint8_t* d = buf.data() + align;
      for (bool odd : {false, true}) {
        uint64_t ref = 0;
        for (size_t len = 0; len <= kMaxLen; ++len) {
          if (len > 0) ref += (len - 1 + odd) % 2 == 0 ? uint64_t{d[len - 1]} << 8 : d[len - 1];
          const uint64_t got = ChecksumAddWith(impl, 0, {d, len}, odd);
          ASSERT_EQ(ChecksumFold(got), RefFold(ref))
              << impl.name << " fill " << int(fill) << " align " << align << " odd " << odd
              << " len " << len;
          const uint64_t carried = ChecksumAddWith(impl, kCarryIn, {d, len}, odd);
          ASSERT_EQ(ChecksumFold(carried), RefFold(ref + kCarryIn))
              << impl.name << " carry-in, fill " << int(fill) << " align " << align << " odd "
              << odd << " len " << len;
        }
      }
    }
  }
}

// As ExhaustiveSum for the copying kernel; also checks the copy and that no byte outside
// dst[0, len) was written (guards before and after), with the destination at alignments
// that differ from the source's.
void ExhaustiveCopy(const ChecksumImpl& impl) {
  Random r(2);
  std::vector<uint8_t> src(kMaxLen + kAligns);
  std::vector<uint8_t> dst(kMaxLen + 3 * kAligns);
  constexpr uint8_t kGuard = 0xa5;
  for (Fill fill : {Fill::kRandom, Fill::kOnes, Fill::kZeros}) {
    FillBytes(src, fill, r);
    for (size_t align = 0; align < kAligns; ++align) {
      const uint8_t* s = src.data() + align;
      for (bool odd : {false, true}) {
        uint64_t ref = 0;
        for (size_t len = 0; len <= kMaxLen; ++len) {
          if (len > 0) ref += (len - 1 + odd) % 2 == 0 ? uint64_t{s[len - 1]} << 8 : s[len - 1];
          const size_t dst_align = kAligns + (align * 5 + len * 13 + odd) % kAligns;
          // Guards: the 64 bytes either side (a vector store could reach no further).
          uint8_t* d = dst.data() + dst_align;
          std::fill(d - kAligns, d + len + kAligns, kGuard);
          const uint64_t got = ChecksumCopyWith(impl, d, {s, len}, kCarryIn, odd);
          const auto where = [&] {
            return std::string(impl.name) + " fill " + std::to_string(int(fill)) + " align " +
                   std::to_string(align) + " dst_align " + std::to_string(dst_align % kAligns) +
                   " odd " + std::to_string(odd) + " len " + std::to_string(len);
          };
          ASSERT_EQ(ChecksumFold(got), RefFold(ref + kCarryIn)) << where();
          ASSERT_TRUE(std::equal(s, s + len, d)) << where();
          const auto guard = [](uint8_t x) { return x == kGuard; };
          ASSERT_TRUE(std::all_of(d - kAligns, d, guard)) << where();
          ASSERT_TRUE(std::all_of(d + len, d + len + kAligns, guard)) << where();
        }
      }
    }
  }
}

// Random buffers up to 700 KB (several of the kernels' 256 KiB blocks), random alignment and
// odd_offset, summed (and copied) in random pieces chained as Packet::ChecksumSum does.
void RandomLarge(const ChecksumImpl& impl, uint64_t seed) {
  Random r(seed);
  for (int trial = 0; trial < 12; ++trial) {
    const size_t len = r.Below(700 * 1024);
    const size_t align = r.Below(kAligns);
    std::vector<uint8_t> src(len + align);
    const Fill fill = trial == 0 ? Fill::kOnes : trial == 1 ? Fill::kZeros : Fill::kRandom;
    FillBytes(src, fill, r);
    const uint8_t* s = src.data() + align;
    const bool odd = r.Chance(0.5);
    const uint64_t ref = ReferenceSum(s, len, odd);
    std::vector<uint8_t> dst(len + 1);
    uint8_t* d = dst.data() + r.Below(2);
    uint64_t sum = 0, copy_sum = 0;
    for (size_t done = 0; done < len;) {
      const size_t piece = std::min<size_t>(len - done, 1 + r.Below(len / 2 + 1));
      const bool piece_odd = (done + odd) % 2 == 1;
      sum = ChecksumAddWith(impl, sum, {s + done, piece}, piece_odd);
      copy_sum = ChecksumCopyWith(impl, d + done, {s + done, piece}, copy_sum, piece_odd);
      done += piece;
    }
    const std::string where = std::string(impl.name) + " seed " + std::to_string(seed) + " trial " +
                              std::to_string(trial) + " len " + std::to_string(len);
    ASSERT_EQ(ChecksumFold(sum), RefFold(ref)) << where;
    ASSERT_EQ(ChecksumFold(copy_sum), RefFold(ref)) << where;
    ASSERT_TRUE(std::equal(s, s + len, d)) << where;
  }
}

TEST(ChecksumKernels, PortableIsAlwaysAvailableAndActiveIsTheLast) {
  const auto impls = AvailableChecksumImpls();
  ASSERT_FALSE(impls.empty());
  EXPECT_EQ(impls.front().sum, PortableChecksumImpl().sum);
  EXPECT_EQ(ActiveChecksumImpl().sum, impls.back().sum);
  std::string names;
  for (const auto& impl : impls) names += std::string(" ") + impl.name;
  std::printf("checksum kernels on this CPU:%s (active: %s)\n", names.c_str(),
              ActiveChecksumImpl().name);
#if defined(__x86_64__)
  // The machine's features must show up: a kernel silently dropped would go untested.
  if (__builtin_cpu_supports("avx2")) {
    EXPECT_NE(names.find("avx2"), std::string::npos);
  }
  if (__builtin_cpu_supports("avx512bw")) {
    EXPECT_NE(names.find("avx512bw"), std::string::npos);
  }
#endif
}

TEST(ChecksumKernels, SumMatchesReferenceForEveryLengthAlignmentAndOddOffset) {
  for (const auto& impl : AvailableChecksumImpls()) {
    SCOPED_TRACE(impl.name);
    ExhaustiveSum(impl);
  }
}

TEST(ChecksumKernels, CopyMatchesReferenceAndWritesOnlyDst) {
  for (const auto& impl : AvailableChecksumImpls()) {
    SCOPED_TRACE(impl.name);
    ExhaustiveCopy(impl);
  }
}

TEST(ChecksumKernels, RandomLargeBuffersInChainedPieces) {
  const uint64_t seed = TestSeed("RandomLarge", "USTACK_CHECKSUM_SEED",
                                 (uint64_t{std::random_device{}()} << 32) | std::random_device{}());
  for (const auto& impl : AvailableChecksumImpls()) RandomLarge(impl, seed);
}

// The public entry points (portable below 256 bytes, the active kernel above) agree with the
// reference across the switch-over and with an odd running offset.
TEST(ChecksumKernels, DispatchingEntryPointsMatchReference) {
  Random r(3);
  std::vector<uint8_t> src(600);
  FillBytes(src, Fill::kRandom, r);
  std::vector<uint8_t> dst(600);
  for (size_t align = 0; align < 8; ++align) {
    for (size_t len = 0; len + align <= src.size(); ++len) {
      for (bool odd : {false, true}) {
        const uint8_t* s = src.data() + align;
        const uint16_t ref = RefFold(ReferenceSum(s, len, odd) + 7);
        ASSERT_EQ(ChecksumFold(ChecksumAdd(7, {s, len}, odd)), ref) << len << " " << odd;
        ASSERT_EQ(ChecksumFold(ChecksumCopy(dst.data() + 1, {s, len}, 7, odd)), ref)
            << len << " " << odd;
        ASSERT_TRUE(std::equal(s, s + len, dst.data() + 1));
      }
    }
  }
}

}  // namespace
}  // namespace ustack
