// DpdkPort on net_memif with MTUs above 1500 (see memif_args.h).
//   - In the shared test EAL, a memif server device is hot-plugged to check Open's MTU
//     checks: memif's bsize and the pool's data room bound the MTU, with clear errors.
//   - Two child processes (this binary again, filtered to MemifJumboChild.Run and configured
//     through the environment), each with its own EAL and a memif end, exchange numbered
//     frames of mixed sizes up to 9014 bytes and compare every byte. A receiver whose mbufs
//     are smaller than the frames gets them from memif as mbuf chains: those are dropped and
//     counted (PortStats::rx_dropped), never delivered.
#include <gtest/gtest.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "buf/test_eal.h"
#include "port/child_test_util.h"
#include "port/dpdk_port.h"
#include "port/frame_size.h"
#include "port/memif_args.h"

extern char** environ;

namespace ustack {
namespace {

// ---- Open's MTU checks on a hot-plugged memif server (needs no peer) -------------------

class MemifOpenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    name_ = "net_memif" + std::to_string(next_++);
    socket_ = "/ustack-jumbo-open-" + std::to_string(getpid()) + "-" + name_;
  }
  void TearDown() override {
    if (plugged_) rte_eal_hotplug_remove("vdev", name_.c_str());
  }
  // Plugs the device with `extra` devargs; its port id in *port.
  void Plug(const std::string& extra, uint16_t* port) {
    const std::string args = "role=server,socket-abstract=yes,socket=" + socket_ + extra;
    ASSERT_EQ(rte_eal_hotplug_add("vdev", name_.c_str(), args.c_str()), 0) << args;
    plugged_ = true;
    ASSERT_EQ(rte_eth_dev_get_port_by_name(name_.c_str(), port), 0);
  }
  std::string Open(uint16_t port_id, uint16_t mtu, uint16_t data_room, uint16_t* got_mtu,
                   std::string* limit = nullptr) {
    PacketPool pool(("jumbo_open" + std::to_string(next_++)).c_str(), 1023, data_room);
    EXPECT_TRUE(pool.ok());
    DpdkPortConfig cfg;
    cfg.port_id = port_id;
    cfg.mtu = mtu;
    std::string error;
    std::unique_ptr<DpdkPort> p = DpdkPort::Open(cfg, pool, &error);
    if (p) {
      *got_mtu = p->mtu();
      const DpdkCapabilities& c = p->capabilities();
      if (limit != nullptr) *limit = c.mtu_limit;
      std::fprintf(stderr, "opened: mtu %u usable %u (%s) device at %u\n", p->mtu(),
                   c.usable_max_mtu, c.mtu_limit.c_str(), c.configured_mtu);
      EXPECT_GE(c.usable_max_mtu, mtu);
      EXPECT_EQ(c.configured_mtu, std::min<uint16_t>(mtu, 1500));
      plugged_ = false;  // closing the port released the device
      rte_eal_hotplug_remove("vdev", name_.c_str());
    }
    return error;
  }

  static inline int next_ = 0;
  std::string name_;
  std::string socket_;
  bool plugged_ = false;
};

// Frames spanning memif buffers are not reliable in DPDK 22.11 (memif_args.h): refused.
TEST_F(MemifOpenTest, DefaultBufferSizeRefusesJumboMtu) {
  uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(Plug("", &port));
  uint16_t mtu = 0;
  const std::string error = Open(port, 9000, DataRoomForMtu(9000), &mtu);
  EXPECT_NE(error.find("MTU 9000 needs 9014-byte frames but memif buffers hold 2048 bytes"),
            std::string::npos)
      << error;
  EXPECT_NE(error.find("bsize=9024"), std::string::npos) << error;
}

TEST_F(MemifOpenTest, SmallPoolRefusesJumboMtu) {
  uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(Plug(",bsize=9024", &port));
  uint16_t mtu = 0;
  const std::string error = Open(port, 9000, kDefaultDataRoom, &mtu);
  EXPECT_NE(error.find("needs 9014-byte frames in one mbuf"), std::string::npos) << error;
  EXPECT_NE(error.find("the pool needs 9142"), std::string::npos) << error;
}

