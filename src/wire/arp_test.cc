// Tests for the ARP (RFC 826) view and repr: known bytes, round trips, field validation,
// truncation and random garbage.
#include "wire/arp.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/random.h"

namespace ustack {
namespace {

constexpr MacAddr kA{{0x02, 0, 0, 0, 0, 0x01}};

// A request from 02:00:00:00:00:01 (10.0.0.1) for 10.0.0.2.
const std::vector<uint8_t> kRequest = {0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00,
                                       0x00, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x01, 0x00, 0x00,
                                       0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02};

TEST(Arp, ParsesKnownRequest) {
  auto v = ArpView::Parse(kRequest);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->is_ethernet_ipv4());
  EXPECT_EQ(v->op(), 1);
  auto r = ArpRepr::Parse(kRequest);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->op, ArpOp::kRequest);
  EXPECT_EQ(r->sender_mac, kA);
  EXPECT_EQ(r->sender_ip, Ipv4Addr::Of(10, 0, 0, 1));
  EXPECT_TRUE(r->target_mac.IsZero());
  EXPECT_EQ(r->target_ip, Ipv4Addr::Of(10, 0, 0, 2));
}

TEST(Arp, EmitMatchesKnownBytesAndRoundTrips) {
  ArpRepr r{ArpOp::kRequest, kA, Ipv4Addr::Of(10, 0, 0, 1), MacAddr{}, Ipv4Addr::Of(10, 0, 0, 2)};
  std::vector<uint8_t> out(28);
  ASSERT_EQ(r.Emit(out), 28u);
  EXPECT_EQ(out, kRequest);
  ArpRepr reply{ArpOp::kReply, MacAddr{{2, 0, 0, 0, 0, 2}}, Ipv4Addr::Of(10, 0, 0, 2), kA,
                Ipv4Addr::Of(10, 0, 0, 1)};
  ASSERT_EQ(reply.Emit(out), 28u);
  auto p = ArpRepr::Parse(out);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, reply);
  std::vector<uint8_t> small(27);
  EXPECT_EQ(r.Emit(small), 0u);
}

TEST(Arp, RejectsOtherTypesAndOpcodes) {
  auto bad = kRequest;
  bad[1] = 6;  // IEEE 802 hardware
  EXPECT_FALSE(ArpRepr::Parse(bad).ok());
  bad = kRequest;
  bad[3] = 0xdd;  // protocol not IPv4
  EXPECT_FALSE(ArpRepr::Parse(bad).ok());
  bad = kRequest;
  bad[4] = 8;  // hardware length
  EXPECT_FALSE(ArpRepr::Parse(bad).ok());
  bad = kRequest;
  bad[5] = 16;  // protocol length
  EXPECT_FALSE(ArpRepr::Parse(bad).ok());
  bad = kRequest;
  bad[7] = 3;  // RARP request
  auto r = ArpRepr::Parse(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), EOPNOTSUPP);
}

TEST(Arp, TrailingPaddingIsIgnored) {
  auto padded = kRequest;
  padded.resize(46, 0xee);
  auto r = ArpRepr::Parse(padded);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->target_ip, Ipv4Addr::Of(10, 0, 0, 2));
}

TEST(Arp, TruncatedAtEveryLength) {
  for (size_t n = 0; n <= kRequest.size(); ++n) {
    auto s = std::span(kRequest).first(n);
    EXPECT_EQ(ArpView::Parse(s).has_value(), n == 28) << n;
    EXPECT_EQ(ArpRepr::Parse(s).ok(), n == 28) << n;
  }
}

TEST(Arp, RandomGarbageStaysInBounds) {
  Random rng(7);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rng.Below(40));
    for (auto& x : b) x = static_cast<uint8_t>(rng.Next32());
    if (b.size() >= 8 && rng.Chance(0.5))
      std::copy(kRequest.begin(), kRequest.begin() + 8, b.begin());
    auto v = ArpView::Parse(b);
    if (!v) {
      EXPECT_LT(b.size(), 28u);
      continue;
    }
    (void)v->sender_mac();
    (void)v->target_ip();
    auto r = ArpRepr::Parse(b);
    if (r.ok()) {
      EXPECT_TRUE(v->is_ethernet_ipv4());
    }
  }
}

}  // namespace
}  // namespace ustack
