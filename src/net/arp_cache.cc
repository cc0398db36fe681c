// ARP cache, see arp_cache.h.
#include "net/arp_cache.h"

#include <algorithm>
#include <utility>

namespace ustack {

struct ArpCache::Entry {
  Entry(ArpCache* c, Ipv4Addr a) : cache(c), ip(a), timer(&ArpCache::OnTimer, this), age(this) {}

  ArpCache* cache;
  Ipv4Addr ip;
  MacAddr mac;
  bool resolved = false;
  int retries = 0;       // requests sent after the first
  Instant last_request;  // of the latest revalidation request (resolved entries)
  bool revalidated = false;
  Timer timer;  // pending: next retry; resolved: expiry
  OwnedNode<Entry> age;
  std::vector<Packet> queue;  // IP packets waiting for resolution, oldest first
};

ArpCache::ArpCache(TimerWheel& timers, const InterfaceConfig& cfg, NetCounters& counters,
                   ArpCacheOwner& owner)
    : timers_(timers), cfg_(cfg), counters_(counters), owner_(owner) {
  entries_.reserve(std::min<uint32_t>(cfg.arp_max_entries, 4096));
}

ArpCache::~ArpCache() = default;

ArpCache::Verdict ArpCache::Resolve(Ipv4Addr next_hop, Packet& ip_packet, MacAddr* mac,
                                    Instant now) {
  auto it = entries_.find(next_hop.v);
  Entry* e = it == entries_.end() ? nullptr : it->second.get();
  if (e && e->resolved) {
    *mac = e->mac;
    return Verdict::kResolved;
  }
  const bool fresh = e == nullptr;
  if (fresh) e = Create(next_hop);
  if (!e || e->queue.size() >= cfg_.arp_queue_per_entry) {
    ++counters_.drop_arp_queue_full;
    ip_packet.Reset();
    return Verdict::kDropped;
  }
  e->queue.push_back(std::move(ip_packet));
  if (fresh) {
    owner_.SendArpRequest(next_hop, now);
    timers_.Arm(&e->timer, now + cfg_.arp_retry);
  }
  return Verdict::kQueued;
}

void ArpCache::Learn(Ipv4Addr ip, const MacAddr& mac, bool create, Instant now) {
  auto it = entries_.find(ip.v);
  Entry* e = it == entries_.end() ? nullptr : it->second.get();
  if (!e) {
    if (!create) return;
    e = Create(ip);
    if (!e) return;
  }
  Confirm(e, mac, now);
}

bool ArpCache::Revalidate(Ipv4Addr ip, Instant now) {
  auto it = entries_.find(ip.v);
  if (it == entries_.end() || !it->second->resolved) return false;  // resolving already
  Entry* e = it->second.get();
  if (e->revalidated && now - e->last_request < cfg_.arp_retry) return false;
  e->revalidated = true;
  e->last_request = now;
  owner_.SendArpRequest(ip, now);
  return true;
}

std::optional<MacAddr> ArpCache::Lookup(Ipv4Addr ip) const {
  auto it = entries_.find(ip.v);
  if (it == entries_.end() || !it->second->resolved) return std::nullopt;
  return it->second->mac;
}

ArpCache::Entry* ArpCache::Create(Ipv4Addr ip) {
  if (cfg_.arp_max_entries == 0) return nullptr;
  // Bounded table: evict the entry confirmed longest ago.
  while (entries_.size() >= cfg_.arp_max_entries) {
    auto* oldest = static_cast<OwnedNode<Entry>*>(by_age_.front());
    if (!oldest) break;
    Erase(oldest->owner());
  }
  auto owned = std::make_unique<Entry>(this, ip);
  Entry* e = owned.get();
  entries_.emplace(ip.v, std::move(owned));
  by_age_.PushBack(&e->age);
  return e;
}

void ArpCache::Erase(Entry* e) {
  // Packets still waiting can never be sent now.
  counters_.drop_arp_unresolved += e->queue.size();
  entries_.erase(e->ip.v);  // destroys e; its timer and age node unlink themselves
}

void ArpCache::Confirm(Entry* e, const MacAddr& mac, Instant now) {
  e->mac = mac;
  e->resolved = true;
  e->retries = 0;
  by_age_.PushBack(&e->age);  // moves it to the young end
  timers_.Arm(&e->timer, now + cfg_.arp_timeout);
  // Release the waiting packets in the order they were queued. Move the queue out first:
  // sending may flush the transmit batch but never re-enters the cache for this entry.
  std::vector<Packet> waiting = std::move(e->queue);
  e->queue.clear();
  for (Packet& p : waiting) owner_.SendResolved(std::move(p), mac, now);
}

void ArpCache::OnTimer(void* ctx, Instant now) {
  auto* e = static_cast<Entry*>(ctx);
  ArpCache* c = e->cache;
  if (e->resolved) {
    c->Erase(e);  // aged out: the next packet to this neighbour resolves it again
    return;
  }
  if (e->retries < c->cfg_.arp_max_retries) {
    ++e->retries;
    c->owner_.SendArpRequest(e->ip, now);
    c->timers_.Arm(&e->timer, now + c->cfg_.arp_retry);
    return;
  }
  c->Erase(e);  // unresolved after every retry: counts its queued packets
}

}  // namespace ustack
