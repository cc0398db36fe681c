// Tests of the frame-size helpers (frame_size.h) and memif devargs (memif_args.h).
#include "port/memif_args.h"

#include <gtest/gtest.h>

#include "port/frame_size.h"

namespace ustack {
namespace {

using Args = std::vector<std::string>;

TEST(FrameSizeTest, DataRoomHoldsAWholeFrameBehindTheHeadroom) {
  EXPECT_EQ(DataRoomForMtu(1500), kDefaultDataRoom);
  EXPECT_EQ(DataRoomForMtu(2034), kDefaultDataRoom);  // 2048-byte frame: the default room
  EXPECT_EQ(DataRoomForMtu(2035), kDefaultDataRoom + 1);
  EXPECT_EQ(DataRoomForMtu(9000), 128 + 14 + 9000);
  EXPECT_EQ(DataRoomForMtu(kMaxPortMtu), UINT16_MAX);
  EXPECT_EQ(DataRoomForMtu(kMaxPortMtu + 1), 0);
  EXPECT_EQ(kMaxPortMtu, 65393);
  EXPECT_EQ(MtuForFrameLen(9014), 9000);
  EXPECT_EQ(MtuForFrameLen(14), 0);
}

TEST(FrameSizeTest, PoolShrinksForLargeRoomsWithinTheBudget) {
  EXPECT_EQ(PoolMbufsFor(kDefaultDataRoom, 8191), 8191u);
  EXPECT_EQ(PoolMbufsFor(DataRoomForMtu(9000), 8191), 8191u);
  const unsigned big = PoolMbufsFor(UINT16_MAX, 8191);
  EXPECT_EQ(big, 2047u);
  EXPECT_LE(uint64_t{big} * UINT16_MAX, kPoolBudgetBytes);
  EXPECT_EQ(PoolMbufsFor(DataRoomForMtu(32000), 8191), 4095u);
  EXPECT_EQ(PoolMbufsFor(UINT16_MAX, 1023), 1023u);  // never more than asked
}

TEST(MemifArgsTest, BufferSizeFromDevargs) {
  EXPECT_EQ(MemifBufferSize(""), kMemifDefaultBufferSize);
  EXPECT_EQ(MemifBufferSize("role=server,socket=/tmp/x"), kMemifDefaultBufferSize);
  EXPECT_EQ(MemifBufferSize("role=client,bsize=9024,rsize=10"), 9024);
  EXPECT_EQ(MemifBufferSize("bsize=65535"), 65535);
  EXPECT_EQ(MemifBufferSize("bsize=65536"), std::nullopt);
  EXPECT_EQ(MemifBufferSize("bsize=0"), std::nullopt);
  EXPECT_EQ(MemifBufferSize("bsize=9k"), std::nullopt);
  EXPECT_EQ(MemifBufferSize("bsize="), std::nullopt);
}

TEST(MemifArgsTest, SizesForMtu) {
  EXPECT_EQ(MemifBufferSizeForMtu(9000), 9024);  // 9014 rounded up to 64
  EXPECT_EQ(MemifBufferSizeForMtu(kMaxPortMtu), 65408);
  EXPECT_EQ(MemifLog2RingForBufferSize(2048), 10);
  EXPECT_EQ(MemifLog2RingForBufferSize(9024), 10);
  EXPECT_EQ(MemifLog2RingForBufferSize(32768), 10);  // 32 MiB per ring
  EXPECT_EQ(MemifLog2RingForBufferSize(32832), 9);
  EXPECT_EQ(MemifLog2RingForBufferSize(65408), 9);
}

TEST(MemifArgsTest, AddsBufferSizeToMemifVdevsOnly) {
  const Args in = {"--no-pci",
                   "--vdev=net_memif0,role=server,socket=/tmp/s",
                   "--vdev",
                   "net_memif1,role=client",
                   "--vdev=net_tap0,iface=t0",
                   "-l",
                   "0"};
  const Args out = WithMemifBufferSize(in, 9000);
  const Args want = {"--no-pci",
                     "--vdev=net_memif0,role=server,socket=/tmp/s,bsize=9024",
                     "--vdev",
                     "net_memif1,role=client,bsize=9024",
                     "--vdev=net_tap0,iface=t0",
                     "-l",
                     "0"};
  EXPECT_EQ(out, want);
}

TEST(MemifArgsTest, LargeBuffersGetASmallerRing) {
  EXPECT_EQ(WithMemifBufferSize({"--vdev=net_memif0"}, 65000),
            Args{"--vdev=net_memif0,bsize=65024,rsize=9"});
  EXPECT_EQ(WithMemifBufferSize({"--vdev=net_memif0,rsize=6"}, 65000),
            Args{"--vdev=net_memif0,rsize=6,bsize=65024"});
}

TEST(MemifArgsTest, LeavesEthernetMtuAndExplicitBufferSizeAlone) {
  const Args in = {"--vdev=net_memif0,role=server"};
  EXPECT_EQ(WithMemifBufferSize(in, 1500), in);
  EXPECT_EQ(WithMemifBufferSize(in, 2034), in);  // a 2048-byte frame fits the default
  const Args expl = {"--vdev=net_memif0,bsize=4096,role=server"};
  EXPECT_EQ(WithMemifBufferSize(expl, 9000), expl);  // DpdkPort::Open refuses it later
  EXPECT_EQ(WithMemifBufferSize({"--vdev"}, 9000), Args{"--vdev"});  // no value: untouched
}

}  // namespace
}  // namespace ustack
