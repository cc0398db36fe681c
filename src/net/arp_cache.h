// ArpCache: the IPv4-to-Ethernet neighbour table of one interface (RFC 826). Entries are
// pending (resolution in progress: requests are retried on a timer and outgoing IP packets
// wait in a bounded per-entry queue) or resolved (valid until arp_timeout after the last
// confirmation). The table is bounded by arp_max_entries; when full, the entry confirmed
// longest ago is evicted. One Timer per entry drives both retries and ageing.
// Ownership: the cache owns its entries and the packets queued in them; it talks to its owner
// (the interface) through ArpCacheOwner to send requests and release resolved packets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <vector>

#include "base/addr.h"
#include "base/intrusive_list.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "net/interface.h"

namespace ustack {

class ArpCacheOwner {
 public:
  // Broadcast an ARP request for `target`.
  virtual void SendArpRequest(Ipv4Addr target, Instant now) = 0;
  // A queued IP packet whose next hop just resolved to `mac`.
  virtual void SendResolved(Packet ip_packet, const MacAddr& mac, Instant now) = 0;

 protected:
  ~ArpCacheOwner() = default;
};

class ArpCache {
 public:
  ArpCache(TimerWheel& timers, const InterfaceConfig& cfg, NetCounters& counters,
           ArpCacheOwner& owner);
  ~ArpCache();
  ArpCache(const ArpCache&) = delete;
  ArpCache& operator=(const ArpCache&) = delete;

  enum class Verdict {
    kResolved,  // *mac is set; the packet is untouched
    kQueued,    // the packet waits for resolution (the cache took it)
    kDropped,   // the packet was dropped and counted (queue full)
  };
  // Resolves the next hop of an outgoing IP packet, queueing it when unresolved. A new entry
  // sends its first request at once.
  Verdict Resolve(Ipv4Addr next_hop, Packet& ip_packet, MacAddr* mac, Instant now);

  // RFC 826 merge rule: updates the entry for `ip` when present (flushing packets waiting on
  // it); when absent, creates a resolved entry only if `create`.
  void Learn(Ipv4Addr ip, const MacAddr& mac, bool create, Instant now);

  // RFC 1122 2.3.2.1 (4), higher-layer advice: a transport reports that traffic through the
  // neighbour `ip` goes unanswered. A resolved entry stays usable but is asked for again with
  // a broadcast request (a wrong or changed address is replaced by the reply, RFC 826 merge);
  // at most one such request per arp_retry (RFC 1122 2.3.2.1: no ARP flooding). Returns
  // whether a request was sent.
  bool Revalidate(Ipv4Addr ip, Instant now);

  // The resolved address of `ip`, if any.
  std::optional<MacAddr> Lookup(Ipv4Addr ip) const;
  bool Contains(Ipv4Addr ip) const { return entries_.count(ip.v) != 0; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry;
  static void OnTimer(void* ctx, Instant now);
  Entry* Create(Ipv4Addr ip);
  void Erase(Entry* e);
  void Confirm(Entry* e, const MacAddr& mac, Instant now);

  TimerWheel& timers_;
  const InterfaceConfig& cfg_;
  NetCounters& counters_;
  ArpCacheOwner& owner_;
  std::unordered_map<uint32_t, std::unique_ptr<Entry>> entries_;
  ListHead by_age_;  // front: confirmed (or created) longest ago
};

}  // namespace ustack
