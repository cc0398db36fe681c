// FourTuple: the key of a TCP connection, and a keyed hash for the connection table.
// The hash key is drawn from Random at start so remote hosts cannot aim at one bucket.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/addr.h"

namespace ustack {

struct FourTuple {
  Ipv4Addr local;
  uint16_t local_port = 0;
  Ipv4Addr remote;
  uint16_t remote_port = 0;
  bool operator==(const FourTuple&) const = default;
};

// Mixes the tuple with a 64-bit key (a keyed multiply-xorshift; not a MAC, just flood-resistant
// bucket spreading). Stateless apart from the key.
struct FourTupleHash {
  uint64_t key = 0;
  size_t operator()(const FourTuple& t) const {
    uint64_t a = (uint64_t{t.local.v} << 32 | t.remote.v) ^ key;
    uint64_t b = (uint64_t{t.local_port} << 16 | t.remote_port) ^ (key >> 17) ^ (key << 29);
    a *= 0x9e3779b97f4a7c15ULL;
    a ^= a >> 32;
    a += b * 0xc2b2ae3d27d4eb4fULL;
    a ^= a >> 29;
    a *= 0x165667b19e3779f9ULL;
    a ^= a >> 32;
    return static_cast<size_t>(a);
  }
};

}  // namespace ustack
