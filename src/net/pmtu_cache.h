// PmtuCache: per-destination path MTU estimates learned from ICMP "fragmentation needed"
// (RFC 1191 3/6.3). An entry only ever lowers the interface MTU; it expires after `ttl` so
// that a larger MTU is tried again (RFC 1191 6.3 suggests 10 minutes). Bounded: when full,
// the entry that expires first makes room.
// Ownership: a plain value inside the network interface. Single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "base/addr.h"
#include "base/time.h"

namespace ustack {

class PmtuCache {
 public:
  // RFC 1191 3 allows estimates down to 68 (RFC 791's minimum); like Linux's min_pmtu we
  // do not believe anything below 552, which keeps a forged ICMP from shrinking segments to
  // almost nothing (RFC 5927 7).
  static constexpr uint16_t kMinPmtu = 552;

  PmtuCache(Duration ttl, size_t max_entries) : ttl_(ttl), max_entries_(max_entries) {}

  // The path MTU towards dst: the cached estimate if fresh, else `link_mtu`.
  uint16_t Get(Ipv4Addr dst, uint16_t link_mtu, Instant now) const;
  // Lowers the estimate for dst to `mtu` (raised to kMinPmtu). Never raises a fresh entry
  // (RFC 1191 6.3: increases come only from the timeout). Returns the estimate now in force.
  uint16_t Reduce(Ipv4Addr dst, uint16_t mtu, uint16_t link_mtu, Instant now);
  size_t size() const { return map_.size(); }

 private:
  struct Entry {
    uint16_t mtu;
    Instant expires;
  };
  void MakeRoom(Instant now);

  Duration ttl_;
  size_t max_entries_;
  std::unordered_map<uint32_t, Entry> map_;
};

// RFC 1191 5 / 7: a router that sends no next-hop MTU (code 4 with the field zero) leaves
// the host to guess: the largest plateau below the total length of the datagram it refused.
uint16_t PmtuPlateauBelow(uint16_t total_length);

}  // namespace ustack
