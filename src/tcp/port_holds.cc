// Port holds of closed connections and the bind check against them, see port_holds.h.
#include "tcp/port_holds.h"

namespace ustack {

void PortHolds::Hold(const void* owner, Ipv4Addr addr, uint16_t port, bool reuse_addr,
                     bool reuse_port) {
  if (owners_.Find(owner)) return;
  const uint8_t options = static_cast<uint8_t>((reuse_addr ? 1 : 0) | (reuse_port ? 2 : 0));
  owners_.Insert(Owner{owner, addr, port, options});
  Count(Key(addr, port), options, 1);
  Count(Key(Ipv4Addr::Any(), port) | kAllAddresses, options, 1);
}

void PortHolds::Drop(const void* owner) {
  const Owner* o = owners_.Find(owner);
  if (!o) return;
  const Owner held = *o;
  owners_.EraseFound(o);
  Count(Key(held.addr, held.port), held.options, -1);
  Count(Key(Ipv4Addr::Any(), held.port) | kAllAddresses, held.options, -1);
}

void PortHolds::Count(uint64_t key, uint8_t options, int delta) {
  Counts* c = counts_.Find(key);
  if (delta > 0) {
    if (!c) c = counts_.Insert(Counts{key, {}});
    ++c->by_options[options];
    return;
  }
  if (!c || c->by_options[options] == 0) return;
  --c->by_options[options];
  const uint32_t* n = c->by_options;
  if ((n[0] | n[1] | n[2] | n[3]) == 0) counts_.EraseFound(c);
}

bool PortHolds::Blocks(uint64_t key, bool reuse_addr, bool reuse_port) const {
  const Counts* c = counts_.Find(key);
  if (!c) return false;
  for (uint8_t options = 0; options < 4; ++options) {
    if (c->by_options[options] == 0) continue;
    if (reuse_port && (options & 2)) continue;  // SO_REUSEPORT on both
    if (reuse_addr && (options & 1)) continue;  // SO_REUSEADDR on both
    return true;
  }
  return false;
}

bool PortHolds::Conflicts(Ipv4Addr addr, uint16_t port, bool reuse_addr, bool reuse_port) const {
  if (owners_.empty()) return false;
  // The wildcard overlaps every address; a specific address overlaps itself and the wildcard.
  if (addr.IsAny()) return Blocks(Key(addr, port) | kAllAddresses, reuse_addr, reuse_port);
  return Blocks(Key(addr, port), reuse_addr, reuse_port) ||
         Blocks(Key(Ipv4Addr::Any(), port), reuse_addr, reuse_port);
}

}  // namespace ustack
