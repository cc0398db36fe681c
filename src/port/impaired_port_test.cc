// Tests of ImpairedPort around a clean SimLink endpoint (the "device"): held frames come out
// at their time without new traffic in both directions, jitter stays within its bounds, the
// seeded faults hit at their rates, one direction can stay clean, a seed replays exactly,
// refused frames are counted and nothing leaks when the port is destroyed.
#include "port/impaired_port.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "buf/test_eal.h"
#include "port/port_test_util.h"
#include "port/sim_link.h"

namespace ustack {
namespace {

constexpr MacAddr kMacDev{{0x02, 0, 0, 0, 0, 0x0d}};   // the wrapped device
constexpr MacAddr kMacPeer{{0x02, 0, 0, 0, 0, 0x0e}};  // the other end of its wire

class ImpairedPortTest : public ::testing::Test {
 public:
  void SetUp() override { ASSERT_TRUE(InitTestEal()); }
  static rte_mempool* Pool() {
    static PacketPool pool("impaired_test", 16383);
    return pool.get();
  }
};

std::vector<uint8_t> FrameBytes(uint32_t id, size_t len = 100) {
  return porttest::TestFrame(kMacPeer, kMacDev, id, len);
}

using porttest::Contents;
using porttest::IdOf;

void Send(Port& port, uint32_t id, Instant now) {
  Packet p = Packet::FromBytes(port.pool(), FrameBytes(id));
  ASSERT_TRUE(p);
  ASSERT_EQ(port.TxBurst({&p, 1}, now), 1);
}

std::vector<std::vector<uint8_t>> Receive(Port& port, Instant now) {
  std::vector<std::vector<uint8_t>> got;
  Packet burst[32];
  for (uint16_t n = port.RxBurst(burst, now); n > 0; n = port.RxBurst(burst, now)) {
    for (uint16_t i = 0; i < n; ++i) got.push_back(Contents(burst[i]));
  }
  return got;
}

// A clean wire: the impaired port wraps side A; the test plays the peer on side B.
struct Rig {
  Rig(const Impairment& rx, const Impairment& tx, uint64_t seed)
      : link(ImpairedPortTest::Pool(), 1, Impairment{}, Impairment{}, kMacDev, kMacPeer),
        port(link.MakeEndpoint(Side::kA), rx, tx, seed) {}
  SimLink link;
  ImpairedPort port;
  Port& peer() { return link.b(); }
};

Impairment Delay(Duration d, Duration jitter = {}) {
  Impairment imp;
  imp.delay = d;
  imp.jitter = jitter;
  return imp;
}

TEST_F(ImpairedPortTest, CleanPortPassesFramesThroughUntouched) {
  Rig r(Impairment{}, Impairment{}, 1);
  Packet p = Packet::FromBytes(Pool(), FrameBytes(1));
  rte_mbuf* raw = p.mbuf();
  ASSERT_EQ(r.port.TxBurst({&p, 1}, Instant()), 1);
  Packet out[4];
  ASSERT_EQ(r.peer().RxBurst(out, Instant()), 1);
  EXPECT_EQ(out[0].mbuf(), raw);  // no copy
  Send(r.peer(), 2, Instant());
  ASSERT_EQ(r.port.RxBurst(out, Instant()), 1);
  EXPECT_EQ(IdOf(Contents(out[0])), 2u);
  EXPECT_EQ(r.port.mac(), kMacDev);
  EXPECT_EQ(r.port.mtu(), 1500);
  EXPECT_EQ(r.port.pool(), Pool());
  EXPECT_EQ(r.port.stats().tx_packets, 1u);
  EXPECT_EQ(r.port.stats().rx_packets, 1u);
}

TEST_F(ImpairedPortTest, ReceivedFramesAreHeldAndReleasedWithoutNewTraffic) {
  Rig r(Delay(Duration::Millis(5)), Impairment{}, 1);
  const Instant t0 = Instant::FromNanos(1000000);
  Send(r.peer(), 7, t0);
  Packet out[4];
  EXPECT_EQ(r.port.RxBurst(out, t0), 0);  // pulled from the device, now held
  EXPECT_EQ(r.port.InFlight(), 1u);
  EXPECT_EQ(r.port.NextRelease(), t0 + Duration::Millis(5));
  EXPECT_EQ(r.port.RxBurst(out, t0 + Duration::Millis(5) - Duration::Nanos(1)), 0);
  ASSERT_EQ(r.port.RxBurst(out, t0 + Duration::Millis(5)), 1);
  EXPECT_EQ(Contents(out[0]), FrameBytes(7));
  EXPECT_EQ(r.port.rx_stats().delivered, 1u);
  EXPECT_EQ(r.port.NextRelease(), Instant::Max());
}

TEST_F(ImpairedPortTest, SentFramesAreHeldAndReleasedByPolling) {
  Rig r(Impairment{}, Delay(Duration::Millis(5)), 1);
  const Instant t0 = Instant::FromNanos(1000000);
  Send(r.port, 9, t0);  // taken at once
  Packet out[4];
  EXPECT_EQ(r.peer().RxBurst(out, t0 + Duration::Seconds(1)), 0);
  EXPECT_EQ(r.port.RxBurst(out, t0 + Duration::Millis(4)), 0);  // a poll before its time
  EXPECT_EQ(r.peer().RxBurst(out, t0 + Duration::Seconds(1)), 0);
  EXPECT_EQ(r.port.RxBurst(out, t0 + Duration::Millis(5)), 0);  // the poll that releases it
  ASSERT_EQ(r.peer().RxBurst(out, t0 + Duration::Millis(5)), 1);
  EXPECT_EQ(Contents(out[0]), FrameBytes(9));
  EXPECT_EQ(r.port.tx_stats().delivered, 1u);
}

TEST_F(ImpairedPortTest, OneDirectionOnlyLeavesTheOtherClean) {
  Rig r(Impairment{}, Delay(Duration::Millis(5)), 1);
  Send(r.peer(), 1, Instant());
  Packet out[4];
  ASSERT_EQ(r.port.RxBurst(out, Instant()), 1);  // rx is clean: no wait
  EXPECT_EQ(r.port.rx_stats().delivered, 0u);    // and not even counted by a channel
}

TEST_F(ImpairedPortTest, JitterStaysWithinBoundsAndKeepsOrder) {
  // 5 ms +- 2 ms: a 3 ms base delay plus up to 4 ms. Frames arrive every 500 us; the clock
  // steps from event to event (the next arrival or the next release).
  Rig r(Delay(Duration::Millis(3), Duration::Millis(4)), Impairment{}, 3);
  constexpr uint32_t kCount = 300;
  const auto sent_at = [](uint32_t i) { return Instant() + Duration::Micros(500) * i; };
  Duration lo = Duration::Max();
  Duration hi;
  uint32_t next_send = 0;
  uint32_t next_id = 0;
  while (next_id < kCount) {
    const Instant t = next_send < kCount ? Earliest(sent_at(next_send), r.port.NextRelease())
                                         : r.port.NextRelease();
    if (next_send < kCount && t == sent_at(next_send)) Send(r.peer(), next_send++, t);
    for (const auto& f : Receive(r.port, t)) {
      const uint32_t id = IdOf(f);
      ASSERT_EQ(id, next_id++);
      lo = std::min(lo, t - sent_at(id));
      hi = std::max(hi, t - sent_at(id));
    }
  }
  EXPECT_GE(lo, Duration::Millis(3));
  EXPECT_LE(hi, Duration::Millis(7));
  EXPECT_GT(hi - lo, Duration::Millis(3));  // the jitter is visible
}

void ExpectRate(uint64_t observed, uint64_t n, double p) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(observed), mean, 5 * sd + 1);
}

