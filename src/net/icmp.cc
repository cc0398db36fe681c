// ICMPv4 in the network layer (RFC 792, RFC 1122 3.2.2): echo replies and the destination
// unreachable errors generated for undeliverable datagrams. Other messages are counted and
// dropped for now.
#include <utility>

#include "base/byte_order.h"
#include "base/checksum.h"
#include "net/interface_impl.h"
#include "wire/icmp.h"

namespace ustack {

void NetInterface::Impl::IcmpInput(Packet pkt, const Ipv4Info& info, Instant now) {
  ++counters.icmp_in;
  const uint32_t len = pkt.length();
  if (len < kIcmpHeaderLen || !pkt.MakeContiguous(kIcmpHeaderLen)) {
    ++counters.drop_icmp_malformed;
    return;
  }
  // RFC 792: the checksum covers the whole ICMP message; a bad one is dropped.
  if (ChecksumFinish(pkt.ChecksumSum(0, len)) != 0) {
    ++counters.drop_icmp_malformed;
    return;
  }
  auto v = IcmpView::Parse(pkt.head());
  if (!v || v->type() != kIcmpEchoRequest) return;  // counted in icmp_in; nothing else yet
  // RFC 1122 3.2.2.6: an echo request to a broadcast address MAY be silently discarded.
  if (info.dst_broadcast) return;
  // RFC 792 / RFC 1122 3.2.2.6: the reply carries the request's identifier, sequence number
  // and data unchanged. Rewrite type and code in place and patch the checksum (RFC 1624).
  uint8_t* p = pkt.head().data();
  const uint16_t old_word = LoadBe16(p);
  p[0] = kIcmpEchoReply;
  p[1] = 0;
  StoreBe16(p + 2, ChecksumUpdate16(LoadBe16(p + 2), old_word, LoadBe16(p)));
  Ipv4SendOptions opts;
  opts.ttl = cfg.default_ttl;
  opts.tos = info.tos;
  opts.dont_fragment = false;  // a large (reassembled) request gets a fragmented reply
  // RFC 1122 3.2.2.6: the reply's source is the address the request was sent to.
  if (SendIpv4(std::move(pkt), info.dst, info.src, kIpProtoIcmp, opts, now)) {
    ++counters.icmp_echo_replies;
  }
}

void NetInterface::Impl::SendIcmpError(uint8_t type, uint8_t code, const IcmpQuote& quote,
                                       Ipv4Addr to, Instant now) {
  Packet p = AllocTx();
  const size_t len = kIcmpHeaderLen + quote.len;
  uint8_t* b = p ? p.Append(static_cast<uint16_t>(len)) : nullptr;
  if (!b) {
    ++counters.drop_ip_no_buffer;
    return;
  }
  // RFC 792: the error quotes the offending datagram's IP header and first 64 data bits.
  IcmpRepr{type, code, 0, quote.span()}.Emit({b, len});
  Ipv4SendOptions opts;
  opts.ttl = cfg.default_ttl;
  opts.dont_fragment = false;
  if (SendIpv4(std::move(p), cfg.addr, to, kIpProtoIcmp, opts, now)) {
    ++counters.icmp_unreachable_out;
  }
}

}  // namespace ustack