TEST_F(MemifOpenTest, BufferSizeAndPoolAdmitJumboMtu) {
  uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(Plug(",bsize=9024", &port));
  uint16_t mtu = 0;
  std::string limit;
  const std::string error = Open(port, 9000, DataRoomForMtu(9000), &mtu, &limit);
  EXPECT_EQ(error, "");
  EXPECT_EQ(mtu, 9000);
  EXPECT_EQ(limit, "packet pool data room 9142");
}

TEST_F(MemifOpenTest, LargestMtu) {
  uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(
      Plug(",bsize=" + std::to_string(MemifBufferSizeForMtu(kMaxPortMtu)) + ",rsize=8", &port));
  uint16_t mtu = 0;
  const std::string error = Open(port, kMaxPortMtu, DataRoomForMtu(kMaxPortMtu), &mtu);
  EXPECT_EQ(error, "");
  EXPECT_EQ(mtu, kMaxPortMtu);
}

TEST_F(MemifOpenTest, EthernetMtuUnchanged) {
  uint16_t port = 0;
  ASSERT_NO_FATAL_FAILURE(Plug("", &port));
  uint16_t mtu = 0;
  EXPECT_EQ(Open(port, 1500, kDefaultDataRoom, &mtu), "");
  EXPECT_EQ(mtu, 1500);
}

// ---- two processes: numbered frames of mixed sizes, every byte compared ---------------

constexpr uint16_t kEtherType = 0x88b5;     // IEEE 802 local experimental
constexpr size_t kHeader = 14 + 8 + 4 + 2;  // Ethernet, marker, seq, length
constexpr int kUnsupported = 77;

uint8_t PatternByte(size_t i, uint32_t seq) { return static_cast<uint8_t>(i * 31 + seq * 7); }

// Frame `seq` from `src`, `len` bytes: broadcast, marker (8 chars), seq, len, pattern.
std::vector<uint8_t> Frame(const MacAddr& src, const std::string& marker, uint32_t seq,
                           uint16_t len) {
  std::vector<uint8_t> f(len);
  std::fill(f.begin(), f.begin() + 6, 0xff);
  std::copy(src.b.begin(), src.b.end(), f.begin() + 6);
  f[12] = kEtherType >> 8;
  f[13] = kEtherType & 0xff;
  std::memcpy(f.data() + 14, marker.data(), 8);
  std::memcpy(f.data() + 22, &seq, 4);
  std::memcpy(f.data() + 26, &len, 2);
  for (size_t i = kHeader; i < len; ++i) f[i] = PatternByte(i, seq);
  return f;
}

struct Received {
  uint64_t ok = 0;
  uint64_t bad = 0;
};

// Checks one received frame against what `marker`'s sender must have sent.
void Check(std::span<const uint8_t> f, const std::string& marker, Received* r) {
  if (f.size() < kHeader || std::memcmp(f.data() + 14, marker.data(), 8) != 0) return;
  uint32_t seq = 0;
  uint16_t len = 0;
  std::memcpy(&seq, f.data() + 22, 4);
  std::memcpy(&len, f.data() + 26, 2);
  bool same = len == f.size();
  for (size_t i = kHeader; same && i < f.size(); ++i) same = f[i] == PatternByte(i, seq);
  ++(same ? r->ok : r->bad);
}

struct ChildSpec {
  std::string vdev;
  uint16_t mtu = 1500;
  uint16_t data_room = kDefaultDataRoom;
  std::string out;              // our marker
  std::string in;               // the peer's
  std::vector<uint16_t> sizes;  // frame lengths, cycled
  uint32_t frames = 0;          // sent by each side
  std::string result;           // file for "ok bad dropped sent"
};

const char* const kEnvNames[] = {"JUMBO_VDEV", "JUMBO_MTU",   "JUMBO_ROOM", "JUMBO_OUT",
                                 "JUMBO_IN",   "JUMBO_SIZES", "JUMBO_N",    "JUMBO_RESULT"};

std::vector<std::string> ToEnv(const ChildSpec& s) {
  std::string sizes;
  for (uint16_t z : s.sizes) sizes += (sizes.empty() ? "" : ",") + std::to_string(z);
  const std::string values[] = {s.vdev,
                                std::to_string(s.mtu),
                                std::to_string(s.data_room),
                                s.out,
                                s.in,
                                sizes,
                                std::to_string(s.frames),
                                s.result};
  std::vector<std::string> env;
  for (size_t i = 0; i < std::size(values); ++i)
    env.push_back(std::string(kEnvNames[i]) + "=" + values[i]);
  return env;
}

