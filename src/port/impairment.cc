// ImpairedChannel implementation, see impairment.h. Frames in flight sit in a min-heap keyed
// by (arrival time, offering sequence number), so release order is a pure function of the
// seed, the impairment and the sequence of Offer/Release calls.
#include "port/impairment.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <utility>

namespace ustack {
namespace {

constexpr uint16_t kEtherTypeArp = 0x0806;

bool IsArp(const Packet& pkt) {
  uint8_t type[2] = {};
  return pkt.CopyOut(12, type) == 2 && (type[0] << 8 | type[1]) == kEtherTypeArp;
}

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

ImpairedChannel::ImpairedChannel(const Impairment& imp, uint64_t seed, rte_mempool* pool)
    : imp_(imp), rng_(seed), pool_(pool) {}

void ImpairedChannel::Offer(Packet pkt, Instant now) {
  if (heap_.size() >= imp_.queue_limit) {
    stats_.queue_drops++;
    return;
  }
  // The serializer sends frames back to back; a frame lost on the wire still used it.
  const Instant start = std::max(now, wire_free_);
  wire_free_ = start + SerializationTime(pkt.length(), imp_.rate_bps);
  const Instant depart = wire_free_;
  const bool arp = IsArp(pkt);
  if (Lose()) return;
  Packet dup;
  if (imp_.duplicate > 0 && rng_.Chance(imp_.duplicate)) {
    stats_.duplicated++;
    dup = pkt.Copy(pool_);
    if (dup) {
      stats_.copies++;
    } else {
      stats_.no_buffer++;
    }
  }
  // A corrupted IP frame fails a checksum at the receiver: lost to the transport, so it is
  // part of a loss run and is not corrupted once the run is at its limit.
  const bool corrupt = imp_.corrupt > 0 && rng_.Chance(imp_.corrupt) && !AtBurstLimit();
  Schedule(std::move(pkt), depart, corrupt);
  bool intact = !corrupt;
  if (dup) {
    const bool corrupt_dup = imp_.corrupt > 0 && rng_.Chance(imp_.corrupt) && !AtBurstLimit();
    Schedule(std::move(dup), depart, corrupt_dup);
    intact = intact || !corrupt_dup;
  }
  // A streak counts the frames a transport sees: ARP frames neither end nor extend it.
  if (!arp) loss_streak_ = intact ? 0 : loss_streak_ + 1;
}

bool ImpairedChannel::AtBurstLimit() const {
  return imp_.max_loss_burst != 0 && loss_streak_ >= imp_.max_loss_burst;
}

bool ImpairedChannel::Lose() {
  if (imp_.loss > 0 && rng_.Chance(imp_.loss) && !AtBurstLimit()) {
    stats_.lost++;
    loss_streak_++;
    return true;
  }
  return false;
}

void ImpairedChannel::Schedule(Packet pkt, Instant depart, bool corrupt) {
  // Deliver only buffers nobody else references; corrupt only a fresh copy.
  if (corrupt || !ExclusivelyOwned(pkt.mbuf())) {
    Packet copy = pkt.Copy(pool_);
    if (!copy) {
      stats_.no_buffer++;
      return;
    }
    stats_.copies++;
    pkt = std::move(copy);
  }
  if (corrupt) {
    stats_.corrupted++;
    const size_t offset = rng_.Below(pkt.length());
    FlipBit(pkt.mbuf(), offset, static_cast<unsigned>(rng_.Below(8)));
  }
  // Jitter alone keeps FIFO order: a frame never arrives before one sent ahead of it.
  Instant at = std::max(depart + imp_.delay + UniformUpTo(rng_, imp_.jitter), last_arrival_);
  if (imp_.reorder > 0 && rng_.Chance(imp_.reorder)) {
    stats_.reordered++;
    const Duration extra = imp_.reorder_delay / 2 + UniformUpTo(rng_, imp_.reorder_delay / 2);
    // Held back from its place in the queue: later frames overtake it, and it never
    // overtakes an earlier one (so reordering is at most reorder_delay, whatever the jitter).
    // It does not move last_arrival_.
    at += extra;
  } else {
    last_arrival_ = at;
  }
  heap_.push_back(InFlightFrame{at, next_seq_++, std::move(pkt)});
  std::push_heap(heap_.begin(), heap_.end(),
                 [](const InFlightFrame& x, const InFlightFrame& y) { return HeapAfter(x, y); });
}

uint16_t ImpairedChannel::Release(std::span<Packet> out, Instant now) {
  uint16_t n = 0;
  const size_t max = std::min<size_t>(out.size(), UINT16_MAX);
  while (n < max && !heap_.empty() && heap_.front().at <= now) {
    std::pop_heap(heap_.begin(), heap_.end(),
                  [](const InFlightFrame& x, const InFlightFrame& y) { return HeapAfter(x, y); });
    out[n++] = std::move(heap_.back().pkt);
    heap_.pop_back();
    stats_.delivered++;
  }
  return n;
}

}  // namespace ustack
