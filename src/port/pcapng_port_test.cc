// Tests of PcapngPort: the file is parsed back block by block (types, lengths, options,
// frame bytes, directions, timestamps); tshark, when installed, must read it too.
#include "port/pcapng_port.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "buf/test_eal.h"
#include "port/sim_link.h"

namespace ustack {
namespace {

constexpr MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
constexpr MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};
constexpr int64_t kWall = 1700000000LL * 1000000000LL;  // fixed wall clock at open

class PcapngPortTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    path_ = ::testing::TempDir() + "ustack_pcapng_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcapng";
  }
  void TearDown() override { std::remove(path_.c_str()); }
  static rte_mempool* Pool() {
    static PacketPool pool("pcapng_test", 2047);
    return pool.get();
  }
  std::string path_;
};

std::vector<uint8_t> Frame(uint8_t tag, size_t len) {
  std::vector<uint8_t> f(len);
  for (size_t i = 0; i < len; ++i) f[i] = static_cast<uint8_t>(i + tag);
  f[12] = 0x88;
  f[13] = 0xb5;
  return f;
}

// A parsed pcapng block; `body` excludes type and both length fields.
struct Block {
  uint32_t type = 0;
  std::vector<uint8_t> body;
};

uint32_t Le32(const std::vector<uint8_t>& b, size_t off) {
  uint32_t v;
  std::memcpy(&v, b.data() + off, 4);
  return v;
}
uint16_t Le16(const std::vector<uint8_t>& b, size_t off) {
  uint16_t v;
  std::memcpy(&v, b.data() + off, 2);
  return v;
}

// Splits the file into blocks, checking each block's framing.
std::vector<Block> ReadBlocks(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), {});
  std::vector<Block> blocks;
  size_t off = 0;
  while (off < data.size()) {
    EXPECT_GE(data.size() - off, 12u);
    if (data.size() - off < 12) break;
    const uint32_t len = Le32(data, off + 4);
    EXPECT_EQ(len % 4, 0u);
    EXPECT_LE(len, data.size() - off);
    if (len < 12 || len > data.size() - off) break;
    EXPECT_EQ(Le32(data, off + len - 4), len) << "trailing length differs";
    blocks.push_back({Le32(data, off), {data.begin() + off + 8, data.begin() + off + len - 4}});
    off += len;
  }
  return blocks;
}

// Options starting at `off` of a body: code -> value.
std::vector<std::pair<uint16_t, std::vector<uint8_t>>> Options(const std::vector<uint8_t>& b,
                                                               size_t off) {
  std::vector<std::pair<uint16_t, std::vector<uint8_t>>> opts;
  while (off + 4 <= b.size()) {
    const uint16_t code = Le16(b, off);
    const uint16_t len = Le16(b, off + 2);
    if (code == 0) break;
    EXPECT_LE(off + 4 + len, b.size());
    if (off + 4 + len > b.size()) break;
    opts.push_back({code, {b.begin() + off + 4, b.begin() + off + 4 + len}});
    off += 4 + ((len + 3u) & ~3u);
  }
  return opts;
}

struct Epb {
  uint64_t ts = 0;
  uint32_t caplen = 0;
  uint32_t origlen = 0;
  std::vector<uint8_t> data;
  uint32_t flags = 0;
};

Epb ParseEpb(const Block& b) {
  Epb e;
  EXPECT_EQ(b.type, 6u);
  EXPECT_GE(b.body.size(), 20u);
  EXPECT_EQ(Le32(b.body, 0), 0u);  // interface 0
  e.ts = uint64_t{Le32(b.body, 4)} << 32 | Le32(b.body, 8);
  e.caplen = Le32(b.body, 12);
  e.origlen = Le32(b.body, 16);
  EXPECT_LE(20 + e.caplen, b.body.size());
  e.data.assign(b.body.begin() + 20, b.body.begin() + 20 + e.caplen);
  for (const auto& [code, value] : Options(b.body, 20 + ((e.caplen + 3u) & ~3u))) {
    if (code == 2 && value.size() == 4) e.flags = Le32(value, 0);
  }
  return e;
}

