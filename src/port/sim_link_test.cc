// Tests of SimLink: delay, rate, queue limit, size checks, seeded impairments (rates roughly
// match their probabilities) and exact replay from a seed.
#include "port/sim_link.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "buf/test_eal.h"
#include "port/port_test_util.h"

namespace ustack {
namespace {

constexpr MacAddr kMacA{{0x02, 0, 0, 0, 0, 0x0a}};
constexpr MacAddr kMacB{{0x02, 0, 0, 0, 0, 0x0b}};

class SimLinkTest : public ::testing::Test {
 public:
  void SetUp() override { ASSERT_TRUE(InitTestEal()); }
  static rte_mempool* Pool() {
    static PacketPool pool("simlink_test", 16383);
    return pool.get();
  }
};

std::vector<uint8_t> FrameBytes(uint32_t id, size_t len = 100) {
  return porttest::TestFrame(kMacB, kMacA, id, len);
}

using porttest::Contents;
using porttest::IdOf;

void Send(Port& port, uint32_t id, Instant now, size_t len = 100) {
  Packet p = Packet::FromBytes(port.pool(), FrameBytes(id, len));
  ASSERT_TRUE(p);
  ASSERT_EQ(port.TxBurst({&p, 1}, now), 1);
}

struct Delivered {
  Instant at;
  std::vector<uint8_t> bytes;
  bool operator==(const Delivered&) const = default;
};

// Steps a manual clock from delivery to delivery up to `until`, appending what arrives.
void DrainUntil(SimLink& link, Side to, Instant until, std::vector<Delivered>& got) {
  Packet burst[8];
  for (Instant t = link.NextDelivery(to); t <= until; t = link.NextDelivery(to)) {
    const uint16_t n = link.endpoint(to).RxBurst(burst, t);
    EXPECT_GT(n, 0);
    for (uint16_t i = 0; i < n; ++i) got.push_back({t, Contents(burst[i])});
  }
}

// Everything still in flight towards `to`, in delivery order.
std::vector<Delivered> DrainAll(SimLink& link, Side to) {
  std::vector<Delivered> got;
  DrainUntil(link, to, Instant::Max() - Duration::Nanos(1), got);
  return got;
}

TEST_F(SimLinkTest, DeliversAfterDelayAndNotBefore) {
  Impairment imp;
  imp.delay = Duration::Millis(5);
  SimLink link(Pool(), 1, imp, Impairment{}, kMacA, kMacB);
  const Instant t0 = Instant::FromNanos(1000000);
  Send(link.a(), 7, t0);
  EXPECT_EQ(link.NextDelivery(), t0 + Duration::Millis(5));
  EXPECT_EQ(link.NextDelivery(Side::kA), Instant::Max());
  Packet out[4];
  EXPECT_EQ(link.b().RxBurst(out, t0 + Duration::Millis(5) - Duration::Nanos(1)), 0);
  EXPECT_EQ(link.a().RxBurst(out, t0 + Duration::Seconds(1)), 0);  // nothing goes back
  ASSERT_EQ(link.b().RxBurst(out, t0 + Duration::Millis(5)), 1);
  EXPECT_EQ(Contents(out[0]), FrameBytes(7));
  EXPECT_EQ(link.NextDelivery(), Instant::Max());
  EXPECT_EQ(link.stats(Side::kA).offered, 1u);
  EXPECT_EQ(link.stats(Side::kA).delivered, 1u);
  EXPECT_EQ(link.a().stats().tx_packets, 1u);
  EXPECT_EQ(link.a().stats().tx_bytes, 100u);
  EXPECT_EQ(link.b().stats().rx_packets, 1u);
  EXPECT_EQ(link.b().stats().rx_bytes, 100u);
  EXPECT_EQ(link.a().stats().rx_packets, 0u);
  EXPECT_EQ(link.a().mac(), kMacA);
  EXPECT_EQ(link.b().mac(), kMacB);
  EXPECT_EQ(link.a().mtu(), 1500);
}

TEST_F(SimLinkTest, BurstSizeLimitsDeliveryAndOrderIsFifo) {
  SimLink link(Pool(), 1, Impairment{}, Impairment{}, kMacA, kMacB);
  for (uint32_t i = 0; i < 10; ++i) Send(link.a(), i, Instant());
  Packet out[4];
  ASSERT_EQ(link.b().RxBurst(out, Instant()), 4);
  EXPECT_EQ(IdOf(Contents(out[0])), 0u);
  EXPECT_EQ(IdOf(Contents(out[3])), 3u);
  ASSERT_EQ(link.b().RxBurst(out, Instant()), 4);
  EXPECT_EQ(IdOf(Contents(out[0])), 4u);
  ASSERT_EQ(link.b().RxBurst(out, Instant()), 2);
  EXPECT_EQ(IdOf(Contents(out[1])), 9u);
}

TEST_F(SimLinkTest, MakeEndpointForwardsToTheLink) {
  SimLink link(Pool(), 1, Impairment{}, Impairment{}, kMacA, kMacB, 9000);
  std::unique_ptr<Port> a = link.MakeEndpoint(Side::kA);
  std::unique_ptr<Port> b = link.MakeEndpoint(Side::kB);
  EXPECT_EQ(a->mac(), kMacA);
  EXPECT_EQ(b->mtu(), 9000);
  EXPECT_EQ(b->pool(), Pool());
  Send(*b, 3, Instant());
  Packet out[2];
  ASSERT_EQ(a->RxBurst(out, Instant()), 1);
  EXPECT_EQ(IdOf(Contents(out[0])), 3u);
  EXPECT_EQ(b->stats().tx_packets, 1u);
  EXPECT_EQ(a->stats().rx_packets, 1u);
}

TEST_F(SimLinkTest, RateLimitSpacesFramesBySerializationTime) {
  Impairment imp;
  imp.rate_bps = 8000000;  // 1000-byte frames take 1 ms each
  imp.delay = Duration::Micros(100);
  SimLink link(Pool(), 1, imp, Impairment{}, kMacA, kMacB);
  for (uint32_t i = 0; i < 5; ++i) Send(link.a(), i, Instant(), 1000);
  const auto got = DrainAll(link, Side::kB);
  ASSERT_EQ(got.size(), 5u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].at,
              Instant() + Duration::Millis(static_cast<int64_t>(i) + 1) + Duration::Micros(100));
    EXPECT_EQ(IdOf(got[i].bytes), i);
  }
  // An idle wire starts serializing at once.
  Send(link.a(), 9, Instant() + Duration::Seconds(1), 1000);
  EXPECT_EQ(link.NextDelivery(),
            Instant() + Duration::Seconds(1) + Duration::Millis(1) + Duration::Micros(100));
}

