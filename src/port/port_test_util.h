// Port test helpers (tests only): Ethernet frames that carry a 32-bit id in their first
// payload bytes, and reading a packet's bytes back.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/addr.h"
#include "buf/packet.h"

namespace ustack::porttest {

// A frame from `src` to `dst` of `len` bytes (shorter than a header: a runt) carrying `id`.
inline std::vector<uint8_t> TestFrame(const MacAddr& dst, const MacAddr& src, uint32_t id,
                                      size_t len = 100) {
  std::vector<uint8_t> f(std::max<size_t>(len, 18));
  std::copy(dst.b.begin(), dst.b.end(), f.begin());
  std::copy(src.b.begin(), src.b.end(), f.begin() + 6);
  f[12] = 0x88;  // a local experimental EtherType
  f[13] = 0xb5;
  for (size_t i = 14; i < f.size(); ++i) f[i] = static_cast<uint8_t>(i * 7 + id);
  f[14] = static_cast<uint8_t>(id >> 24);
  f[15] = static_cast<uint8_t>(id >> 16);
  f[16] = static_cast<uint8_t>(id >> 8);
  f[17] = static_cast<uint8_t>(id);
  f.resize(len);
  return f;
}

inline std::vector<uint8_t> Contents(const Packet& p) {
  std::vector<uint8_t> v(p.length());
  p.CopyOut(0, v);
  return v;
}

inline uint32_t IdOf(const std::vector<uint8_t>& f) {
  return uint32_t{f[14]} << 24 | uint32_t{f[15]} << 16 | uint32_t{f[16]} << 8 | f[17];
}

}  // namespace ustack::porttest
