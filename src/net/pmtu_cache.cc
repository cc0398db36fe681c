// PmtuCache, see pmtu_cache.h.
#include "net/pmtu_cache.h"

#include <algorithm>
#include <array>

namespace ustack {

uint16_t PmtuCache::Get(Ipv4Addr dst, uint16_t link_mtu, Instant now) const {
  auto it = map_.find(dst.v);
  if (it == map_.end() || it->second.expires <= now) return link_mtu;
  return std::min(it->second.mtu, link_mtu);
}

uint16_t PmtuCache::Reduce(Ipv4Addr dst, uint16_t mtu, uint16_t link_mtu, Instant now) {
  const uint16_t current = Get(dst, link_mtu, now);
  const uint16_t wanted = std::max(mtu, kMinPmtu);
  if (wanted >= current) return current;
  auto it = map_.find(dst.v);
  if (it == map_.end()) {
    MakeRoom(now);
    it = map_.emplace(dst.v, Entry{wanted, now + ttl_}).first;
  }
  it->second = Entry{wanted, now + ttl_};
  return wanted;
}

void PmtuCache::MakeRoom(Instant now) {
  std::erase_if(map_, [now](const auto& kv) { return kv.second.expires <= now; });
  if (map_.size() < max_entries_ || map_.empty()) return;
  auto oldest = std::min_element(map_.begin(), map_.end(), [](const auto& a, const auto& b) {
    return a.second.expires < b.second.expires;
  });
  map_.erase(oldest);
}

uint16_t PmtuPlateauBelow(uint16_t total_length) {
  // RFC 1191 7, Table 7-1: the plateaus of common link MTUs.
  static constexpr std::array<uint16_t, 9> kPlateaus = {32000, 17914, 8166, 4352, 2002,
                                                        1492,  1006,  508,  296};
  for (const uint16_t p : kPlateaus) {
    if (p < total_length) return p;
  }
  return 68;  // RFC 791: every host takes 68-byte datagrams
}

}  // namespace ustack
