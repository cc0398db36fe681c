// UDP header parse and emit, see udp.h.
#include "wire/udp.h"

#include "base/byte_order.h"

namespace ustack {

std::optional<UdpRepr> UdpRepr::Parse(std::span<const uint8_t> bytes, size_t total) {
  if (bytes.size() < kUdpHeaderLen || total < kUdpHeaderLen) return std::nullopt;
  UdpRepr r;
  r.src_port = LoadBe16(&bytes[0]);
  r.dst_port = LoadBe16(&bytes[2]);
  r.length = LoadBe16(&bytes[4]);
  r.checksum = LoadBe16(&bytes[6]);
  // RFC 768: length covers header and data; it cannot exceed what IP delivered.
  if (r.length < kUdpHeaderLen || r.length > total) return std::nullopt;
  return r;
}

void UdpRepr::Emit(std::span<uint8_t, kUdpHeaderLen> out) const {
  StoreBe16(&out[0], src_port);
  StoreBe16(&out[2], dst_port);
  StoreBe16(&out[4], length);
  StoreBe16(&out[6], checksum);
}

}  // namespace ustack
