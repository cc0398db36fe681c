// IPv4 fragment reassembly, see reassembly.h.
#include "net/reassembly.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

namespace ustack {
namespace {

// Memory a held fragment pins: its buffer, not just its data bytes.
size_t ChargeOf(const Packet& p) { return size_t{p.headroom()} + p.length() + p.tailroom(); }

// True when a[a_off, a_off+n) and b[b_off, b_off+n) hold the same bytes.
bool SameBytes(const Packet& a, size_t a_off, const Packet& b, size_t b_off, size_t n) {
  uint8_t x[128];
  uint8_t y[128];
  while (n > 0) {
    const size_t take = std::min(n, sizeof x);
    if (a.CopyOut(a_off, {x, take}) != take || b.CopyOut(b_off, {y, take}) != take) return false;
    if (std::memcmp(x, y, take) != 0) return false;
    a_off += take;
    b_off += take;
    n -= take;
  }
  return true;
}

// Removes n bytes from the front, across the first segment if needed.
bool PullFront(Packet& p, uint32_t n) {
  if (p.Pull(n)) return true;
  return p.MakeContiguous(n) && p.Pull(n);
}

}  // namespace

struct Reassembler::Fragment {
  uint32_t first;  // offset of the first data byte in the datagram
  uint32_t end;    // one past the last
  size_t charge;
  Packet pkt;
};

struct Reassembler::Datagram {
  Datagram(Reassembler* r, const Key& k)
      : owner(r), key(k), timer(&Reassembler::OnTimeout, this), age(this) {}

