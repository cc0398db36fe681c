// ICMPv4 in the network layer (RFC 792, RFC 1122 3.2.2): echo replies, the destination
// unreachable errors generated for undeliverable datagrams, and received errors handed to
// the transport that sent the quoted datagram (RFC 1122 3.2.2.1, RFC 1191). Other messages
// are counted and dropped.
#include <algorithm>
#include <cerrno>
#include <utility>

#include "base/byte_order.h"
#include "base/checksum.h"
#include "net/interface_impl.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

namespace ustack {

IcmpErrno IcmpErrorErrno(uint8_t type, uint8_t code) {
  if (type == kIcmpTimeExceeded) return {EHOSTUNREACH, false};
  if (type == kIcmpParameterProblem) return {EPROTO, true};
  if (type != kIcmpDestUnreachable) return {};
  switch (code) {
    case kIcmpCodeNetUnreachable:
    case 11:  // network unreachable for TOS
      return {ENETUNREACH, false};
    case kIcmpCodeProtocolUnreachable:
      return {ENOPROTOOPT, true};
    case kIcmpCodePortUnreachable:
      return {ECONNREFUSED, true};
    case kIcmpCodeFragNeeded:
      return {EMSGSIZE, false};
    case 5:  // source route failed
      return {EOPNOTSUPP, false};
    case 6:  // destination network unknown
    case 9:  // network administratively prohibited
      return {ENETUNREACH, true};
    case 7:  // destination host unknown
      return {EHOSTDOWN, true};
    case 8:  // source host isolated
      return {ENONET, true};
    case 10:  // host administratively prohibited
    case 13:  // communication administratively prohibited
    case 14:  // host precedence violation
    case 15:  // precedence cutoff in effect
      return {EHOSTUNREACH, true};
    default:  // host unreachable (also for TOS), unknown codes
      return {EHOSTUNREACH, false};
  }
}

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
  const uint8_t type = pkt.head()[0];
  if (IcmpIsError(type)) {
    // The quote (IP header and 8 bytes) is all we read; errors are small anyway.
    const uint32_t need = std::min<uint32_t>(len, kIcmpHeaderLen + kIpv4MaxHeaderLen + 8);
    auto v = pkt.MakeContiguous(need) ? IcmpView::Parse(pkt.head().first(need)) : std::nullopt;
    if (!v) {
      ++counters.drop_icmp_malformed;
      return;
    }
    IcmpErrorInput(*v, info, now);
    return;
  }
  auto v = IcmpView::Parse(pkt.head());
  if (!v || type != kIcmpEchoRequest) return;  // counted in icmp_in
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

// RFC 1122 3.2.2: an error quotes the offending datagram's IP header and at least 8 bytes of
// its data; it goes to the transport that sent it, which checks it against its own state.
void NetInterface::Impl::IcmpErrorInput(const IcmpView& icmp, const Ipv4Info& info, Instant now) {
  ++counters.icmp_errors_in;
  // RFC 1122 3.2.2: errors about errors, or sent to a broadcast, are not believed.
  auto quoted = Ipv4View::ParseHeader(icmp.data());
  if (info.dst_broadcast || !quoted || icmp.data().size() < quoted->header_len() + 8 ||
      quoted->frag_offset() != 0 || quoted->src() != cfg.addr) {
    ++counters.drop_icmp_error_quote;
    return;
  }
  TransportHandler* handler = transports[quoted->protocol()];
  if (handler == nullptr) return;
  IcmpErrorInfo err;
  err.type = icmp.type();
  err.code = icmp.code();
  if (err.type == kIcmpDestUnreachable && err.code == kIcmpCodeFragNeeded) {
    err.next_hop_mtu = icmp.next_hop_mtu();
  }
  err.src = quoted->src();
  err.dst = quoted->dst();
  err.total_length = quoted->total_length();
  err.transport = icmp.data().subspan(quoted->header_len());
  handler->OnIcmpError(err, now);
}

uint16_t NetInterface::Impl::ReducePathMtu(Ipv4Addr dst, uint16_t mtu, Instant now) {
  ++counters.pmtu_reductions;
  const uint16_t path = pmtu.Reduce(dst, mtu, port.mtu(), now);
  return static_cast<uint16_t>(path - kIpv4MinHeaderLen);
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
