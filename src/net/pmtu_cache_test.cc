// PmtuCache (RFC 1191): per-destination estimates that only go down, a floor, expiry,
// bounded size, and the plateau table for routers that give no next-hop MTU.
#include "net/pmtu_cache.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

constexpr Ipv4Addr kA = Ipv4Addr::Of(192, 0, 2, 1);
constexpr Ipv4Addr kB = Ipv4Addr::Of(192, 0, 2, 2);
constexpr Ipv4Addr kC = Ipv4Addr::Of(192, 0, 2, 3);
const Instant kT0 = Instant::FromNanos(1'000'000'000);

TEST(PmtuCacheTest, LowersOnlyAndExpires) {
  PmtuCache c(Duration::Seconds(600), 8);
  EXPECT_EQ(c.Get(kA, 1500, kT0), 1500);
  EXPECT_EQ(c.Reduce(kA, 1280, 1500, kT0), 1280);
  EXPECT_EQ(c.Get(kA, 1500, kT0), 1280);
  EXPECT_EQ(c.Get(kA, 1000, kT0), 1000);  // the link's MTU still caps it
  EXPECT_EQ(c.Get(kB, 1500, kT0), 1500);
  EXPECT_EQ(c.Reduce(kA, 1400, 1500, kT0), 1280);  // RFC 1191 6.3: no increase by ICMP
  EXPECT_EQ(c.Reduce(kA, 1100, 1500, kT0), 1100);
  EXPECT_EQ(c.Get(kA, 1500, kT0 + Duration::Seconds(599)), 1100);
  EXPECT_EQ(c.Get(kA, 1500, kT0 + Duration::Seconds(600)), 1500);  // try larger again
}

TEST(PmtuCacheTest, FloorResistsTinyReports) {
  PmtuCache c(Duration::Seconds(600), 8);
  EXPECT_EQ(c.Reduce(kA, 68, 1500, kT0), PmtuCache::kMinPmtu);
  EXPECT_EQ(c.Reduce(kA, 0, 1500, kT0), PmtuCache::kMinPmtu);
  EXPECT_EQ(c.Get(kA, 1500, kT0), PmtuCache::kMinPmtu);
}

TEST(PmtuCacheTest, BoundedSizeEvictsTheOldest) {
  PmtuCache c(Duration::Seconds(600), 2);
  c.Reduce(kA, 1200, 1500, kT0);
  c.Reduce(kB, 1200, 1500, kT0 + Duration::Seconds(1));
  c.Reduce(kC, 1200, 1500, kT0 + Duration::Seconds(2));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(c.Get(kA, 1500, kT0 + Duration::Seconds(2)), 1500);  // evicted
  EXPECT_EQ(c.Get(kC, 1500, kT0 + Duration::Seconds(2)), 1200);
}

TEST(PmtuCacheTest, PlateauBelowFollowsRfc1191Table) {
  EXPECT_EQ(PmtuPlateauBelow(1500), 1492);
  EXPECT_EQ(PmtuPlateauBelow(1492), 1006);
  EXPECT_EQ(PmtuPlateauBelow(9000), 8166);
  EXPECT_EQ(PmtuPlateauBelow(65535), 32000);
  EXPECT_EQ(PmtuPlateauBelow(296), 68);
}

}  // namespace
}  // namespace ustack
