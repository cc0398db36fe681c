// PortHolds: the local ports that closed, not yet freed connections keep in use (RFC 9293
// 3.6.1: a connection in TIME-WAIT, FIN-WAIT, ... still owns its port), and the bind check
// against them with Linux's rules: sharing needs SO_REUSEPORT on both, or SO_REUSEADDR on
// both; otherwise overlapping addresses (equal, or either the wildcard) conflict.
// Holders are counted per option pair (bit 0 SO_REUSEADDR, bit 1 SO_REUSEPORT) under two
// keys, the holder's address and port, and the port with any address, so a check is a few
// lookups however many connections hold the port. All in flat tables of values: holding and
// dropping never allocate in steady state.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/addr.h"
#include "base/flat_table.h"
#include "tcp/flow.h"

namespace ustack {

class PortHolds {
 public:
  // `key` keys the hash of the (address, port) table.
  explicit PortHolds(uint64_t key) : counts_(CountHash{FourTupleHash{key}}) {}

  // Records that `owner` holds (addr, port); an owner holds at most one port, once.
  void Hold(const void* owner, Ipv4Addr addr, uint16_t port, bool reuse_addr, bool reuse_port);
  // Forgets owner's hold, if it has one.
  void Drop(const void* owner);
  bool holds(const void* owner) const { return owners_.Find(owner) != nullptr; }
  bool empty() const { return owners_.empty(); }
  // Whether a socket binding (addr, port) with these options conflicts with a holder.
  bool Conflicts(Ipv4Addr addr, uint16_t port, bool reuse_addr, bool reuse_port) const;

 private:
  static constexpr uint64_t kAllAddresses = uint64_t{1} << 48;
  static uint64_t Key(Ipv4Addr a, uint16_t port) { return uint64_t{port} << 32 | a.v; }

  struct Counts {  // holders of one key per option pair
    uint64_t key = 0;
    uint32_t by_options[4] = {};
  };
  struct CountsKey {
    uint64_t operator()(const Counts& c) const { return c.key; }
  };
  struct CountHash {
    FourTupleHash keyed;
    size_t operator()(uint64_t k) const {
      return keyed(FourTuple{Ipv4Addr{static_cast<uint32_t>(k)}, static_cast<uint16_t>(k >> 32),
                             Ipv4Addr{}, static_cast<uint16_t>(k >> 48)});
    }
  };
  struct Owner {
    const void* owner = nullptr;
    Ipv4Addr addr;
    uint16_t port = 0;
    uint8_t options = 0;
  };
  struct OwnerKey {
    const void* operator()(const Owner& o) const { return o.owner; }
  };
  struct PointerHash {
    size_t operator()(const void* p) const {
      uint64_t x = reinterpret_cast<uintptr_t>(p);
      x ^= x >> 29;
      x *= 0xbf58476d1ce4e5b9ULL;
      return static_cast<size_t>(x ^ (x >> 32));
    }
  };

  void Count(uint64_t key, uint8_t options, int delta);
  bool Blocks(uint64_t key, bool reuse_addr, bool reuse_port) const;

  FlatTable<Counts, uint64_t, CountsKey, CountHash> counts_;
  FlatTable<Owner, const void*, OwnerKey, PointerHash> owners_;
};

}  // namespace ustack