TEST_F(SimLinkTest, QueueLimitTailDrops) {
  Impairment imp;
  imp.queue_limit = 10;
  imp.delay = Duration::Seconds(1);
  SimLink link(Pool(), 1, imp, Impairment{}, kMacA, kMacB);
  for (uint32_t i = 0; i < 15; ++i) Send(link.a(), i, Instant());
  EXPECT_EQ(link.InFlight(Side::kA), 10u);
  EXPECT_EQ(link.stats(Side::kA).queue_drops, 5u);
  const auto got = DrainAll(link, Side::kB);
  ASSERT_EQ(got.size(), 10u);
  EXPECT_EQ(IdOf(got.back().bytes), 9u);  // the tail was dropped, not the head
  Send(link.a(), 20, Instant() + Duration::Seconds(2));
  EXPECT_EQ(link.InFlight(Side::kA), 1u);
}

TEST_F(SimLinkTest, DropsOversizeAndRuntFrames) {
  SimLink link(Pool(), 1, Impairment{}, Impairment{}, kMacA, kMacB, 1500);
  Send(link.a(), 1, Instant(), 1514);  // fits
  Send(link.a(), 2, Instant(), 1515);  // one byte over
  std::vector<uint8_t> vlan = FrameBytes(3, 1518);
  vlan[12] = 0x81;
  vlan[13] = 0x00;
  Packet tagged = Packet::FromBytes(Pool(), vlan);
  ASSERT_EQ(link.a().TxBurst({&tagged, 1}, Instant()), 1);
  Send(link.a(), 4, Instant(), 10);  // runt
  Packet invalid;
  EXPECT_EQ(link.a().TxBurst({&invalid, 1}, Instant()), 1);
  EXPECT_EQ(link.stats(Side::kA).oversize, 1u);
  EXPECT_EQ(link.stats(Side::kA).runts, 2u);
  EXPECT_EQ(link.stats(Side::kA).offered, 5u);
  EXPECT_EQ(DrainAll(link, Side::kB).size(), 2u);
}