constexpr uint32_t kFrames = 5000;

// Sends kFrames through the impaired transmit side 100 us apart, polling as a stack would;
// returns what the peer received in order.
std::vector<std::vector<uint8_t>> RunTx(Rig& r) {
  std::vector<std::vector<uint8_t>> got;
  Instant t;
  for (uint32_t i = 0; i < kFrames; ++i) {
    t = Instant() + Duration::Micros(100) * i;
    Send(r.port, i, t);
    Packet out[32];
    EXPECT_EQ(r.port.RxBurst(out, t), 0);
    for (auto& f : Receive(r.peer(), t)) got.push_back(std::move(f));
  }
  for (t = r.port.NextRelease(); t != Instant::Max(); t = r.port.NextRelease()) {
    Packet out[32];
    r.port.RxBurst(out, t);
    for (auto& f : Receive(r.peer(), t)) got.push_back(std::move(f));
  }
  return got;
}

Impairment Faulty() {
  Impairment imp = Delay(Duration::Millis(3), Duration::Millis(4));
  imp.reorder = 0.1;
  imp.corrupt = 0.05;
  imp.loss = 0.02;
  imp.duplicate = 0.02;
  imp.reorder_delay = Duration::Millis(2);
  return imp;
}

// A held-back frame arrives after frames sent later than it, never before frames sent ahead
// of it: with jitter (4 ms) wider than the hold (at most 2 ms), only held-back frames may be
// late, so reordering stays within the hold as the option promises.
TEST_F(ImpairedPortTest, HeldBackFramesNeverOvertakeEarlierOnes) {
  Impairment imp = Delay(Duration::Millis(3), Duration::Millis(4));
  imp.reorder = 0.1;
  imp.reorder_delay = Duration::Millis(2);
  Rig r(Impairment{}, imp, 22);
  const auto got = RunTx(r);
  const ImpairmentStats& s = r.port.tx_stats();
  ASSERT_EQ(got.size(), kFrames);
  uint64_t late = 0;  // frames that arrived after a frame sent later
  uint32_t highest = 0;
  for (const auto& f : got) {
    const uint32_t id = IdOf(f);
    if (id < highest) ++late;
    highest = std::max(highest, id);
  }
  EXPECT_GT(late, s.reordered / 2);  // the holds are visible (frames are 100 us apart)
  EXPECT_LE(late, s.reordered);
}

