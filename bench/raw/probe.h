// Probe frames of the raw ping-pong (ustack-raw-pingpong): an Ethernet header with the IEEE
// 802 local experimental ethertype 0x88B5, then the probe's sequence number and the sender's
// TSC at transmission, both in host byte order (only the sender reads them back). The rest
// of the frame is zeros. The reflector swaps the MAC addresses and touches nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/addr.h"

namespace ustack::rawbench {

inline constexpr uint16_t kProbeEtherType = 0x88B5;
inline constexpr size_t kEthHeader = 14;
inline constexpr size_t kProbeMinFrame = kEthHeader + 16;  // header, sequence, TSC

struct Probe {
  uint64_t seq = 0;
  uint64_t tsc = 0;
};

// Writes a whole probe frame into `frame` (at least kProbeMinFrame bytes); false if short.
bool WriteProbe(std::span<uint8_t> frame, const MacAddr& dst, const MacAddr& src, Probe p);
// Rewrites the sequence number and TSC of a frame already holding a probe.
void StampProbe(std::span<uint8_t> frame, Probe p);
// The probe carried by `frame`; nullopt for a short frame or another ethertype.
std::optional<Probe> ReadProbe(std::span<const uint8_t> frame);
// Exchanges destination and source MAC addresses; false if the frame is shorter than both.
bool SwapMacs(std::span<uint8_t> frame);

}  // namespace ustack::rawbench
