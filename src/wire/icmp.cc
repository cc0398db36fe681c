// ICMPv4 view and repr, see icmp.h.
#include "wire/icmp.h"

#include <cerrno>
#include <cstring>

#include "base/byte_order.h"
#include "base/checksum.h"

namespace ustack {

std::optional<IcmpView> IcmpView::Parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < kIcmpHeaderLen) return std::nullopt;
  return IcmpView(bytes);
}

uint16_t IcmpView::checksum() const { return LoadBe16(bytes_.data() + 2); }
uint32_t IcmpView::rest_of_header() const { return LoadBe32(bytes_.data() + 4); }
uint16_t IcmpView::echo_id() const { return LoadBe16(bytes_.data() + 4); }
uint16_t IcmpView::echo_seq() const { return LoadBe16(bytes_.data() + 6); }
uint16_t IcmpView::next_hop_mtu() const { return LoadBe16(bytes_.data() + 6); }
bool IcmpView::checksum_valid() const { return InternetChecksum(bytes_) == 0; }

IcmpRepr IcmpRepr::EchoRequest(uint16_t id, uint16_t seq, std::span<const uint8_t> payload) {
  return {kIcmpEchoRequest, 0, uint32_t{id} << 16 | seq, payload};
}

IcmpRepr IcmpRepr::EchoReply(uint16_t id, uint16_t seq, std::span<const uint8_t> payload) {
  return {kIcmpEchoReply, 0, uint32_t{id} << 16 | seq, payload};
}

IcmpRepr IcmpRepr::DestUnreachable(uint8_t code, std::span<const uint8_t> quoted,
                                   uint16_t next_hop_mtu) {
  // RFC 792: the rest-of-header word is unused (zero); RFC 1191 puts the MTU in its low half.
  return {kIcmpDestUnreachable, code, code == kIcmpCodeFragNeeded ? next_hop_mtu : 0u, quoted};
}

IcmpRepr IcmpRepr::TimeExceeded(uint8_t code, std::span<const uint8_t> quoted) {
  return {kIcmpTimeExceeded, code, 0, quoted};
}

Result<IcmpRepr> IcmpRepr::Parse(std::span<const uint8_t> bytes, bool verify_checksum) {
  auto v = IcmpView::Parse(bytes);
  if (!v) return Error{EBADMSG};
  if (verify_checksum && !v->checksum_valid()) return Error{EPROTO};
  return IcmpRepr{v->type(), v->code(), v->rest_of_header(), v->data()};
}

size_t IcmpRepr::Emit(std::span<uint8_t> out) const {
  const size_t len = length();
  if (out.size() < len) return 0;
  // Move the data first: it may alias the buffer (an echo reply built over its request).
  if (!data.empty() && data.data() != out.data() + kIcmpHeaderLen) {
    std::memmove(out.data() + kIcmpHeaderLen, data.data(), data.size());
  }
  uint8_t* p = out.data();
  p[0] = type;
  p[1] = code;
  StoreBe16(p + 2, 0);
  StoreBe32(p + 4, rest);
  // RFC 792: the checksum is the 16-bit ones' complement of the ones' complement sum of the
  // ICMP message starting with the ICMP type.
  StoreBe16(p + 2, InternetChecksum(out.first(len)));
  return len;
}

}  // namespace ustack
