// Link and network addresses as small value types. Ipv4Addr holds the address in host order
// so that comparisons and masks are plain integer operations; wire/ converts at the edge.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ustack {

struct MacAddr {
  std::array<uint8_t, 6> b{};

  static constexpr MacAddr Broadcast() { return {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}; }
  constexpr bool IsBroadcast() const { return *this == Broadcast(); }
  constexpr bool IsMulticast() const { return (b[0] & 1) != 0; }
  constexpr bool IsZero() const { return *this == MacAddr{}; }
  constexpr bool operator==(const MacAddr&) const = default;
  std::string ToString() const;
};

struct Ipv4Addr {
  uint32_t v = 0;  // host order: 10.0.0.1 is 0x0a000001

  static constexpr Ipv4Addr Any() { return {0}; }
  static constexpr Ipv4Addr Broadcast() { return {0xffffffffu}; }
  static constexpr Ipv4Addr Of(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return {uint32_t{a} << 24 | uint32_t{b} << 16 | uint32_t{c} << 8 | d};
  }
  // Dotted quad; nullopt for anything else.
  static std::optional<Ipv4Addr> Parse(std::string_view s);

  constexpr bool IsAny() const { return v == 0; }
  constexpr bool IsBroadcast() const { return v == 0xffffffffu; }
  constexpr bool IsMulticast() const { return (v >> 28) == 0xe; }
  constexpr bool IsLoopback() const { return (v >> 24) == 127; }
  constexpr bool operator==(const Ipv4Addr&) const = default;
  constexpr auto operator<=>(const Ipv4Addr&) const = default;
  std::string ToString() const;
};

}  // namespace ustack