bool FromEnv(ChildSpec* s) {
  const char* v[std::size(kEnvNames)];
  for (size_t i = 0; i < std::size(kEnvNames); ++i) {
    v[i] = std::getenv(kEnvNames[i]);
    if (v[i] == nullptr) return false;
  }
  s->vdev = v[0];
  s->mtu = static_cast<uint16_t>(std::atoi(v[1]));
  s->data_room = static_cast<uint16_t>(std::atoi(v[2]));
  s->out = v[3];
  s->in = v[4];
  for (const char* p = v[5]; *p != '\0';) {
    char* end = nullptr;
    s->sizes.push_back(static_cast<uint16_t>(std::strtoul(p, &end, 10)));
    p = *end == ',' ? end + 1 : end;
  }
  s->frames = static_cast<uint32_t>(std::atoi(v[6]));
  s->result = v[7];
  return !s->sizes.empty();
}

// Sends s.frames frames (retrying what the ring does not take) and receives the peer's
// until as many arrived or were dropped, then lingers so the peer can finish too.
void Exchange(DpdkPort& port, const ChildSpec& s) {
  Received r;
  uint32_t sent = 0;
  const int64_t deadline = MonotonicMs() + 8000;
  int64_t linger_until = 0;
  while (MonotonicMs() < deadline && (linger_until == 0 || MonotonicMs() < linger_until)) {
    for (int burst = 0; burst < 32 && sent < s.frames; ++burst) {
      Packet p = Packet::FromBytes(port.pool(),
                                   Frame(port.mac(), s.out, sent, s.sizes[sent % s.sizes.size()]));
      ASSERT_TRUE(p);
      if (port.TxBurst({&p, 1}, Instant()) == 0) break;  // not connected yet, or ring full
      ++sent;
    }
    Packet in[32];
    const uint16_t n = port.RxBurst(in, Instant());
    for (uint16_t i = 0; i < n; ++i) {
      std::vector<uint8_t> bytes(in[i].length());
      in[i].CopyOut(0, bytes);
      Check(bytes, s.in, &r);
    }
    if (linger_until == 0 && sent == s.frames &&
        r.ok + r.bad + port.stats().rx_dropped >= s.frames) {
      linger_until = MonotonicMs() + 300;
    }
    if (n == 0) usleep(100);
  }
  std::ofstream(s.result) << r.ok << " " << r.bad << " " << port.stats().rx_dropped << " " << sent
                          << "\n";
}

TEST(MemifJumboChild, Run) {
  ChildSpec s;
  if (!FromEnv(&s)) GTEST_SKIP() << "helper process of MemifJumboTest";
  if (!InitChildEal("ustj", s.vdev) || DpdkPortCount() != 1) {
    std::fprintf(stderr, "child: EAL did not start with %s\n", s.vdev.c_str());
    std::_Exit(kUnsupported);
  }
  {
    PacketPool pool("jumbo_child", 2047, s.data_room);
    ASSERT_TRUE(pool.ok());
    DpdkPortConfig cfg;
    cfg.mtu = s.mtu;
    std::string error;
    std::unique_ptr<DpdkPort> port = DpdkPort::Open(cfg, pool, &error);
    ASSERT_TRUE(port) << error;
    EXPECT_EQ(port->mtu(), s.mtu);
    Exchange(*port, s);
  }
  rte_eal_cleanup();
}

pid_t Spawn(const ChildSpec& s) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
  for (std::string& e : ToEnv(s)) env.push_back(std::move(e));
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string exe = "/proc/self/exe";
  std::string filter = "--gtest_filter=MemifJumboChild.Run";
  char* argv[] = {exe.data(), filter.data(), nullptr};
  pid_t pid = -1;
  return posix_spawn(&pid, exe.c_str(), nullptr, nullptr, argv, envp.data()) == 0 ? pid : -1;
}

struct Outcome {
  uint64_t ok = 0, bad = 0, dropped = 0, sent = 0;
};

