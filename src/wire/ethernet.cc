// Ethernet II view and repr, see ethernet.h.
#include "wire/ethernet.h"

#include <cerrno>
#include <cstring>

#include "base/byte_order.h"

namespace ustack {

MacAddr LoadMac(const uint8_t* p) {
  MacAddr m;
  std::memcpy(m.b.data(), p, 6);
  return m;
}

void StoreMac(uint8_t* p, const MacAddr& mac) { std::memcpy(p, mac.b.data(), 6); }

std::optional<EthernetView> EthernetView::Parse(std::span<const uint8_t> frame) {
  if (frame.size() < kEthernetHeaderLen) return std::nullopt;
  if (LoadBe16(frame.data() + 12) == kEtherTypeVlan &&
      frame.size() < kEthernetHeaderLen + kVlanTagLen) {
    return std::nullopt;
  }
  return EthernetView(frame);
}

uint16_t EthernetView::ethertype() const { return LoadBe16(bytes_.data() + 12); }

uint16_t EthernetView::vlan_tci() const { return has_vlan() ? LoadBe16(bytes_.data() + 14) : 0; }

uint16_t EthernetView::inner_ethertype() const {
  return has_vlan() ? LoadBe16(bytes_.data() + 16) : ethertype();
}

Result<EthernetRepr> EthernetRepr::Parse(std::span<const uint8_t> frame) {
  auto v = EthernetView::Parse(frame);
  if (!v) return Error{EBADMSG};
  EthernetRepr r;
  r.dst = v->dst();
  r.src = v->src();
  r.ethertype = v->inner_ethertype();
  if (v->has_vlan()) r.vlan_tci = v->vlan_tci();
  return r;
}

size_t EthernetRepr::Emit(std::span<uint8_t> out) const {
  const size_t len = header_len();
  if (out.size() < len) return 0;
  StoreMac(out.data(), dst);
  StoreMac(out.data() + 6, src);
  if (vlan_tci) {
    StoreBe16(out.data() + 12, kEtherTypeVlan);
    StoreBe16(out.data() + 14, *vlan_tci);
    StoreBe16(out.data() + 16, ethertype);
  } else {
    StoreBe16(out.data() + 12, ethertype);
  }
  return len;
}

}  // namespace ustack
