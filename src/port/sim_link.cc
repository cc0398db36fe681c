// SimLink implementation, see sim_link.h. Each direction is an ImpairedChannel
// (port/impairment.h), so delivery order is a pure function of the seed, the impairments and
// the sequence of Tx/RxBurst calls; the link adds size checks and the endpoints' counters.
#include "port/sim_link.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <utility>

namespace ustack {
namespace {

constexpr size_t kEthHeaderLen = 14;
constexpr size_t kVlanTagLen = 4;
constexpr uint16_t kEtherTypeVlan = 0x8100;
constexpr uint16_t kEtherTypeQinQ = 0x88a8;
constexpr uint64_t kDirectionSeedMix = 0xd1b54a32d192ed03ULL;

}  // namespace

// One side of the link, owned by the link.
class SimLink::Endpoint final : public Port {
 public:
  Endpoint(SimLink& link, Side side, MacAddr mac) : link_(link), side_(side), mac_(mac) {}

  uint16_t RxBurst(std::span<Packet> out, Instant now) override {
    return link_.Deliver(side_, out, now);
  }
  uint16_t TxBurst(std::span<Packet> pkts, Instant now) override {
    return link_.Send(side_, pkts, now);
  }
  MacAddr mac() const override { return mac_; }
  uint16_t mtu() const override { return link_.mtu_; }
  rte_mempool* pool() const override { return link_.pool_; }
  PortStats stats() const override {
    PortStats s = link_.dir(side_).tx;
    const PortStats& rx = link_.dir(Other(side_)).rx;
    s.rx_packets = rx.rx_packets;
    s.rx_bytes = rx.rx_bytes;
    return s;
  }

 private:
  SimLink& link_;
  Side side_;
  MacAddr mac_;
};

// An owning handle that forwards every call to an Endpoint the link keeps.
class SimLink::ForwardingPort final : public Port {
 public:
  explicit ForwardingPort(Port& target) : target_(target) {}
  uint16_t RxBurst(std::span<Packet> out, Instant now) override {
    return target_.RxBurst(out, now);
  }
  uint16_t TxBurst(std::span<Packet> pkts, Instant now) override {
    return target_.TxBurst(pkts, now);
  }
  MacAddr mac() const override { return target_.mac(); }
  uint16_t mtu() const override { return target_.mtu(); }
  rte_mempool* pool() const override { return target_.pool(); }
  PortStats stats() const override { return target_.stats(); }

 private:
  Port& target_;
};

SimLink::SimLink(rte_mempool* pool, uint64_t seed, Impairment a_to_b, Impairment b_to_a, MacAddr a,
                 MacAddr b, uint16_t mtu)
    : pool_(pool),
      mtu_(mtu),
      a_to_b_(a_to_b, seed, pool),
      b_to_a_(b_to_a, seed ^ kDirectionSeedMix, pool),
      a_(std::make_unique<Endpoint>(*this, Side::kA, a)),
      b_(std::make_unique<Endpoint>(*this, Side::kB, b)) {}

SimLink::~SimLink() = default;  // frames in flight are freed by their Packets

Port& SimLink::endpoint(Side side) { return side == Side::kA ? *a_ : *b_; }

std::unique_ptr<Port> SimLink::MakeEndpoint(Side side) {
  return std::make_unique<ForwardingPort>(endpoint(side));
}

Instant SimLink::NextDelivery(Side to) const { return dir(Other(to)).channel.NextRelease(); }

Instant SimLink::NextDelivery() const {
  return Earliest(NextDelivery(Side::kA), NextDelivery(Side::kB));
}

size_t SimLink::InFlight(Side from) const { return dir(from).channel.InFlight(); }

SimLink::Stats SimLink::stats(Side from) const {
  const Direction& d = dir(from);
  Stats s;
  static_cast<ImpairmentStats&>(s) = d.channel.stats();
  s.offered = d.offered;
  s.oversize = d.oversize;
  s.runts = d.runts;
  return s;
}

const Impairment& SimLink::impairment(Side from) const { return dir(from).channel.impairment(); }

void SimLink::SetImpairment(Side from, const Impairment& imp) {
  dir(from).channel.set_impairment(imp);
}

size_t SimLink::MaxFrameLength(const Packet& pkt) const {
  size_t max = kEthHeaderLen + mtu_;
  uint8_t type[2] = {};
  if (pkt.CopyOut(12, type) == 2) {
    const uint16_t ethertype = static_cast<uint16_t>(type[0] << 8 | type[1]);
    if (ethertype == kEtherTypeVlan || ethertype == kEtherTypeQinQ) max += kVlanTagLen;
  }
  return max;
}

uint16_t SimLink::Send(Side from, std::span<Packet> pkts, Instant now) {
  Direction& d = dir(from);
  const size_t n = std::min<size_t>(pkts.size(), UINT16_MAX);
  for (size_t i = 0; i < n; ++i) SendOne(d, std::move(pkts[i]), now);
  return static_cast<uint16_t>(n);
}

void SimLink::SendOne(Direction& d, Packet pkt, Instant now) {
  d.offered++;
  if (!pkt || pkt.length() < kEthHeaderLen) {
    d.runts++;
    return;
  }
  const size_t len = pkt.length();
  d.tx.tx_packets++;
  d.tx.tx_bytes += len;
  if (len > MaxFrameLength(pkt)) {
    d.oversize++;
    return;
  }
  d.channel.Offer(std::move(pkt), now);
}

uint16_t SimLink::Deliver(Side to, std::span<Packet> out, Instant now) {
  Direction& d = dir(Other(to));
  const uint16_t n = d.channel.Release(out, now);
  for (uint16_t i = 0; i < n; ++i) {
    // Receivers see a frame as a NIC would give it: no transmit offload requests.
    out[i].mbuf()->ol_flags = 0;
    out[i].mbuf()->packet_type = 0;
    d.rx.rx_packets++;
    d.rx.rx_bytes += out[i].length();
  }
  return n;
}

}  // namespace ustack