TEST_F(SimLinkTest, JitterAloneKeepsOrder) {
  Impairment imp;
  imp.delay = Duration::Millis(1);
  imp.jitter = Duration::Millis(2);
  SimLink link(Pool(), 5, imp, Impairment{}, kMacA, kMacB);
  for (uint32_t i = 0; i < 500; ++i) {
    Send(link.a(), i, Instant() + Duration::Micros(10) * i);
  }
  const auto got = DrainAll(link, Side::kB);
  ASSERT_EQ(got.size(), 500u);
  bool some_jitter = false;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(IdOf(got[i].bytes), i);
    const Duration lat = got[i].at - (Instant() + Duration::Micros(10) * static_cast<int64_t>(i));
    EXPECT_GE(lat, Duration::Millis(1));
    some_jitter = some_jitter || lat > Duration::Millis(1);
  }
  EXPECT_TRUE(some_jitter);
}

// Sends n frames 100 us apart from A, receiving at B as time advances; returns what arrived.
std::vector<Delivered> RunImpaired(SimLink& link, uint32_t n, size_t len = 100) {
  std::vector<Delivered> got;
  for (uint32_t i = 0; i < n; ++i) {
    const Instant t = Instant() + Duration::Micros(100) * i;
    DrainUntil(link, Side::kB, t, got);
    Send(link.a(), i, t, len);
  }
  DrainUntil(link, Side::kB, Instant::Max() - Duration::Nanos(1), got);
  EXPECT_EQ(link.stats(Side::kA).queue_drops, 0u);
  return got;
}

// |observed - n p| within 5 standard deviations of a binomial.
void ExpectRate(uint64_t observed, uint64_t n, double p) {
  const double mean = static_cast<double>(n) * p;
  const double sd = std::sqrt(static_cast<double>(n) * p * (1 - p));
  EXPECT_NEAR(static_cast<double>(observed), mean, 5 * sd + 1);
}

constexpr uint32_t kFrames = 10000;

TEST_F(SimLinkTest, LossRateMatchesProbability) {
  Impairment imp;
  imp.loss = 0.1;
  SimLink link(Pool(), 11, imp, Impairment{}, kMacA, kMacB);
  const auto got = RunImpaired(link, kFrames);
  ExpectRate(link.stats(Side::kA).lost, kFrames, 0.1);
  EXPECT_EQ(got.size(), kFrames - link.stats(Side::kA).lost);
  EXPECT_EQ(link.stats(Side::kA).delivered, got.size());
}

TEST_F(SimLinkTest, LossBurstIsBoundedAndRateStaysNearProbability) {
  Impairment imp;
  imp.loss = 0.5;
  imp.max_loss_burst = 3;
  SimLink link(Pool(), 13, imp, Impairment{}, kMacA, kMacB);
  const auto got = RunImpaired(link, kFrames);
  // Frame ids are consecutive: a gap between delivered ids is a run of losses.
  uint32_t next = 0;
  uint32_t longest = 0;
  for (const auto& d : got) {
    const uint32_t id = IdOf(d.bytes);
    longest = std::max(longest, id - next);
    next = id + 1;
  }
  EXPECT_LE(longest, 3u);
  EXPECT_GT(link.stats(Side::kA).lost, kFrames / 3);  // bounded runs still lose a lot
  EXPECT_EQ(got.size(), kFrames - link.stats(Side::kA).lost);
}