// Runs a server and a client child; false when memif cannot start here.
bool RunPair(ChildSpec server, ChildSpec client, Outcome* so, Outcome* co) {
  const std::string base = "/tmp/ustack-jumbo-" + std::to_string(getpid());
  const std::string common = ",id=0,socket-abstract=yes,socket=" + base;
  server.vdev = "net_memif0,role=server" + common + server.vdev;
  client.vdev = "net_memif0,role=client" + common + client.vdev;
  server.out = client.in = "ustackJS";
  client.out = server.in = "ustackJC";
  server.result = base + ".server";
  client.result = base + ".client";
  const pid_t s = Spawn(server);
  usleep(100000);  // the server listens first; the client retries anyway
  const pid_t c = Spawn(client);
  EXPECT_GT(s, 0);
  EXPECT_GT(c, 0);
  const int64_t deadline = MonotonicMs() + 15000;
  const int ss = WaitChildUntil(s, deadline);
  const int cs = WaitChildUntil(c, deadline);
  if (WIFEXITED(ss) && WIFEXITED(cs) &&
      (WEXITSTATUS(ss) == kUnsupported || WEXITSTATUS(cs) == kUnsupported)) {
    return false;
  }
  EXPECT_TRUE(WIFEXITED(ss) && WEXITSTATUS(ss) == 0) << "server child failed, status " << ss;
  EXPECT_TRUE(WIFEXITED(cs) && WEXITSTATUS(cs) == 0) << "client child failed, status " << cs;
  std::ifstream(server.result) >> so->ok >> so->bad >> so->dropped >> so->sent;
  std::ifstream(client.result) >> co->ok >> co->bad >> co->dropped >> co->sent;
  std::remove(server.result.c_str());
  std::remove(client.result.c_str());
  std::fprintf(stderr,
               "server: ok %lu bad %lu dropped %lu sent %lu; client: same %lu %lu %lu %lu\n",
               so->ok, so->bad, so->dropped, so->sent, co->ok, co->bad, co->dropped, co->sent);
  return true;
}

const std::vector<uint16_t> kMixedSizes = {9014, 60, 1514, 5003, 9014, 2048, 8999};

TEST(MemifJumboTest, JumboFramesArriveIntactBothWays) {
  ChildSpec side;
  side.vdev = ",bsize=" + std::to_string(MemifBufferSizeForMtu(9000));
  side.mtu = 9000;
  side.data_room = DataRoomForMtu(9000);
  side.sizes = kMixedSizes;
  side.frames = 1400;
  Outcome so, co;
  if (!RunPair(side, side, &so, &co)) GTEST_SKIP() << "net_memif did not start here";
  EXPECT_EQ(so.sent, side.frames);
  EXPECT_EQ(co.sent, side.frames);
  EXPECT_EQ(so.ok, side.frames);
  EXPECT_EQ(co.ok, side.frames);
  EXPECT_EQ(so.bad + co.bad + so.dropped + co.dropped, 0u);
}

// The client keeps MTU 1500 and 2048-byte mbufs on memif buffers of 9024 bytes: the
// server's longer frames reach it as mbuf chains, which its port drops and counts.
TEST(MemifJumboTest, ChainedFramesAreDroppedAndCounted) {
  ChildSpec server;
  server.vdev = ",bsize=9024";
  server.mtu = 9000;
  server.data_room = DataRoomForMtu(9000);
  server.sizes = kMixedSizes;
  server.frames = 700;
  ChildSpec client = server;
  client.mtu = 1500;
  client.data_room = kDefaultDataRoom;
  client.sizes = {60, 1514};
  Outcome so, co;
  if (!RunPair(server, client, &so, &co)) GTEST_SKIP() << "net_memif did not start here";
  uint64_t small = 0;
  for (uint32_t i = 0; i < server.frames; ++i) {
    small += kMixedSizes[i % kMixedSizes.size()] <= kDefaultDataRoom - kMbufHeadroom;
  }
  EXPECT_EQ(so.ok, server.frames);  // the client's frames, all small
  EXPECT_EQ(co.ok, small);
  EXPECT_EQ(co.dropped, server.frames - small);
  EXPECT_EQ(so.bad + co.bad + so.dropped, 0u);
}

}  // namespace
}  // namespace ustack
