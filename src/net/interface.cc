// NetInterface glue: construction, Ethernet demux, ARP input/output and transmit batching.
// IPv4 input/output and ICMP live in ipv4_input.cc, ipv4_output.cc and icmp.cc.
#include "net/interface.h"

#include <cstring>
#include <utility>

#include "net/interface_impl.h"
#include "wire/arp.h"
#include "wire/ethernet.h"

namespace ustack {

namespace {

InterfaceConfig Normalised(InterfaceConfig c) {
  if (c.broadcast.IsAny()) {
    c.broadcast = c.addr.IsAny() ? Ipv4Addr::Broadcast() : Ipv4Addr{c.addr.v | ~c.netmask.v};
  }
  return c;
}

}  // namespace

NetInterface::Impl::Impl(Port& p, TimerWheel& t, const InterfaceConfig& c, Instant now)
    : port(p),
      timers(t),
      cfg(Normalised(c)),
      mac(p.mac()),
      // Vary the starting identification across restarts (no randomness source here).
      next_ident(static_cast<uint16_t>(now.nanos() >> 10)),
      arp(t, cfg, counters, *this),
      reassembler(t, cfg, counters),
      pmtu(cfg.pmtu_timeout, cfg.pmtu_max_entries),
      last_now(now) {}

void NetInterface::Impl::Input(Packet frame, Instant now) {
  last_now = now;
  ++counters.rx_frames;
  counters.rx_bytes += frame.length();
  if (!frame.MakeContiguous(kEthernetHeaderLen)) {
    ++counters.drop_eth_malformed;
    return;
  }
  auto eth = EthernetView::Parse(frame.head());
  if (!eth || eth->src().IsMulticast()) {  // a source address is never a group address
    ++counters.drop_eth_malformed;
    return;
  }
  const MacAddr dst = eth->dst();
  const bool link_broadcast = dst.IsBroadcast();
  if (!link_broadcast && dst != mac) {
    ++counters.drop_eth_not_for_us;
    return;
  }
  const uint16_t type = eth->ethertype();  // 802.1Q tagged frames are not handled yet
  frame.Pull(kEthernetHeaderLen);
  switch (type) {
    case kEtherTypeArp:
      ArpInput(std::move(frame), now);
      break;
    case kEtherTypeIpv4:
      Ipv4Input(std::move(frame), link_broadcast, now);
      break;
    default:
      ++counters.drop_eth_unknown_type;
      break;
  }
}

void NetInterface::Impl::ArpInput(Packet pkt, Instant now) {
  if (!pkt.MakeContiguous(kArpPacketLen)) {
    ++counters.drop_arp_malformed;
    return;
  }
  auto r = ArpRepr::Parse(pkt.head());
  if (!r.ok() || r->sender_mac.IsMulticast() || r->sender_mac.IsZero()) {
    ++counters.drop_arp_malformed;
    return;
  }
  if (r->op == ArpOp::kRequest) {
    ++counters.arp_requests_in;
  } else {
    ++counters.arp_replies_in;
  }
  const bool for_us = !cfg.addr.IsAny() && r->target_ip == cfg.addr;
  const Ipv4Addr sender = r->sender_ip;
  // Probes (sender 0.0.0.0, RFC 5227 2.1.1), group addresses and our own address are never
  // learned.
  const bool learnable =
      !sender.IsAny() && !sender.IsMulticast() && !IsOurBroadcast(sender) && sender != cfg.addr;
  // RFC 826: if the sender is already in the table, update its hardware address (merge);
  // if we are the target and it was not, add it.
  if (learnable) arp.Learn(sender, r->sender_mac, /*create=*/for_us, now);
  // RFC 826: a request for our address is answered with a reply sent to the requester.
  if (for_us && r->op == ArpOp::kRequest) {
    SendArp(ArpOp::kReply, r->sender_mac, r->sender_mac, sender, now);
  }
}

void NetInterface::Impl::SendArp(ArpOp op, const MacAddr& eth_dst, const MacAddr& target_mac,
                                 Ipv4Addr target_ip, Instant now) {
  Packet p = AllocTx();
  uint8_t* b = p ? p.Append(kArpPacketLen) : nullptr;
  if (!b) {
    ++counters.drop_ip_no_buffer;
    return;
  }
  ArpRepr{op, mac, cfg.addr, target_mac, target_ip}.Emit({b, kArpPacketLen});
  if (op == ArpOp::kRequest) {
    ++counters.arp_requests_out;
  } else {
    ++counters.arp_replies_out;
  }
  SendFrame(std::move(p), eth_dst, kEtherTypeArp, now);
}

void NetInterface::Impl::SendArpRequest(Ipv4Addr target, Instant now) {
  // RFC 826: the request is broadcast; the target hardware address is unknown (zero).
  SendArp(ArpOp::kRequest, MacAddr::Broadcast(), MacAddr{}, target, now);
}

void NetInterface::Impl::SendResolved(Packet ip_packet, const MacAddr& dst_mac, Instant now) {
  SendFrame(std::move(ip_packet), dst_mac, kEtherTypeIpv4, now);
}

void NetInterface::Impl::SendFrame(Packet payload, const MacAddr& dst, uint16_t ethertype,
                                   Instant now) {
  uint8_t* h = PrependHeader(payload, kEthernetHeaderLen);
  if (!h) {
    ++counters.drop_ip_no_buffer;
    return;
  }
  EthernetRepr{dst, mac, ethertype, std::nullopt}.Emit({h, kEthernetHeaderLen});
  EnqueueFrame(std::move(payload), now);
}

void NetInterface::Impl::EnqueueFrame(Packet frame, Instant now) {
  // IEEE 802.3: frames shorter than the minimum are padded (receivers trim by IP length).
  if (frame.length() < kEthernetMinFrameLen) {
    const auto pad = static_cast<uint16_t>(kEthernetMinFrameLen - frame.length());
    if (uint8_t* p = frame.Append(pad)) std::memset(p, 0, pad);
  }
  if (tx_count == kTxBatch) FlushTx(now);  // a full batch goes out early
  tx[tx_count++] = std::move(frame);
  if (cfg.tx_push_frames != 0 && tx_count >= cfg.tx_push_frames) FlushTx(now);
}

void NetInterface::Impl::FlushTx(Instant now) {
  if (tx_count == 0) return;
  std::array<uint32_t, kTxBatch> lens;
  for (size_t i = 0; i < tx_count; ++i) lens[i] = tx[i].length();
  size_t sent = port.TxBurst(std::span<Packet>(tx.data(), tx_count), now);
  if (sent > tx_count) sent = tx_count;
  for (size_t i = 0; i < sent; ++i) {
    ++counters.tx_frames;
    counters.tx_bytes += lens[i];
  }
  // Never block or retry: what the device refused is dropped and counted.
  for (size_t i = sent; i < tx_count; ++i) {
    tx[i].Reset();
    ++counters.drop_tx_full;
  }
  for (size_t i = 0; i < sent; ++i) tx[i].Reset();  // moved-from by the port; make sure
  tx_count = 0;
}

// --- NetInterface: forwards to Impl ---

NetInterface::NetInterface(Port& port, TimerWheel& timers, const InterfaceConfig& cfg, Instant now)
    : port_(port), impl_(std::make_unique<Impl>(port, timers, cfg, now)) {}

NetInterface::~NetInterface() = default;

void NetInterface::RegisterTransport(uint8_t protocol, TransportHandler* handler) {
  impl_->transports[protocol] = handler;
}

void NetInterface::Start(Instant now) {
  if (impl_->cfg.addr.IsAny()) return;
  // RFC 5227 3: announce with an ARP request whose sender and target IP are both ours.
  impl_->SendArp(ArpOp::kRequest, MacAddr::Broadcast(), MacAddr{}, impl_->cfg.addr, now);
}

void NetInterface::Input(Packet frame, Instant now) { impl_->Input(std::move(frame), now); }

void NetInterface::FlushTx(Instant now) { impl_->FlushTx(now); }

Packet NetInterface::AllocTx() { return impl_->AllocTx(); }

bool NetInterface::BuffersTight() const {
  const rte_mempool* pool = port_.pool();
  if (pool == nullptr) return false;
  // Counting the free buffers visits every lcore cache: callers ask rarely (before growing).
  return PacketPool::Available(pool) < PacketPool::Capacity(pool) / 4;
}

bool NetInterface::SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t protocol,
                            const Ipv4SendOptions& opts, Instant now) {
  return impl_->SendIpv4(std::move(l4), src, dst, protocol, opts, now);
}

