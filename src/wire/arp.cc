// ARP view and repr, see arp.h.
#include "wire/arp.h"

#include <cerrno>

#include "base/byte_order.h"
#include "wire/ethernet.h"

namespace ustack {

std::optional<ArpView> ArpView::Parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < kArpPacketLen) return std::nullopt;
  return ArpView(bytes.first(kArpPacketLen));
}

uint16_t ArpView::hardware_type() const { return LoadBe16(bytes_.data()); }
uint16_t ArpView::protocol_type() const { return LoadBe16(bytes_.data() + 2); }
uint16_t ArpView::op() const { return LoadBe16(bytes_.data() + 6); }
MacAddr ArpView::sender_mac() const { return LoadMac(bytes_.data() + 8); }
Ipv4Addr ArpView::sender_ip() const { return {LoadBe32(bytes_.data() + 14)}; }
MacAddr ArpView::target_mac() const { return LoadMac(bytes_.data() + 18); }
Ipv4Addr ArpView::target_ip() const { return {LoadBe32(bytes_.data() + 24)}; }

bool ArpView::is_ethernet_ipv4() const {
  // RFC 826: ar$hrd = 1 (Ethernet), ar$pro = the EtherType of IPv4, ar$hln = 6, ar$pln = 4.
  return hardware_type() == kArpHardwareEthernet && protocol_type() == kEtherTypeIpv4 &&
         hardware_len() == 6 && protocol_len() == 4;
}

Result<ArpRepr> ArpRepr::Parse(std::span<const uint8_t> bytes) {
  auto v = ArpView::Parse(bytes);
  if (!v || !v->is_ethernet_ipv4()) return Error{EBADMSG};
  const uint16_t op = v->op();
  if (op != static_cast<uint16_t>(ArpOp::kRequest) && op != static_cast<uint16_t>(ArpOp::kReply)) {
    return Error{EOPNOTSUPP};
  }
  ArpRepr r;
  r.op = static_cast<ArpOp>(op);
  r.sender_mac = v->sender_mac();
  r.sender_ip = v->sender_ip();
  r.target_mac = v->target_mac();
  r.target_ip = v->target_ip();
  return r;
}

size_t ArpRepr::Emit(std::span<uint8_t> out) const {
  if (out.size() < kArpPacketLen) return 0;
  uint8_t* p = out.data();
  StoreBe16(p, kArpHardwareEthernet);
  StoreBe16(p + 2, kEtherTypeIpv4);
  p[4] = 6;
  p[5] = 4;
  StoreBe16(p + 6, static_cast<uint16_t>(op));
  StoreMac(p + 8, sender_mac);
  StoreBe32(p + 14, sender_ip.v);
  StoreMac(p + 18, target_mac);
  StoreBe32(p + 24, target_ip.v);
  return kArpPacketLen;
}

}  // namespace ustack
