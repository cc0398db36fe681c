// PortHolds (port_holds.h): the bind check against closed connections' ports, against a
// brute-force model of Linux's rules over random holders (seed printed; replay with
// USTACK_PORT_HOLDS_SEED), and the wildcard holder and repeated holds by one owner.
#include "tcp/port_holds.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "base/random.h"
#include "base/test_seed.h"

namespace ustack {
namespace {

struct ModelHold {
  int owner;
  Ipv4Addr addr;
  uint16_t port;
  bool reuse_addr;
  bool reuse_port;
};

// Linux's bind rules against a closed connection's socket: overlapping addresses conflict
// unless both set SO_REUSEPORT or both set SO_REUSEADDR.
bool ModelConflicts(const std::vector<ModelHold>& holds, Ipv4Addr addr, uint16_t port, bool ra,
                    bool rp) {
  for (const ModelHold& h : holds) {
    if (h.port != port) continue;
    if (!addr.IsAny() && !h.addr.IsAny() && addr != h.addr) continue;
    if (rp && h.reuse_port) continue;
    if (ra && h.reuse_addr) continue;
    return true;
  }
  return false;
}

TEST(PortHolds, MatchesTheBindRulesModel) {
  const uint64_t seed = TestSeed("PortHolds", "USTACK_PORT_HOLDS_SEED", 1);
  Random r(seed);
  PortHolds holds(r.Next64());
  std::vector<ModelHold> model;
  std::vector<int> owners(64);  // addresses of these stand for connections
  const Ipv4Addr addrs[] = {Ipv4Addr::Any(), Ipv4Addr::Of(10, 0, 0, 1), Ipv4Addr::Of(10, 0, 0, 2),
                            Ipv4Addr::Of(10, 0, 0, 3)};
  for (int step = 0; step < 20'000; ++step) {
    const int o = static_cast<int>(r.Below(owners.size()));
    const bool held = holds.holds(&owners[o]);
    if (r.Below(2) == 0) {
      const ModelHold h{o, addrs[r.Below(4)], static_cast<uint16_t>(80 + r.Below(3)),
                        r.Below(2) == 1, r.Below(2) == 1};
      holds.Hold(&owners[o], h.addr, h.port, h.reuse_addr, h.reuse_port);
      if (!held) model.push_back(h);  // a second hold by one owner changes nothing
    } else {
      holds.Drop(&owners[o]);
      std::erase_if(model, [o](const ModelHold& h) { return h.owner == o; });
    }
    ASSERT_EQ(holds.empty(), model.empty()) << "seed=" << seed << " step " << step;
    for (int q = 0; q < 8; ++q) {
      const Ipv4Addr a = addrs[r.Below(4)];
      const auto port = static_cast<uint16_t>(80 + r.Below(4));
      const bool ra = r.Below(2) == 1;
      const bool rp = r.Below(2) == 1;
      ASSERT_EQ(holds.Conflicts(a, port, ra, rp), ModelConflicts(model, a, port, ra, rp))
          << "seed=" << seed << " step " << step << " addr " << a.v << " port " << port
          << " reuse_addr " << ra << " reuse_port " << rp;
    }
  }
}

TEST(PortHolds, WildcardHolderOverlapsEveryAddress) {
  PortHolds holds(7);
  int conn = 0;
  holds.Hold(&conn, Ipv4Addr::Any(), 80, false, false);
  EXPECT_TRUE(holds.Conflicts(Ipv4Addr::Of(10, 0, 0, 1), 80, false, false));
  EXPECT_TRUE(holds.Conflicts(Ipv4Addr::Any(), 80, false, false));
  EXPECT_FALSE(holds.Conflicts(Ipv4Addr::Of(10, 0, 0, 1), 81, false, false));
  holds.Drop(&conn);
  EXPECT_TRUE(holds.empty());
  EXPECT_FALSE(holds.Conflicts(Ipv4Addr::Of(10, 0, 0, 1), 80, false, false));
}

TEST(PortHolds, AnOwnerCountsOnce) {
  PortHolds holds(9);
  int a = 0, b = 0;
  holds.Hold(&a, Ipv4Addr::Of(10, 0, 0, 1), 80, true, false);
  holds.Hold(&a, Ipv4Addr::Of(10, 0, 0, 1), 80, true, false);
  holds.Hold(&b, Ipv4Addr::Of(10, 0, 0, 1), 80, true, false);
  holds.Drop(&a);
  EXPECT_TRUE(holds.Conflicts(Ipv4Addr::Of(10, 0, 0, 1), 80, false, false));  // b still holds
  holds.Drop(&b);
  holds.Drop(&b);  // dropping twice is harmless
  EXPECT_FALSE(holds.Conflicts(Ipv4Addr::Of(10, 0, 0, 1), 80, false, false));
  EXPECT_FALSE(holds.Conflicts(Ipv4Addr::Any(), 80, false, false));
}

}  // namespace
}  // namespace ustack