  Reassembler* owner;
  Key key;
  Timer timer;  // reassembly timeout
  OwnedNode<Datagram> age;
  std::vector<Fragment> frags;  // sorted by offset, never overlapping
  uint32_t total = 0;           // data length, known once the last fragment arrived
  bool total_known = false;
  uint32_t received = 0;  // data bytes held
  size_t charged = 0;     // bytes charged against the memory limit
  std::array<uint8_t, kIpv4MaxHeaderLen> header{};
  uint8_t header_len = 0;  // nonzero once the first fragment (offset 0) arrived
};

size_t Reassembler::KeyHash::operator()(const Key& k) const {
  uint64_t h = (uint64_t{k.src} << 32 | k.dst) * 0x9e3779b97f4a7c15ULL;
  h ^= (uint64_t{k.ident} << 8 | k.protocol) * 0xc2b2ae3d27d4eb4fULL;
  return static_cast<size_t>(h ^ (h >> 29));
}

Reassembler::Reassembler(TimerWheel& timers, const InterfaceConfig& cfg, NetCounters& counters)
    : timers_(timers), cfg_(cfg), counters_(counters) {}

Reassembler::~Reassembler() = default;

std::optional<Reassembled> Reassembler::Add(Packet payload, const Ipv4View& hdr, Instant now) {
  uint32_t first = hdr.frag_offset();
  const uint32_t len = payload.length();
  uint32_t end = first + len;
  const bool more = hdr.more_fragments();
  // RFC 791 3.2: every fragment but the last carries a multiple of 8 data bytes.
  // RFC 791 3.1: a datagram, header included, is at most 65535 bytes (no "ping of death").
  if ((more && (len == 0 || len % 8 != 0)) || hdr.header_len() + end > kIpv4MaxDatagram) {
    ++counters_.drop_frag_malformed;
    return std::nullopt;
  }
  const Key key{hdr.src().v, hdr.dst().v, hdr.ident(), hdr.protocol()};
  Datagram* d = FindOrCreate(key, now);
  if (!d) return std::nullopt;
  // The last fragment fixes the length; anything contradicting it is inconsistent.
  const bool bad_last = !more && ((d->total_known && d->total != end) ||
                                  (!d->frags.empty() && d->frags.back().end > end));
  const bool beyond_end = more && d->total_known && end > d->total;
  if (bad_last || beyond_end || d->frags.size() >= kMaxFragments) {
    ++counters_.drop_frag_malformed;
    Drop(d);
    return std::nullopt;
  }
  if (!more) {
    d->total = end;
    d->total_known = true;
  }
  if (first == 0 && d->header_len == 0) {
    const auto h = hdr.header();
    std::copy(h.begin(), h.end(), d->header.begin());
    d->header_len = static_cast<uint8_t>(h.size());
  }
  if (len > 0) {
    const Merge m = Insert(d, payload, first, end);
    if (m == Merge::kDropped) return std::nullopt;  // counted and dropped inside Insert
    if (m == Merge::kInconsistent) {
      ++counters_.drop_frag_malformed;
      Drop(d);
      return std::nullopt;
    }
  }
  if (d->total_known && d->received == d->total && d->header_len != 0 && !d->frags.empty()) {
    return Complete(d);
  }
  return std::nullopt;
}

Reassembler::Datagram* Reassembler::FindOrCreate(const Key& key, Instant now) {
  auto it = table_.find(key);
  if (it != table_.end()) return it->second.get();
  if (!MakeRoom(nullptr, kDatagramCost)) {
    ++counters_.drop_frag_memory;
    return nullptr;
  }
  auto owned = std::make_unique<Datagram>(this, key);
  Datagram* d = owned.get();
  table_.emplace(key, std::move(owned));
  by_age_.PushBack(&d->age);
  d->charged = kDatagramCost;
  bytes_ += kDatagramCost;
  // RFC 1122 3.3.2: a datagram not completed within the reassembly timeout is discarded.
  timers_.Arm(&d->timer, now + cfg_.reassembly_timeout);
  return d;
}

Reassembler::Merge Reassembler::Insert(Datagram* d, Packet& payload, uint32_t first, uint32_t end) {
  auto& frags = d->frags;
  // Overlapping bytes must agree with what is held; otherwise the datagram is unreliable.
  for (const Fragment& f : frags) {
    if (f.end <= first || f.first >= end) continue;
    const uint32_t lo = std::max(first, f.first);
    const uint32_t hi = std::min(end, f.end);
    if (!SameBytes(payload, lo - first, f.pkt, lo - f.first, hi - lo)) {
      return Merge::kInconsistent;
    }
    if (f.first <= first && f.end >= end) return Merge::kNothingNew;  // a duplicate
  }
  // Held fragments inside the new one are redundant now.
  for (auto it = frags.begin(); it != frags.end();) {
    if (it->first >= first && it->end <= end) {
      d->received -= it->end - it->first;
      d->charged -= it->charge;
      bytes_ -= it->charge;
      it = frags.erase(it);
    } else {
      ++it;
    }
  }
  // At most one held fragment straddles each edge: keep only the new bytes between them.
  uint32_t new_first = first;
  uint32_t new_end = end;
  for (const Fragment& f : frags) {
    if (f.first < first && f.end > first) new_first = f.end;
    if (f.first < end && f.end > end) new_end = f.first;
  }
  if (new_first >= new_end) return Merge::kNothingNew;
  if (new_end < end && !payload.TrimBack(end - new_end)) return Merge::kInconsistent;
  if (new_first > first && !PullFront(payload, new_first - first)) return Merge::kInconsistent;
  const size_t charge = ChargeOf(payload);
  if (!MakeRoom(d, charge)) {
    ++counters_.drop_frag_memory;
    Drop(d);
    return Merge::kDropped;
  }
  auto pos = std::lower_bound(frags.begin(), frags.end(), new_first,
                              [](const Fragment& f, uint32_t off) { return f.first < off; });
  frags.insert(pos, Fragment{new_first, new_end, charge, std::move(payload)});
  d->received += new_end - new_first;
  d->charged += charge;
  bytes_ += charge;
  return Merge::kInserted;
}

bool Reassembler::MakeRoom(Datagram* keep, size_t charge) {
  // Evict the oldest incomplete datagrams (never `keep`) until `charge` more bytes fit.
  while (bytes_ + charge > cfg_.reassembly_max_bytes) {
    ListNode* n = by_age_.front();
    if (n && static_cast<OwnedNode<Datagram>*>(n)->owner() == keep) n = by_age_.Next(n);
    if (!n) return false;
    ++counters_.drop_frag_memory;
    Drop(static_cast<OwnedNode<Datagram>*>(n)->owner());
  }
  return true;
}

std::optional<Reassembled> Reassembler::Complete(Datagram* d) {
  if (d->header_len + d->total > kIpv4MaxDatagram) {
    ++counters_.drop_frag_malformed;
    Drop(d);
    return std::nullopt;
  }
  Reassembled out;
  out.header = d->header;
  out.header_len = d->header_len;
  for (Fragment& f : d->frags) {
    if (!out.payload) {
      out.payload = std::move(f.pkt);
    } else if (!out.payload.Chain(std::move(f.pkt))) {
      ++counters_.drop_frag_malformed;  // too many segments to chain
      Drop(d);
      return std::nullopt;
    }
  }
  Drop(d);
  return out;
}

void Reassembler::Drop(Datagram* d) {
  bytes_ -= d->charged;
  table_.erase(d->key);  // destroys d: its fragments are freed, timer and age node unlinked
}

void Reassembler::OnTimeout(void* ctx, Instant now) {
  (void)now;
  auto* d = static_cast<Datagram*>(ctx);
  ++d->owner->counters_.drop_frag_timeout;
  d->owner->Drop(d);
}

}  // namespace ustack
