// IPv4 output (RFC 791, RFC 1122 3.3): routing to the connected subnet or the default
// gateway, header construction, fragmentation when allowed, link resolution through ARP.
#include <algorithm>
#include <utility>

#include "net/interface_impl.h"
#include "wire/ethernet.h"
#include "wire/ipv4.h"

namespace ustack {

namespace {

// RFC 1112 6.4: an IPv4 group maps to 01:00:5e followed by the group's low 23 bits.
MacAddr MulticastMac(Ipv4Addr group) {
  return {{0x01, 0x00, 0x5e, static_cast<uint8_t>((group.v >> 16) & 0x7f),
           static_cast<uint8_t>(group.v >> 8), static_cast<uint8_t>(group.v)}};
}

// Appends src[off, off+n) to dst.
bool AppendRange(Packet& dst, const Packet& src, size_t off, size_t n, rte_mempool* pool) {
  if (n <= 0xffff) {
    if (uint8_t* p = dst.Append(static_cast<uint16_t>(n))) return src.CopyOut(off, {p, n}) == n;
  }
  uint8_t buf[512];
  while (n > 0) {
    const size_t take = std::min(n, sizeof buf);
    if (src.CopyOut(off, {buf, take}) != take || !dst.AppendBytes(pool, {buf, take})) return false;
    off += take;
    n -= take;
  }
  return true;
}

}  // namespace

bool NetInterface::Impl::Route(Ipv4Addr dst, NextHop* hop) const {
  if (IsOurBroadcast(dst)) {
    *hop = {NextHop::Kind::kBroadcast, dst};
    return true;
  }
  if (dst.IsMulticast()) {
    *hop = {NextHop::Kind::kMulticast, dst};
    return true;
  }
  // No loopback path: our own address and 127/8 have no route through this interface.
  if (cfg.addr.IsAny() || dst.IsAny() || dst.IsLoopback() || dst == cfg.addr) return false;
  // RFC 1122 3.3.1.1: a destination on the connected subnet is sent to directly...
  if ((dst.v & cfg.netmask.v) == (cfg.addr.v & cfg.netmask.v)) {
    *hop = {NextHop::Kind::kUnicast, dst};
    return true;
  }
  // ...anything else goes to the (default) gateway, if there is one.
  if (cfg.gateway.IsAny()) return false;
  *hop = {NextHop::Kind::kUnicast, cfg.gateway};
  return true;
}

bool NetInterface::Impl::SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                                  const Ipv4SendOptions& opts, Instant now) {
  last_now = now;
  if (!l4) {
    ++counters.drop_ip_no_buffer;
    return false;
  }
  NextHop hop;
  if (!Route(dst, &hop)) {
    ++counters.drop_ip_no_route;
    return false;
  }
  Ipv4Repr r;
  r.src = src.IsAny() ? cfg.addr : src;
  r.dst = dst;
  r.protocol = protocol;
  r.ttl = opts.ttl;
  r.tos = opts.tos;
  r.ident = next_ident++;
  r.dont_fragment = opts.dont_fragment;
  const size_t total = kIpv4MinHeaderLen + l4.length();
  if (total > port.mtu()) {
    // RFC 791 2.3: a datagram marked don't-fragment is never fragmented; it is dropped.
    if (opts.dont_fragment || total > kIpv4MaxDatagram) {
      ++counters.drop_ip_too_big;
      return false;
    }
    return SendFragments(l4, r, hop, now);
  }
  r.payload_len = static_cast<uint16_t>(l4.length());
  uint8_t* h = PrependHeader(l4, kIpv4MinHeaderLen);
  if (!h) {
    ++counters.drop_ip_no_buffer;
    return false;
  }
  r.Emit({h, kIpv4MinHeaderLen});
  ++counters.ip_out;
  return OutputIp(std::move(l4), hop, now);
}

bool NetInterface::Impl::SendFragments(const Packet& l4, const Ipv4Repr& base, const NextHop& hop,
                                       Instant now) {
  // RFC 791 2.3 and 3.2: every fragment but the last carries a multiple of 8 data bytes and
  // has MF set; all copy the header fields and the identification of the original.
  const size_t chunk = (static_cast<size_t>(port.mtu()) - kIpv4MinHeaderLen) / 8 * 8;
  if (port.mtu() <= kIpv4MinHeaderLen || chunk == 0) {
    ++counters.drop_ip_too_big;
    return false;
  }
  const size_t total = l4.length();
  bool all_sent = true;
  for (size_t off = 0; off < total; off += chunk) {
    const size_t n = std::min(chunk, total - off);
    Packet f = AllocTx();
    if (!f || !AppendRange(f, l4, off, n, port.pool())) {
      ++counters.drop_ip_no_buffer;
      return false;
    }
    Ipv4Repr r = base;
    r.frag_offset = static_cast<uint16_t>(off);
    r.more_fragments = off + n < total;
    r.payload_len = static_cast<uint16_t>(n);
    uint8_t* h = f.Prepend(kIpv4MinHeaderLen);
    if (!h) {
      ++counters.drop_ip_no_buffer;
      return false;
    }
    r.Emit({h, kIpv4MinHeaderLen});
    ++counters.ip_out;
    if (!OutputIp(std::move(f), hop, now)) all_sent = false;
  }
  return all_sent;
}

bool NetInterface::Impl::OutputIp(Packet ip, const NextHop& hop, Instant now) {
  MacAddr dst_mac;
  switch (hop.kind) {
    case NextHop::Kind::kBroadcast:
      dst_mac = MacAddr::Broadcast();
      break;
    case NextHop::Kind::kMulticast:
      dst_mac = MulticastMac(hop.addr);
      break;
    case NextHop::Kind::kUnicast:
      switch (arp.Resolve(hop.addr, ip, &dst_mac, now)) {
        case ArpCache::Verdict::kQueued:
          return true;  // counts as sent (IpOutput contract)
        case ArpCache::Verdict::kDropped:
          return false;
        case ArpCache::Verdict::kResolved:
          break;
      }
      break;
  }
  SendFrame(std::move(ip), dst_mac, kEtherTypeIpv4, now);
  return true;
}

uint8_t* NetInterface::Impl::PrependHeader(Packet& p, uint16_t n) {
  if (uint8_t* h = p.Prepend(n)) return h;
  // Not enough headroom (e.g. a received buffer reused for a reply): put the header in a
  // fresh buffer chained in front.
  Packet head = AllocTx();
  uint8_t* h = head ? head.Append(n) : nullptr;
  if (!h || !head.Chain(std::move(p))) return nullptr;
  p = std::move(head);
  return h;
}

}  // namespace ustack