uint16_t NetInterface::MaxTransportSize(Ipv4Addr dst) const {
  const uint16_t mtu = impl_->pmtu.Get(dst, impl_->port.mtu(), impl_->last_now);
  return mtu > kIpv4MinHeaderLen ? static_cast<uint16_t>(mtu - kIpv4MinHeaderLen) : 0;
}

uint16_t NetInterface::ReducePathMtu(Ipv4Addr dst, uint16_t mtu, Instant now) {
  return impl_->ReducePathMtu(dst, mtu, now);
}

// RFC 9293 3.8.3 (MUST-20) / RFC 1122 2.3.2.1 (4): negative advice revalidates the next hop.
void NetInterface::AdviseDeliveryProblem(Ipv4Addr dst, Instant now) {
  NextHop hop;
  if (!impl_->Route(dst, &hop) || hop.kind != NextHop::Kind::kUnicast) return;
  if (impl_->arp.Revalidate(hop.addr, now)) ++impl_->counters.arp_revalidations;
}

Ipv4Addr NetInterface::SourceFor(Ipv4Addr dst) const {
  (void)dst;
  return impl_->cfg.addr;
}

bool NetInterface::IsLocal(Ipv4Addr addr) const { return !addr.IsAny() && addr == impl_->cfg.addr; }

const NetCounters& NetInterface::counters() const { return impl_->counters; }
const InterfaceConfig& NetInterface::config() const { return impl_->cfg; }
MacAddr NetInterface::mac() const { return impl_->mac; }
size_t NetInterface::arp_entries() const { return impl_->arp.size(); }

}  // namespace ustack
