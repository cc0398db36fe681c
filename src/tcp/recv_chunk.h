// RecvChunk: a run of received payload bytes inside the packet they arrived in.
#pragma once

#include <cstdint>

#include "buf/packet.h"

namespace ustack {

struct RecvChunk {
  Packet pkt;        // may be invalid when len == 0
  uint32_t off = 0;  // first payload byte within pkt
  uint32_t len = 0;
};

}  // namespace ustack
