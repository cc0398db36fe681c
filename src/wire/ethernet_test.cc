// Tests for the Ethernet II view and repr: known bytes, round trips, 802.1Q, truncation and
// random garbage.
#include "wire/ethernet.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/random.h"

namespace ustack {
namespace {

constexpr MacAddr kA{{0x02, 0, 0, 0, 0, 0x01}};
constexpr MacAddr kB{{0x02, 0, 0, 0, 0, 0x02}};

TEST(Ethernet, ParsesKnownBytes) {
  const std::vector<uint8_t> f = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,
                                  0,    0,    0,    0x01, 0x08, 0x06, 0xaa, 0xbb};
  auto v = EthernetView::Parse(f);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->dst().IsBroadcast());
  EXPECT_EQ(v->src(), kA);
  EXPECT_EQ(v->ethertype(), kEtherTypeArp);
  EXPECT_FALSE(v->has_vlan());
  EXPECT_EQ(v->vlan_tci(), 0);
  EXPECT_EQ(v->inner_ethertype(), kEtherTypeArp);
  EXPECT_EQ(v->header_len(), 14u);
  ASSERT_EQ(v->payload().size(), 2u);
  EXPECT_EQ(v->payload()[0], 0xaa);
}

TEST(Ethernet, EmitMatchesKnownBytesAndRoundTrips) {
  EthernetRepr r{kB, kA, kEtherTypeIpv4, std::nullopt};
  std::vector<uint8_t> out(14);
  ASSERT_EQ(r.Emit(out), 14u);
  const std::vector<uint8_t> want = {0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00};
  EXPECT_EQ(out, want);
  auto p = EthernetRepr::Parse(out);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, r);
  std::vector<uint8_t> small(13);
  EXPECT_EQ(r.Emit(small), 0u);
}

TEST(Ethernet, VlanTagIsRecognised) {
  EthernetRepr r{kB, kA, kEtherTypeIpv4, uint16_t{0x2064}};
  std::vector<uint8_t> out(18);
  ASSERT_EQ(r.Emit(out), 18u);
  auto v = EthernetView::Parse(out);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->ethertype(), kEtherTypeVlan);
  EXPECT_TRUE(v->has_vlan());
  EXPECT_EQ(v->vlan_tci(), 0x2064);
  EXPECT_EQ(v->inner_ethertype(), kEtherTypeIpv4);
  EXPECT_EQ(v->header_len(), 18u);
  EXPECT_TRUE(v->payload().empty());
  auto p = EthernetRepr::Parse(out);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, r);
  // A tagged frame cut inside the tag is rejected.
  EXPECT_FALSE(EthernetView::Parse(std::span(out).first(16)));
}

TEST(Ethernet, TruncatedAtEveryLength) {
  std::vector<uint8_t> f(18);
  EthernetRepr{kB, kA, kEtherTypeIpv4, uint16_t{7}}.Emit(f);
  for (size_t n = 0; n <= f.size(); ++n) {
    auto v = EthernetView::Parse(std::span(f).first(n));
    EXPECT_EQ(v.has_value(), n >= 18) << n;
    EXPECT_EQ(EthernetRepr::Parse(std::span(f).first(n)).ok(), n >= 18) << n;
  }
}

TEST(Ethernet, RandomGarbageStaysInBounds) {
  Random rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rng.Below(40));
    for (auto& x : b) x = static_cast<uint8_t>(rng.Next32());
    if (b.size() > 13 && rng.Chance(0.3)) {
      b[12] = 0x81;
      b[13] = 0x00;
    }
    auto v = EthernetView::Parse(b);
    if (!v) {
      EXPECT_LT(b.size(), 18u);
      continue;
    }
    EXPECT_LE(v->header_len(), b.size());
    EXPECT_EQ(v->header_len() + v->payload().size(), b.size());
    (void)v->vlan_tci();
    (void)v->inner_ethertype();
  }
}

}  // namespace
}  // namespace ustack
