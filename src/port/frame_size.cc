// Frame and buffer sizes, see frame_size.h.
#include "port/frame_size.h"

#include <rte_mbuf.h>

#include <algorithm>

namespace ustack {

static_assert(kMbufHeadroom == RTE_PKTMBUF_HEADROOM, "frame_size.h assumes DPDK's headroom");

uint16_t DataRoomForMtu(uint16_t mtu) {
  if (mtu > kMaxPortMtu) return 0;
  const uint32_t room = uint32_t{kMbufHeadroom} + FrameLenForMtu(mtu);
  return static_cast<uint16_t>(std::max<uint32_t>(room, kDefaultDataRoom));
}

unsigned PoolMbufsFor(uint16_t data_room, unsigned max_count) {
  if (data_room == 0) return max_count;
  const uint64_t fit = kPoolBudgetBytes / data_room;
  // rte_mempool is most efficient at 2^n - 1 elements.
  unsigned count = max_count;
  while (count > kMinPoolMbufs && count > fit) count = (count + 1) / 2 - 1;
  return std::max(std::min(count, max_count), std::min(kMinPoolMbufs, max_count));
}

}  // namespace ustack
