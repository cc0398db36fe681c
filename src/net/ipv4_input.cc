// IPv4 input (RFC 791, RFC 1122 3.2.1): validation, address filtering, reassembly hand-off,
// dispatch to transports and the ICMP errors that dispatch can provoke.
#include <algorithm>
#include <utility>

#include "net/interface_impl.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

namespace ustack {

void NetInterface::Impl::Ipv4Input(Packet pkt, bool link_broadcast, Instant now) {
  ++counters.ip_in;
  if (!pkt.MakeContiguous(kIpv4MinHeaderLen)) {
    ++counters.drop_ip_malformed;  // truncated
    return;
  }
  const size_t ihl = size_t{pkt.head()[0] & 0x0fu} * 4;
  std::optional<Ipv4View> v;
  if (ihl >= kIpv4MinHeaderLen && pkt.MakeContiguous(static_cast<uint32_t>(ihl))) {
    v = Ipv4View::ParseHeader(pkt.head());  // RFC 791 3.1: version 4, IHL >= 5
  }
  if (!v || v->total_length() > pkt.length()) {
    ++counters.drop_ip_malformed;
    return;
  }
  // RFC 1122 3.2.1.2: a datagram whose header checksum fails is silently discarded.
  if (!v->checksum_valid()) {
    ++counters.drop_ip_bad_checksum;
    return;
  }
  const Ipv4Addr src = v->src();
  const Ipv4Addr dst = v->dst();
  // RFC 1122 3.2.1.3: a source address that is broadcast, multicast or loopback is bogus.
  if (src.IsBroadcast() || src.IsMulticast() || src.IsLoopback() || src == cfg.broadcast) {
    ++counters.drop_ip_malformed;
    return;
  }
  const bool to_us = !cfg.addr.IsAny() && dst == cfg.addr;
  const bool broadcast = IsOurBroadcast(dst);
  // RFC 1122 3.3.6: a link-layer broadcast must carry an IP broadcast (or multicast)
  // destination; we do not forward, so anything else not ours is dropped too (3.3.4.2 host).
  if ((!to_us && !broadcast) || (link_broadcast && !broadcast)) {
    ++counters.drop_ip_not_for_us;
    return;
  }
  // Keep a copy of the header: the packet is consumed below, and ICMP errors quote it.
  std::array<uint8_t, kIpv4MaxHeaderLen> header;
  std::copy(v->header().begin(), v->header().end(), header.begin());
  const std::span<const uint8_t> header_bytes(header.data(), ihl);
  const bool fragment = v->is_fragment();
  const Ipv4Info info{src, dst, v->protocol(), v->ttl(), v->tos(), broadcast};
  // Link padding beyond the total length is not part of the datagram (RFC 791 3.1).
  pkt.TruncateTo(v->total_length());
  pkt.Pull(static_cast<uint32_t>(ihl));
  // RFC 1122 3.2.1.4 / 3.3.2: fragments are reassembled before delivery. We never forward,
  // so the TTL is not decremented.
  if (fragment) {
    ++counters.frag_in;
    auto whole = reassembler.Add(std::move(pkt), *Ipv4View::ParseHeader(header_bytes), now);
    if (!whole) return;
    ++counters.reassembled;
    const auto first = Ipv4View::ParseHeader({whole->header.data(), whole->header_len});
    const Ipv4Info winfo{src, dst, info.protocol, first->ttl(), first->tos(), broadcast};
    Deliver(std::move(whole->payload), winfo, first->header(), now);
    return;
  }
  Deliver(std::move(pkt), info, header_bytes, now);
}

void NetInterface::Impl::Deliver(Packet payload, const Ipv4Info& info,
                                 std::span<const uint8_t> ip_header, Instant now) {
  if (info.protocol == kIpProtoIcmp) {
    IcmpInput(std::move(payload), info, now);
    return;
  }
  TransportHandler* handler = transports[info.protocol];
  if (!handler) {
    ++counters.drop_ip_unknown_protocol;
    // RFC 1122 3.2.2.1: a host SHOULD generate Protocol Unreachable for a protocol it lacks.
    if (MayAnswerWithError(info)) {
      SendIcmpError(kIcmpDestUnreachable, kIcmpCodeProtocolUnreachable, Quote(ip_header, payload),
                    info.src, now);
    }
    return;
  }
  const Delivery verdict = handler->OnIpv4(payload, info, now);
  // RFC 1122 3.2.2.1: a host SHOULD generate Port Unreachable when no process listens. The
  // transport left the payload untouched (TransportHandler contract), so it is quoted only
  // now, not on every delivery.
  if (verdict == Delivery::kNoListener && MayAnswerWithError(info)) {
    SendIcmpError(kIcmpDestUnreachable, kIcmpCodePortUnreachable, Quote(ip_header, payload),
                  info.src, now);
  }
}

IcmpQuote NetInterface::Impl::Quote(std::span<const uint8_t> ip_header, const Packet& payload) {
  // RFC 792 / RFC 1122 3.2.2: the quoted IP header plus the first 64 bits of its data.
  IcmpQuote quote;
  std::copy(ip_header.begin(), ip_header.end(), quote.bytes.begin());
  const size_t data = payload.CopyOut(0, std::span(quote.bytes).subspan(ip_header.size(), 8));
  quote.len = ip_header.size() + data;
  return quote;
}

bool NetInterface::Impl::MayAnswerWithError(const Ipv4Info& info) const {
  // RFC 1122 3.2.2: never send an ICMP error about a datagram sent to an IP broadcast or
  // multicast address, or whose source does not name a single host (zero, broadcast,
  // multicast, loopback, a subnet broadcast). Link-layer broadcasts never reach here with a
  // unicast destination (RFC 1122 3.3.6), non-first fragments only as whole datagrams, and
  // ICMP messages are handled without ever answering with an error.
  const Ipv4Addr s = info.src;
  return !info.dst_broadcast && !info.dst.IsMulticast() && info.protocol != kIpProtoIcmp &&
         !s.IsAny() && !s.IsBroadcast() && !s.IsMulticast() && !s.IsLoopback() &&
         s != cfg.broadcast;
}

}  // namespace ustack
