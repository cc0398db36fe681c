// Ethernet II framing: destination, source, EtherType, optionally one 802.1Q tag. A typed view
// (EthernetView) over received bytes and a value type (EthernetRepr) that parses and emits.
// Invariant: an EthernetView exists only over a span that holds its whole header, so no
// accessor can read out of bounds. Views do not own bytes; the span must outlive the view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "base/addr.h"
#include "base/result.h"

namespace ustack {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q tag
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr size_t kEthernetHeaderLen = 14;
inline constexpr size_t kVlanTagLen = 4;
inline constexpr size_t kEthernetMinFrameLen = 60;  // without the FCS; shorter frames are padded

// Six bytes at p as a MacAddr, and back. Callers guarantee bounds.
MacAddr LoadMac(const uint8_t* p);
void StoreMac(uint8_t* p, const MacAddr& mac);

class EthernetView {
 public:
  // Succeeds when `frame` holds the 14-byte header, and the 4-byte tag when the outer type is
  // 802.1Q.
  static std::optional<EthernetView> Parse(std::span<const uint8_t> frame);

  MacAddr dst() const { return LoadMac(bytes_.data()); }
  MacAddr src() const { return LoadMac(bytes_.data() + 6); }
  // The type field at offset 12: kEtherTypeVlan for a tagged frame.
  uint16_t ethertype() const;
  bool has_vlan() const { return ethertype() == kEtherTypeVlan; }
  uint16_t vlan_tci() const;         // 0 without a tag
  uint16_t inner_ethertype() const;  // the type after the tag; ethertype() without one
  size_t header_len() const {
    return has_vlan() ? kEthernetHeaderLen + kVlanTagLen : kEthernetHeaderLen;
  }
  std::span<const uint8_t> payload() const { return bytes_.subspan(header_len()); }

 private:
  explicit EthernetView(std::span<const uint8_t> b) : bytes_(b) {}
  std::span<const uint8_t> bytes_;
};

struct EthernetRepr {
  MacAddr dst;
  MacAddr src;
  uint16_t ethertype = 0;            // of the payload (inner type when tagged)
  std::optional<uint16_t> vlan_tci;  // when set, an 802.1Q tag is emitted

  // EBADMSG when the frame is too short for its header.
  static Result<EthernetRepr> Parse(std::span<const uint8_t> frame);
  size_t header_len() const {
    return vlan_tci ? kEthernetHeaderLen + kVlanTagLen : kEthernetHeaderLen;
  }
  // Writes the header at the start of `out`; returns bytes written, 0 when out is too short.
  size_t Emit(std::span<uint8_t> out) const;
  bool operator==(const EthernetRepr&) const = default;
};

}  // namespace ustack
