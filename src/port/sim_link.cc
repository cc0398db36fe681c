// SimLink implementation, see sim_link.h. Frames in flight sit in one min-heap per
// direction keyed by (arrival time, sending sequence number), so delivery order is a pure
// function of the seed, the impairments and the sequence of Tx/RxBurst calls.
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

bool HeapAfter(const auto& x, const auto& y) { return x.at != y.at ? x.at > y.at : x.seq > y.seq; }

// True when every segment is a direct mbuf with its own data and a single reference, so the
// frame may be handed to the receiver without a copy.
bool ExclusivelyOwned(const rte_mbuf* m) {
  for (const rte_mbuf* s = m; s != nullptr; s = s->next) {
    if (RTE_MBUF_CLONED(s) || RTE_MBUF_HAS_EXTBUF(s) || rte_mbuf_refcnt_read(s) != 1) {
      return false;
    }
  }
  return true;
}

// Flips bit `bit` of byte `offset` of a packet that this code exclusively owns.
void FlipBit(rte_mbuf* m, size_t offset, unsigned bit) {
  for (rte_mbuf* s = m; s != nullptr; s = s->next) {
    if (offset < s->data_len) {
      rte_pktmbuf_mtod_offset(s, uint8_t*, offset)[0] ^= static_cast<uint8_t>(1u << bit);
      return;
    }
    offset -= s->data_len;
  }
}

// Time to serialize `bytes` at `rate_bps`; zero when the rate is unlimited.
Duration SerializationTime(size_t bytes, uint64_t rate_bps) {
  if (rate_bps == 0) return Duration();
  const unsigned __int128 ns = static_cast<unsigned __int128>(bytes) * 8 * 1000000000ULL;
  return Duration::Nanos(static_cast<int64_t>(ns / rate_bps));
}

// Uniform in [0, d] (d >= 0).
Duration UniformUpTo(Random& rng, Duration d) {
  if (d.nanos() <= 0) return Duration();
  return Duration::Nanos(static_cast<int64_t>(rng.Below(static_cast<uint64_t>(d.nanos()) + 1)));
}

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
      a_to_b_(a_to_b, seed),
      b_to_a_(b_to_a, seed ^ kDirectionSeedMix),
      a_(std::make_unique<Endpoint>(*this, Side::kA, a)),
      b_(std::make_unique<Endpoint>(*this, Side::kB, b)) {}

SimLink::~SimLink() = default;  // frames in flight are freed by their Packets

Port& SimLink::endpoint(Side side) { return side == Side::kA ? *a_ : *b_; }

std::unique_ptr<Port> SimLink::MakeEndpoint(Side side) {
  return std::make_unique<ForwardingPort>(endpoint(side));
}

Instant SimLink::NextDelivery(Side to) const {
  const Direction& d = dir(Other(to));
  return d.heap.empty() ? Instant::Max() : d.heap.front().at;
}

Instant SimLink::NextDelivery() const {
  return Earliest(NextDelivery(Side::kA), NextDelivery(Side::kB));
}

size_t SimLink::InFlight(Side from) const { return dir(from).heap.size(); }

const SimLink::Stats& SimLink::stats(Side from) const { return dir(from).stats; }

const Impairment& SimLink::impairment(Side from) const { return dir(from).imp; }

void SimLink::SetImpairment(Side from, const Impairment& imp) { dir(from).imp = imp; }

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
  d.stats.offered++;
  if (!pkt || pkt.length() < kEthHeaderLen) {
    d.stats.runts++;
    return;
  }
  const size_t len = pkt.length();
  d.tx.tx_packets++;
  d.tx.tx_bytes += len;
  if (len > MaxFrameLength(pkt)) {
    d.stats.oversize++;
    return;
  }
  if (d.heap.size() >= d.imp.queue_limit) {
    d.stats.queue_drops++;
    return;
  }
  // The serializer sends frames back to back; a frame lost on the wire still used it.
  const Instant start = std::max(now, d.wire_free);
  d.wire_free = start + SerializationTime(len, d.imp.rate_bps);
  const Instant depart = d.wire_free;
  if (d.imp.loss > 0 && d.rng.Chance(d.imp.loss)) {
    d.stats.lost++;
    return;
  }
  Packet dup;
  if (d.imp.duplicate > 0 && d.rng.Chance(d.imp.duplicate)) {
    d.stats.duplicated++;
    dup = pkt.Copy(pool_);
    if (dup) {
      d.stats.copies++;
    } else {
      d.stats.no_buffer++;
    }
  }
  const bool corrupt = d.imp.corrupt > 0 && d.rng.Chance(d.imp.corrupt);
  Schedule(d, std::move(pkt), depart, corrupt);
  if (dup) {
    const bool corrupt_dup = d.imp.corrupt > 0 && d.rng.Chance(d.imp.corrupt);
    Schedule(d, std::move(dup), depart, corrupt_dup);
  }
}

void SimLink::Schedule(Direction& d, Packet pkt, Instant depart, bool corrupt) {
  // Deliver only buffers nobody else references; corrupt only a fresh copy.
  if (corrupt || !ExclusivelyOwned(pkt.mbuf())) {
    Packet copy = pkt.Copy(pool_);
    if (!copy) {
      d.stats.no_buffer++;
      return;
    }
    d.stats.copies++;
    pkt = std::move(copy);
  }
  if (corrupt) {
    d.stats.corrupted++;
    const size_t offset = d.rng.Below(pkt.length());
    FlipBit(pkt.mbuf(), offset, static_cast<unsigned>(d.rng.Below(8)));
  }
  // Receivers see a frame as a NIC would give it: no transmit offload requests.
  pkt.mbuf()->ol_flags = 0;
  pkt.mbuf()->packet_type = 0;

  Instant at = depart + d.imp.delay + UniformUpTo(d.rng, d.imp.jitter);
  if (d.imp.reorder > 0 && d.rng.Chance(d.imp.reorder)) {
    d.stats.reordered++;
    const Duration extra = d.imp.reorder_delay / 2 + UniformUpTo(d.rng, d.imp.reorder_delay / 2);
    at += extra;  // held back: does not move last_arrival, so later frames overtake it
  } else {
    at = std::max(at, d.last_arrival);  // jitter alone keeps FIFO order
    d.last_arrival = at;
  }
  d.heap.push_back(InFlightFrame{at, d.next_seq++, std::move(pkt)});
  std::push_heap(d.heap.begin(), d.heap.end(),
                 [](const InFlightFrame& x, const InFlightFrame& y) { return HeapAfter(x, y); });
}

uint16_t SimLink::Deliver(Side to, std::span<Packet> out, Instant now) {
  Direction& d = dir(Other(to));
  uint16_t n = 0;
  const size_t max = std::min<size_t>(out.size(), UINT16_MAX);
  while (n < max && !d.heap.empty() && d.heap.front().at <= now) {
    std::pop_heap(d.heap.begin(), d.heap.end(),
                  [](const InFlightFrame& x, const InFlightFrame& y) { return HeapAfter(x, y); });
    Packet pkt = std::move(d.heap.back().pkt);
    d.heap.pop_back();
    d.stats.delivered++;
    d.rx.rx_packets++;
    d.rx.rx_bytes += pkt.length();
    out[n++] = std::move(pkt);
  }
  return n;
}

}  // namespace ustack
