// The kernels behind ChecksumAdd and ChecksumCopy (checksum.h), exposed so that tests and
// benchmarks can run each one the machine supports. Protocol code uses checksum.h only.
//
// A kernel sums the bytes [p, p + n) as 16-bit words in the host's byte order, paired from p
// (a lone last byte is the byte at the lower address of a host-order word), with end-around
// carry, and returns the sum folded to 16 bits. The copying kernel also copies the bytes to
// dst in the same pass; dst and src must not overlap.
// RFC 1071 2(B): the sum is byte-order independent, so the callers swap the folded result
// once. RFC 1071 2(C): the kernels add without carries and fold once per block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace ustack {

struct ChecksumImpl {
  const char* name;
  uint16_t (*sum)(const uint8_t* p, size_t n);
  uint16_t (*copy)(uint8_t* dst, const uint8_t* src, size_t n);
};

// The portable kernel (any CPU).
const ChecksumImpl& PortableChecksumImpl();

// Every kernel this CPU can run, the portable one first, the fastest last.
std::span<const ChecksumImpl> AvailableChecksumImpls();

// The kernel ChecksumAdd and ChecksumCopy use for long inputs: chosen once, at first use,
// from the CPU's features (the last of AvailableChecksumImpls()); never changes afterwards.
const ChecksumImpl& ActiveChecksumImpl();

// ChecksumAdd and ChecksumCopy (checksum.h) with a given kernel for every length.
uint64_t ChecksumAddWith(const ChecksumImpl& impl, uint64_t sum, std::span<const uint8_t> data,
                         bool odd_offset);
uint64_t ChecksumCopyWith(const ChecksumImpl& impl, uint8_t* dst, std::span<const uint8_t> src,
                          uint64_t sum, bool odd_offset);

#if defined(__x86_64__)
// x86-64 kernels (checksum_x86.cc); callers must check the CPU supports them.
uint16_t ChecksumSumAvx2(const uint8_t* p, size_t n);
uint16_t ChecksumCopyAvx2(uint8_t* dst, const uint8_t* src, size_t n);
uint16_t ChecksumSumAvx512(const uint8_t* p, size_t n);
uint16_t ChecksumCopyAvx512(uint8_t* dst, const uint8_t* src, size_t n);
#endif

// The portable kernels' loop for short tails, shared with the SIMD kernels: the sum (not
// folded) of [p, p + n) as above, and the same while copying to dst.
uint64_t ChecksumTailSum(const uint8_t* p, size_t n);
uint64_t ChecksumTailCopy(uint8_t* dst, const uint8_t* src, size_t n);

}  // namespace ustack