// A corrupted frame fails its checksum at the receiver, so for the burst limit it is lost:
// the gap between two intact frames never exceeds max_loss_burst.
TEST_F(SimLinkTest, LossBurstCountsCorruptedFrames) {
  Impairment imp;
  imp.loss = 0.4;
  imp.corrupt = 0.4;
  imp.max_loss_burst = 3;
  SimLink link(Pool(), 16, imp, Impairment{}, kMacA, kMacB);
  // Fewer than 256 frames: a bit flipped in the id's upper bytes makes an id out of range.
  constexpr uint32_t kIds = 250;
  const auto got = RunImpaired(link, kIds);
  uint32_t next = 0;
  uint32_t longest = 0;
  uint64_t damaged = 0;
  for (const auto& d : got) {
    const uint32_t id = IdOf(d.bytes);
    if (id >= kIds || d.bytes != FrameBytes(id)) {  // a flipped bit: the receiver drops it
      ++damaged;
      continue;
    }
    longest = std::max(longest, id - next);
    next = id + 1;
  }
  EXPECT_LE(longest, 3u);
  EXPECT_EQ(damaged, link.stats(Side::kA).corrupted);
  EXPECT_GT(link.stats(Side::kA).corrupted, kIds / 10);
  EXPECT_GT(link.stats(Side::kA).lost, kIds / 10);
}

TEST_F(SimLinkTest, DuplicationRateMatchesAndCopiesAreIdentical) {
  Impairment imp;
  imp.duplicate = 0.05;
  SimLink link(Pool(), 12, imp, Impairment{}, kMacA, kMacB);
  const auto got = RunImpaired(link, kFrames);
  const uint64_t dups = link.stats(Side::kA).duplicated;
  ExpectRate(dups, kFrames, 0.05);
  ASSERT_EQ(got.size(), kFrames + dups);
  uint64_t seen_twice = 0;
  for (size_t i = 1; i < got.size(); ++i) {
    if (got[i].bytes == got[i - 1].bytes) ++seen_twice;
    EXPECT_EQ(got[i].bytes, FrameBytes(IdOf(got[i].bytes)));
  }
  EXPECT_EQ(seen_twice, dups);
}

TEST_F(SimLinkTest, ReorderRateMatchesAndLaterFramesOvertake) {
  Impairment imp;
  imp.reorder = 0.1;
  imp.delay = Duration::Millis(1);
  imp.reorder_delay = Duration::Millis(2);
  SimLink link(Pool(), 13, imp, Impairment{}, kMacA, kMacB);
  const auto got = RunImpaired(link, kFrames);
  ASSERT_EQ(got.size(), kFrames);
  ExpectRate(link.stats(Side::kA).reordered, kFrames, 0.1);
  uint64_t out_of_order = 0;
  uint32_t highest = 0;
  for (const auto& d : got) {
    const uint32_t id = IdOf(d.bytes);
    if (id < highest) ++out_of_order;  // arrived after a later frame
    highest = std::max(highest, id);
  }
  // Nearly every held-back frame (>= 10 frames overtake it) arrives late.
  EXPECT_GT(out_of_order, link.stats(Side::kA).reordered * 9 / 10);
  EXPECT_LE(out_of_order, link.stats(Side::kA).reordered);
}

int BitsDifferent(const std::vector<uint8_t>& x, const std::vector<uint8_t>& y) {
  int bits = 0;
  for (size_t i = 0; i < x.size(); ++i) bits += __builtin_popcount(x[i] ^ y[i]);
  return bits;
}

TEST_F(SimLinkTest, CorruptionFlipsExactlyOneBitAtTheRate) {
  Impairment imp;
  imp.corrupt = 0.2;
  SimLink link(Pool(), 14, imp, Impairment{}, kMacA, kMacB);
  const auto got = RunImpaired(link, kFrames, 64);
  ASSERT_EQ(got.size(), kFrames);
  ExpectRate(link.stats(Side::kA).corrupted, kFrames, 0.2);
  uint64_t damaged = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const int bits = BitsDifferent(got[i].bytes, FrameBytes(static_cast<uint32_t>(i), 64));
    EXPECT_LE(bits, 1);
    damaged += bits;
  }
  EXPECT_EQ(damaged, link.stats(Side::kA).corrupted);
}

TEST_F(SimLinkTest, NeverWritesIntoSharedBuffers) {
  Impairment imp;
  imp.corrupt = 1.0;
  SimLink link(Pool(), 15, imp, Impairment{}, kMacA, kMacB);
  Packet mine = Packet::FromBytes(Pool(), FrameBytes(1));
  ASSERT_TRUE(mine);
  rte_mbuf_refcnt_update(mine.mbuf(), 1);  // a second reference, as a retransmit queue holds
  Packet alias(mine.mbuf());
  ASSERT_EQ(link.a().TxBurst({&alias, 1}, Instant()), 1);
  Packet out[1];
  ASSERT_EQ(link.b().RxBurst(out, Instant()), 1);
  EXPECT_NE(out[0].mbuf(), mine.mbuf());
  EXPECT_EQ(BitsDifferent(Contents(out[0]), FrameBytes(1)), 1);
  EXPECT_EQ(Contents(mine), FrameBytes(1));  // the sender's buffer is untouched
  EXPECT_EQ(rte_mbuf_refcnt_read(mine.mbuf()), 1);
}