void CheckHeaders(const std::vector<Block>& blocks, uint32_t snaplen) {
  ASSERT_GE(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].type, 0x0A0D0D0Au);
  EXPECT_EQ(Le32(blocks[0].body, 0), 0x1A2B3C4Du);
  EXPECT_EQ(Le16(blocks[0].body, 4), 1);  // version 1.0
  EXPECT_EQ(Le16(blocks[0].body, 6), 0);
  EXPECT_EQ(blocks[1].type, 1u);
  EXPECT_EQ(Le16(blocks[1].body, 0), 1);  // LINKTYPE_ETHERNET
  EXPECT_EQ(Le32(blocks[1].body, 4), snaplen);
  bool tsresol = false;
  for (const auto& [code, value] : Options(blocks[1].body, 8)) {
    if (code == 9) tsresol = value == std::vector<uint8_t>{9};
  }
  EXPECT_TRUE(tsresol);
}

TEST_F(PcapngPortTest, RecordsBothDirectionsOverASimLink) {
  SimLink link(Pool(), 1, Impairment{}, Impairment{}, kMacA, kMacB);
  std::string error;
  auto a = PcapngPort::Wrap(link.MakeEndpoint(Side::kA), path_, PcapngOptions{}, kWall, &error);
  ASSERT_TRUE(a) << error;
  const Instant t0 = Instant::FromNanos(5000000000);
  Packet out[2] = {Packet::FromBytes(Pool(), Frame(1, 60)),
                   Packet::FromBytes(Pool(), Frame(2, 61))};
  ASSERT_EQ(a->TxBurst(out, t0), 2);
  Packet back = Packet::FromBytes(Pool(), Frame(3, 1514));
  ASSERT_EQ(link.b().TxBurst({&back, 1}, t0), 1);
  Packet in[4];
  ASSERT_EQ(a->RxBurst(in, t0 + Duration::Micros(1500)), 1);
  EXPECT_EQ(a->frames_written(), 3u);
  EXPECT_EQ(a->mac(), kMacA);
  a.reset();  // flushes and closes

  const auto blocks = ReadBlocks(path_);
  CheckHeaders(blocks, 65535);
  ASSERT_EQ(blocks.size(), 5u);
  const Epb e0 = ParseEpb(blocks[2]);
  const Epb e1 = ParseEpb(blocks[3]);
  const Epb e2 = ParseEpb(blocks[4]);
  EXPECT_EQ(e0.data, Frame(1, 60));
  EXPECT_EQ(e0.origlen, 60u);
  EXPECT_EQ(e0.flags, 2u);  // outbound
  EXPECT_EQ(e0.ts, static_cast<uint64_t>(kWall));
  EXPECT_EQ(e1.data, Frame(2, 61));
  EXPECT_EQ(e2.data, Frame(3, 1514));
  EXPECT_EQ(e2.flags, 1u);  // inbound
  EXPECT_EQ(e2.ts, static_cast<uint64_t>(kWall) + 1500000);
}

TEST_F(PcapngPortTest, SnaplenCutsFramesButKeepsOriginalLength) {
  SimLink link(Pool(), 1, Impairment{}, Impairment{}, kMacA, kMacB);
  std::string error;
  auto a = PcapngPort::Wrap(link.MakeEndpoint(Side::kA), path_, 64, &error);
  ASSERT_TRUE(a) << error;
  Packet p = Packet::FromBytes(Pool(), Frame(9, 1000));
  ASSERT_EQ(a->TxBurst({&p, 1}, Instant()), 1);
  a.reset();
  const auto blocks = ReadBlocks(path_);
  CheckHeaders(blocks, 64);
  ASSERT_EQ(blocks.size(), 3u);
  const Epb e = ParseEpb(blocks[2]);
  EXPECT_EQ(e.caplen, 64u);
  EXPECT_EQ(e.origlen, 1000u);
  const auto full = Frame(9, 1000);
  EXPECT_EQ(e.data, std::vector<uint8_t>(full.begin(), full.begin() + 64));
}