TEST_F(ImpairedPortTest, FaultsHitAtTheirRates) {
  Rig r(Impairment{}, Faulty(), 21);
  const auto got = RunTx(r);
  const ImpairmentStats& s = r.port.tx_stats();
  ExpectRate(s.lost, kFrames, 0.02);
  ExpectRate(s.duplicated, kFrames - s.lost, 0.02);
  ExpectRate(s.reordered, kFrames - s.lost + s.duplicated, 0.1);
  ExpectRate(s.corrupted, kFrames - s.lost + s.duplicated, 0.05);
  EXPECT_EQ(got.size(), kFrames - s.lost + s.duplicated);
  EXPECT_EQ(s.delivered, got.size());
  uint64_t out_of_order = 0;
  uint64_t damaged = 0;
  uint32_t highest = 0;
  for (const auto& f : got) {
    const uint32_t id = IdOf(f);
    if (id < highest) ++out_of_order;
    highest = std::max(highest, id);
    if (f != FrameBytes(id)) ++damaged;  // a flip in the id bytes also shows here
  }
  EXPECT_GT(out_of_order, s.reordered / 2);
  EXPECT_NEAR(static_cast<double>(damaged), static_cast<double>(s.corrupted),
              static_cast<double>(s.corrupted) * 0.1 + 2);
}

TEST_F(ImpairedPortTest, SameSeedReplaysExactly) {
  auto run = [](uint64_t seed) {
    Rig r(Impairment{}, Faulty(), seed);
    return RunTx(r);
  };
  const auto first = run(5);
  EXPECT_EQ(first, run(5));
  EXPECT_NE(first, run(6));
}

// A device whose transmit ring holds one frame per burst.
class OneFramePort final : public Port {
 public:
  uint16_t RxBurst(std::span<Packet>, Instant) override { return 0; }
  uint16_t TxBurst(std::span<Packet> pkts, Instant) override {
    if (pkts.empty()) return 0;
    Packet taken = std::move(pkts[0]);  // freed: sent
    ++sent;
    return 1;
  }
  MacAddr mac() const override { return kMacDev; }
  uint16_t mtu() const override { return 1500; }
  rte_mempool* pool() const override { return ImpairedPortTest::Pool(); }
  PortStats stats() const override { return {}; }
  uint64_t sent = 0;
};

TEST_F(ImpairedPortTest, FramesTheDeviceRefusesAreCountedAndFreed) {
  const unsigned before = rte_mempool_avail_count(Pool());
  auto dev = std::make_unique<OneFramePort>();
  OneFramePort* raw = dev.get();
  ImpairedPort port(std::move(dev), Impairment{}, Delay(Duration::Millis(1)), 1);
  for (uint32_t i = 0; i < 5; ++i) Send(port, i, Instant());
  Packet out[4];
  port.RxBurst(out, Instant() + Duration::Millis(1));
  EXPECT_EQ(raw->sent, 1u);
  EXPECT_EQ(port.tx_refused(), 4u);
  EXPECT_EQ(rte_mempool_avail_count(Pool()), before);
}

TEST_F(ImpairedPortTest, DestroyingThePortFreesHeldFrames) {
  const unsigned before = rte_mempool_avail_count(Pool());
  {
    Impairment slow = Delay(Duration::Seconds(10));
    slow.duplicate = 0.5;
    Rig r(slow, slow, 4);
    for (uint32_t i = 0; i < 100; ++i) {
      Send(r.port, i, Instant());
      Send(r.peer(), i, Instant());
    }
    Packet out[32];
    for (int i = 0; i < 10; ++i) r.port.RxBurst(out, Instant());
    EXPECT_GT(r.port.InFlight(), 200u);
    EXPECT_LT(rte_mempool_avail_count(Pool()), before);
  }
  EXPECT_EQ(rte_mempool_avail_count(Pool()), before);
}

TEST_F(ImpairedPortTest, PrintsItsCounters) {
  Rig r(Impairment{}, Faulty(), 8);
  RunTx(r);
  char* buf = nullptr;
  size_t len = 0;
  FILE* f = open_memstream(&buf, &len);
  r.port.PrintCounters(f);
  std::fclose(f);
  const std::string text(buf, len);
  std::free(buf);
  EXPECT_NE(text.find("impair.tx.delivered "), std::string::npos) << text;
  EXPECT_NE(text.find("impair.tx.reordered "), std::string::npos) << text;
  EXPECT_EQ(text.find("impair.rx."), std::string::npos) << text;
}

}  // namespace
}  // namespace ustack
