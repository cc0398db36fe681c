// Frame and buffer sizes for a port's MTU. Every frame a DpdkPort sends or receives sits in
// one mbuf (TCP builds each segment in one mbuf; see DpdkPort for received chains), so the
// packet pool's mbufs must hold a whole frame behind the standard headroom. The data room of
// an mbuf is a uint16_t, which bounds the MTU well below IPv4's 65535-byte total length.
#pragma once

#include <cstdint>

namespace ustack {

constexpr uint16_t kEthernetHeaderLen = 14;  // no FCS: the devices used here strip it
constexpr uint16_t kMbufHeadroom = 128;      // RTE_PKTMBUF_HEADROOM (checked in frame_size.cc)
constexpr uint16_t kDefaultDataRoom = 2048 + kMbufHeadroom;  // PacketPool's default
constexpr uint16_t kMinPortMtu = 576;
// The largest MTU whose frame fits one mbuf: headroom + Ethernet header + MTU <= 65535.
constexpr uint16_t kMaxPortMtu = UINT16_MAX - kMbufHeadroom - kEthernetHeaderLen;

// Bytes on the wire (without FCS) of a full-sized frame.
constexpr uint32_t FrameLenForMtu(uint16_t mtu) { return uint32_t{mtu} + kEthernetHeaderLen; }

// The MTU whose frames fill `bytes` (0 if not even a header fits).
constexpr uint16_t MtuForFrameLen(uint32_t bytes) {
  return bytes <= kEthernetHeaderLen ? 0 : static_cast<uint16_t>(bytes - kEthernetHeaderLen);
}

// The mbuf data room (headroom included) for frames of `mtu` in one mbuf: the default room
// for Ethernet MTUs, more above; 0 when mtu > kMaxPortMtu.
uint16_t DataRoomForMtu(uint16_t mtu);

// How many mbufs of `data_room` bytes a pool gets: `max_count` while that stays within
// kPoolBudgetBytes of data, fewer (but at least kMinPoolMbufs) for large rooms, so a 64 KiB
// MTU does not ask for half a gigabyte.
constexpr uint64_t kPoolBudgetBytes = 160ull << 20;
constexpr unsigned kMinPoolMbufs = 2047;
unsigned PoolMbufsFor(uint16_t data_room, unsigned max_count);

}  // namespace ustack