// A port that takes at most `accept` frames per burst and keeps them.
class StingyPort final : public Port {
 public:
  explicit StingyPort(size_t accept) : accept_(accept) {}
  uint16_t RxBurst(std::span<Packet>, Instant) override { return 0; }
  uint16_t TxBurst(std::span<Packet> pkts, Instant) override {
    const size_t n = std::min(accept_, pkts.size());
    for (size_t i = 0; i < n; ++i) pkts[i].Reset();  // "sent": freed like a NIC would
    return static_cast<uint16_t>(n);
  }
  MacAddr mac() const override { return kMacA; }
  uint16_t mtu() const override { return 1500; }
  rte_mempool* pool() const override { return nullptr; }
  PortStats stats() const override { return {}; }

 private:
  size_t accept_;
};

TEST_F(PcapngPortTest, TxRecordsOnlyFramesTheInnerPortTook) {
  std::string error;
  auto port = PcapngPort::Wrap(std::make_unique<StingyPort>(2), path_, 0, &error);
  ASSERT_TRUE(port) << error;
  Packet pkts[4];
  for (uint8_t i = 0; i < 4; ++i) pkts[i] = Packet::FromBytes(Pool(), Frame(i, 100));
  ASSERT_EQ(port->TxBurst(pkts, Instant()), 2);
  EXPECT_FALSE(pkts[0]);
  EXPECT_TRUE(pkts[2]);  // still the caller's
  EXPECT_EQ(port->frames_written(), 2u);
  port.reset();
  const auto blocks = ReadBlocks(path_);
  ASSERT_EQ(blocks.size(), 4u);
  EXPECT_EQ(ParseEpb(blocks[2]).data, Frame(0, 100));
  EXPECT_EQ(ParseEpb(blocks[3]).data, Frame(1, 100));
}

TEST_F(PcapngPortTest, OpenFailureReportsAndKeepsInner) {
  std::string error;
  std::unique_ptr<Port> inner = std::make_unique<StingyPort>(1);
  auto port = PcapngPort::Wrap(std::move(inner), "/nonexistent-dir/x.pcapng", 0, &error);
  EXPECT_FALSE(port);
  EXPECT_NE(error.find("/nonexistent-dir/x.pcapng"), std::string::npos) << error;
  EXPECT_TRUE(inner);  // not consumed on failure
}

TEST_F(PcapngPortTest, TsharkReadsTheFile) {
  if (access("/usr/bin/tshark", X_OK) != 0) GTEST_SKIP() << "tshark not installed";
  SimLink link(Pool(), 1, Impairment{}, Impairment{}, kMacA, kMacB);
  std::string error;
  auto a = PcapngPort::Wrap(link.MakeEndpoint(Side::kA), path_, PcapngOptions{}, kWall, &error);
  ASSERT_TRUE(a) << error;
  for (uint8_t i = 0; i < 5; ++i) {
    Packet p = Packet::FromBytes(Pool(), Frame(i, 60 + i));
    ASSERT_EQ(a->TxBurst({&p, 1}, Instant() + Duration::Millis(i)), 1);
  }
  Packet p = Packet::FromBytes(Pool(), Frame(7, 200));
  ASSERT_EQ(link.b().TxBurst({&p, 1}, Instant()), 1);
  Packet in[1];
  ASSERT_EQ(a->RxBurst(in, Instant() + Duration::Millis(9)), 1);
  a.reset();

  const std::string cmd = "/usr/bin/tshark -r '" + path_ +
                          "' -T fields -e frame.len -e frame.packet_flags_direction 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::vector<std::string> lines;
  char buf[256];
  while (fgets(buf, sizeof buf, f) != nullptr) lines.emplace_back(buf);
  EXPECT_EQ(pclose(f), 0);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(lines[0], "60\t0x00000002\n");
  EXPECT_EQ(lines[4], "64\t0x00000002\n");
  EXPECT_EQ(lines[5], "200\t0x00000001\n");
}

}  // namespace
}  // namespace ustack
