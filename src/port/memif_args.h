// net_memif's packet buffers, from its devargs. What DPDK 22.11's memif does (from its
// documentation and source, and runs of the installed 22.11.11, see memif_jumbo_test.cc):
//   - dev_info reports max_rx_pktlen 1518 whatever the configuration, so ethdev refuses an
//     MTU above 1500 in rte_eth_dev_configure / rte_eth_dev_set_mtu (memif has no mtu_set);
//     nothing in the data path looks at the MTU or at max_rx_pktlen.
//   - Frames are copied into shared-memory packet buffers of `bsize` bytes (devarg, default
//     2048; the client's value sizes the buffers of both directions). A longer frame is
//     split over descriptors flagged MEMIF_DESC_FLAG_NEXT and reassembled by the receiver
//     (chaining mbufs when one is too small). That path is not reliable: 9014-byte frames
//     over 2048-byte buffers, 700 each way, arrived as 547 intact and 51 corrupt on one side
//     and as 3683 intact-looking, 195 corrupt and 12432 chained "frames" on the other.
// So ustack never lets a frame span memif buffers: the usable MTU of a memif port is
// bsize - 14, and WithMemifBufferSize sets bsize (and a ring size that keeps the shared
// memory bounded) on every memif vdev of an EAL command line where the user did not.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ustack {

constexpr char kMemifDriver[] = "net_memif";
constexpr uint16_t kMemifDefaultBufferSize = 2048;     // bsize when the devarg is absent
constexpr uint8_t kMemifDefaultLog2Ring = 10;          // rsize when absent: 1024 descriptors
constexpr uint32_t kMemifRingBudgetBytes = 32u << 20;  // buffers per ring we size rsize for

// The packet buffer size in a memif devargs string ("role=server,bsize=9088,..."): bsize's
// value, kMemifDefaultBufferSize without one, nullopt when it is not a number in [1, 65535].
std::optional<uint16_t> MemifBufferSize(std::string_view devargs);

// The bsize that carries frames of `mtu` in one buffer (the frame rounded up to 64 bytes),
// and the rsize (log2 of descriptors per ring) that keeps one ring's buffers within
// kMemifRingBudgetBytes (at most the default 10).
uint16_t MemifBufferSizeForMtu(uint16_t mtu);
uint8_t MemifLog2RingForBufferSize(uint16_t bsize);

// `eal_args` with ",bsize=N" (and ",rsize=R" when smaller than the default) appended to each
// net_memif vdev ("--vdev=net_memifX,..." or "--vdev" "net_memifX,...") that sets no bsize,
// when frames of `mtu` do not fit memif's default buffers. Anything else is left as it is;
// an explicit bsize is kept (DpdkPort refuses an MTU it cannot carry).
std::vector<std::string> WithMemifBufferSize(std::vector<std::string> eal_args, uint16_t mtu);

}  // namespace ustack
