// Test helpers: build a TCP/IPv4 packet as the remote end would send it, and read the fields
// of one the stack sent. For the harness and plugin tests only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/byte_order.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace ustack::pd::testing {

inline std::vector<uint8_t> TcpPacket(Ipv4Addr src, Ipv4Addr dst, uint16_t sport, uint16_t dport,
                                      uint32_t seq, uint32_t ack, uint8_t flags, uint16_t win,
                                      size_t payload = 0) {
  std::vector<uint8_t> pkt(kIpv4MinHeaderLen + kTcpHeaderLen + payload, 0);
  Ipv4Repr ip;
  ip.src = src;
  ip.dst = dst;
  ip.protocol = 6;
  ip.payload_len = static_cast<uint16_t>(kTcpHeaderLen + payload);
  ip.Emit(pkt);
  TcpRepr t;
  t.src_port = sport;
  t.dst_port = dport;
  t.seq = seq;
  t.ack = ack;
  t.flags = flags;
  t.window = win;
  std::span<uint8_t> seg(pkt.data() + kIpv4MinHeaderLen, kTcpHeaderLen + payload);
  t.Emit(seg);
  FillTcpChecksumV4(seg, src, dst);
  return pkt;
}

struct SeenTcp {
  Ipv4Addr src, dst;
  TcpRepr tcp;
  size_t payload = 0;
};

inline std::optional<SeenTcp> ParseTcp(std::span<const uint8_t> bytes) {
  auto ip = Ipv4View::Parse(bytes);
  if (!ip || ip->protocol() != 6) return std::nullopt;
  auto v = TcpView::Parse(ip->payload());
  if (!v) return std::nullopt;
  auto r = TcpRepr::Parse(*v);
  if (!r) return std::nullopt;
  return SeenTcp{Ipv4Addr{LoadBe32(ip->header().data() + 12)},
                 Ipv4Addr{LoadBe32(ip->header().data() + 16)}, *r, v->payload().size()};
}

}  // namespace ustack::pd::testing
