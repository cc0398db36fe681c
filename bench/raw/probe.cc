// Probe frame layout, see probe.h.
#include "probe.h"

#include <algorithm>
#include <cstring>

namespace ustack::rawbench {
namespace {

constexpr size_t kSeqOffset = kEthHeader;
constexpr size_t kTscOffset = kEthHeader + 8;

}  // namespace

bool WriteProbe(std::span<uint8_t> frame, const MacAddr& dst, const MacAddr& src, Probe p) {
  if (frame.size() < kProbeMinFrame) return false;
  std::fill(frame.begin(), frame.end(), uint8_t{0});
  std::memcpy(frame.data(), dst.b.data(), 6);
  std::memcpy(frame.data() + 6, src.b.data(), 6);
  frame[12] = kProbeEtherType >> 8;
  frame[13] = kProbeEtherType & 0xff;
  StampProbe(frame, p);
  return true;
}

void StampProbe(std::span<uint8_t> frame, Probe p) {
  std::memcpy(frame.data() + kSeqOffset, &p.seq, 8);
  std::memcpy(frame.data() + kTscOffset, &p.tsc, 8);
}

std::optional<Probe> ReadProbe(std::span<const uint8_t> frame) {
  if (frame.size() < kProbeMinFrame) return std::nullopt;
  if ((frame[12] << 8 | frame[13]) != kProbeEtherType) return std::nullopt;
  Probe p;
  std::memcpy(&p.seq, frame.data() + kSeqOffset, 8);
  std::memcpy(&p.tsc, frame.data() + kTscOffset, 8);
  return p;
}

bool SwapMacs(std::span<uint8_t> frame) {
  if (frame.size() < 12) return false;
  std::swap_ranges(frame.begin(), frame.begin() + 6, frame.begin() + 6);
  return true;
}

}  // namespace ustack::rawbench