TEST_F(SimLinkTest, SharedBufferIsCopiedEvenWithoutImpairment) {
  SimLink link(Pool(), 16, Impairment{}, Impairment{}, kMacA, kMacB);
  Packet mine = Packet::FromBytes(Pool(), FrameBytes(2));
  rte_mbuf_refcnt_update(mine.mbuf(), 1);
  Packet alias(mine.mbuf());
  ASSERT_EQ(link.a().TxBurst({&alias, 1}, Instant()), 1);
  Packet out[1];
  ASSERT_EQ(link.b().RxBurst(out, Instant()), 1);
  EXPECT_NE(out[0].mbuf(), mine.mbuf());
  EXPECT_EQ(link.stats(Side::kA).copies, 1u);
  // An exclusively owned frame passes through without a copy.
  Packet solo = Packet::FromBytes(Pool(), FrameBytes(3));
  rte_mbuf* raw = solo.mbuf();
  ASSERT_EQ(link.a().TxBurst({&solo, 1}, Instant()), 1);
  ASSERT_EQ(link.b().RxBurst(out, Instant()), 1);
  EXPECT_EQ(out[0].mbuf(), raw);
}

TEST_F(SimLinkTest, DestroyingTheLinkFreesFramesInFlight) {
  const unsigned before = rte_mempool_avail_count(Pool());
  {
    Impairment imp;
    imp.delay = Duration::Seconds(1);
    imp.duplicate = 0.5;
    SimLink link(Pool(), 17, imp, imp, kMacA, kMacB);
    for (uint32_t i = 0; i < 100; ++i) Send(link.a(), i, Instant());
    EXPECT_GT(link.InFlight(Side::kA), 100u);
    EXPECT_LT(rte_mempool_avail_count(Pool()), before);
  }
  EXPECT_EQ(rte_mempool_avail_count(Pool()), before);
}

TEST_F(SimLinkTest, SetImpairmentPartitionsAndHeals) {
  SimLink link(Pool(), 18, Impairment{}, Impairment{}, kMacA, kMacB);
  Impairment cut;
  cut.loss = 1.0;
  link.SetImpairment(Side::kA, cut);
  EXPECT_EQ(link.impairment(Side::kA).loss, 1.0);
  for (uint32_t i = 0; i < 10; ++i) Send(link.a(), i, Instant());
  Send(link.b(), 50, Instant());  // the other direction still works
  EXPECT_EQ(link.stats(Side::kA).lost, 10u);
  EXPECT_EQ(DrainAll(link, Side::kB).size(), 0u);
  EXPECT_EQ(DrainAll(link, Side::kA).size(), 1u);
  link.SetImpairment(Side::kA, Impairment{});
  Send(link.a(), 11, Instant());
  EXPECT_EQ(DrainAll(link, Side::kB).size(), 1u);
}

std::vector<Delivered> AllImpairmentsRun(uint64_t seed) {
  Impairment imp;
  imp.loss = 0.05;
  imp.duplicate = 0.05;
  imp.reorder = 0.05;
  imp.corrupt = 0.05;
  imp.delay = Duration::Millis(2);
  imp.jitter = Duration::Micros(500);
  imp.rate_bps = 100000000;
  SimLink link(SimLinkTest::Pool(), seed, imp, imp, kMacA, kMacB);
  return RunImpaired(link, 2000);
}

TEST_F(SimLinkTest, SameSeedReplaysExactly) {
  const auto first = AllImpairmentsRun(42);
  const auto second = AllImpairmentsRun(42);
  const auto other = AllImpairmentsRun(43);
  ASSERT_GT(first.size(), 1000u);
  EXPECT_TRUE(first == second);
  EXPECT_FALSE(first == other);
}

}  // namespace
}  // namespace ustack
