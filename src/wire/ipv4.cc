// IPv4 view and repr, see ipv4.h.
#include "wire/ipv4.h"

#include <cerrno>

#include "base/byte_order.h"
#include "base/checksum.h"

namespace ustack {

std::optional<Ipv4View> Ipv4View::ParseHeader(std::span<const uint8_t> bytes) {
  if (bytes.size() < kIpv4MinHeaderLen) return std::nullopt;
  // RFC 791 3.1: version 4; IHL counts 32-bit words and is at least 5.
  if ((bytes[0] >> 4) != 4) return std::nullopt;
  const size_t ihl = size_t{bytes[0] & 0x0fu} * 4;
  if (ihl < kIpv4MinHeaderLen || ihl > bytes.size()) return std::nullopt;
  if (LoadBe16(bytes.data() + 2) < ihl) return std::nullopt;
  return Ipv4View(bytes.first(ihl));
}

std::optional<Ipv4View> Ipv4View::Parse(std::span<const uint8_t> bytes) {
  auto h = ParseHeader(bytes);
  if (!h) return std::nullopt;
  const size_t total = h->total_length();
  if (total > bytes.size()) return std::nullopt;
  return Ipv4View(bytes.first(total));
}

uint16_t Ipv4View::total_length() const { return LoadBe16(bytes_.data() + 2); }
uint16_t Ipv4View::ident() const { return LoadBe16(bytes_.data() + 4); }
uint16_t Ipv4View::frag_offset() const {
  return static_cast<uint16_t>((LoadBe16(bytes_.data() + 6) & 0x1fff) * 8);
}
uint16_t Ipv4View::checksum() const { return LoadBe16(bytes_.data() + 10); }
Ipv4Addr Ipv4View::src() const { return {LoadBe32(bytes_.data() + 12)}; }
Ipv4Addr Ipv4View::dst() const { return {LoadBe32(bytes_.data() + 16)}; }

bool Ipv4View::checksum_valid() const {
  const auto h = header();
  return (h.size() == kIpv4MinHeaderLen ? InternetChecksum20(h.data()) : InternetChecksum(h)) == 0;
}

Result<Ipv4Repr> Ipv4Repr::Parse(std::span<const uint8_t> bytes, bool verify_checksum) {
  auto v = Ipv4View::Parse(bytes);
  if (!v) return Error{EBADMSG};
  if (verify_checksum && !v->checksum_valid()) return Error{EPROTO};
  Ipv4Repr r;
  r.src = v->src();
  r.dst = v->dst();
  r.protocol = v->protocol();
  r.ttl = v->ttl();
  r.tos = v->tos();
  r.ident = v->ident();
  r.dont_fragment = v->dont_fragment();
  r.more_fragments = v->more_fragments();
  r.frag_offset = v->frag_offset();
  r.payload_len = static_cast<uint16_t>(v->total_length() - v->header_len());
  return r;
}

size_t Ipv4Repr::Emit(std::span<uint8_t> out) const {
  if (out.size() < kIpv4MinHeaderLen || total_len() > kIpv4MaxDatagram) return 0;
  uint8_t* p = out.data();
  p[0] = 0x45;  // version 4, IHL 5
  p[1] = tos;
  StoreBe16(p + 2, static_cast<uint16_t>(total_len()));
  StoreBe16(p + 4, ident);
  uint16_t flags_frag = static_cast<uint16_t>((frag_offset / 8) & 0x1fff);
  if (dont_fragment) flags_frag |= 0x4000;
  if (more_fragments) flags_frag |= 0x2000;
  StoreBe16(p + 6, flags_frag);
  p[8] = ttl;
  p[9] = protocol;
  StoreBe16(p + 10, 0);
  StoreBe32(p + 12, src.v);
  StoreBe32(p + 16, dst.v);
  // RFC 791 3.1: the checksum is the ones' complement of the ones' complement header sum.
  StoreBe16(p + 10, InternetChecksum20(p));
  return kIpv4MinHeaderLen;
}

}  // namespace ustack
