// Port holds of closed connections (TcpLayer::HoldPortAfterClose / PortHeldAfterClose): a
// connection the application closed keeps its local port until it is freed (RFC 9293 3.6.1:
// TIME-WAIT keeps the port), and a new bind shares it only under Linux's rules.
#include <gtest/gtest.h>

#include "tcp/tcp_test_harness.h"

namespace ustack::test {
namespace {

class PortHold : public TcpSimTest {
 protected:
  // Opens a connection a -> b:80 (listener from Establish) and closes it from b first, so b's
  // end goes through TIME-WAIT holding port 80 with the given options.
  TcpConnection* CloseServerFirst(bool reuse_addr, bool reuse_port, int holds = 1) {
    auto c = sim->a.tcp.Connect(Ipv4Addr::Any(), 0, sim->b.addr, 80, &csink, sim->now);
    EXPECT_TRUE(c.ok());
    sim->Pump();
    TcpConnection* s = sim->b.tcp.Accept(listener, &ssink);
    EXPECT_NE(s, nullptr);
    if (!s) return nullptr;
    for (int i = 0; i < holds; ++i) sim->b.tcp.HoldPortAfterClose(s, reuse_addr, reuse_port);
    s->Close(sim->now);
    sim->Pump();
    (*c)->Close(sim->now);
    sim->Pump();
    EXPECT_EQ(s->state(), TcpState::kTimeWait);
    return s;
  }
  bool Held(Ipv4Addr a, uint16_t port, bool reuse_addr, bool reuse_port) const {
    return sim->b.tcp.PortHeldAfterClose(a, port, reuse_addr, reuse_port);
  }
};

TEST_F(PortHold, TimeWaitHoldsItsPortUnderLinuxBindRules) {
  Start(71);
  Establish();
  const Ipv4Addr me = sim->b.addr;
  EXPECT_FALSE(Held(me, 80, false, false));
  CloseServerFirst(/*reuse_addr=*/true, /*reuse_port=*/false);
  EXPECT_TRUE(Held(me, 80, false, false));
  EXPECT_TRUE(Held(Ipv4Addr::Any(), 80, false, false));  // the wildcard overlaps every address
  EXPECT_FALSE(Held(Ipv4Addr::Of(10, 0, 0, 9), 80, false, false));  // another address
  EXPECT_FALSE(Held(me, 81, false, false));                         // another port
  EXPECT_FALSE(Held(me, 80, true, false));                          // SO_REUSEADDR on both
  EXPECT_FALSE(Held(Ipv4Addr::Any(), 80, true, false));
  EXPECT_TRUE(Held(me, 80, false, true));  // SO_REUSEPORT needs it on both
  // Freed at the end of TIME-WAIT: the port is free again.
  sim->Run(Duration::Seconds(61), Duration::Millis(500));
  EXPECT_FALSE(Held(me, 80, false, false));
  EXPECT_FALSE(Held(Ipv4Addr::Any(), 80, false, false));
}

TEST_F(PortHold, EachHolderCountsUntilItIsFreed) {
  Start(72);
  Establish();
  const Ipv4Addr me = sim->b.addr;
  // Holding twice counts once: once this connection is freed nothing is held.
  CloseServerFirst(/*reuse_addr=*/true, /*reuse_port=*/false, /*holds=*/2);
  sim->Run(Duration::Seconds(30), Duration::Millis(500));
  CloseServerFirst(/*reuse_addr=*/false, /*reuse_port=*/true);
  EXPECT_TRUE(Held(me, 80, true, false));                  // the second holder lacks SO_REUSEADDR
  EXPECT_TRUE(Held(me, 80, false, true));                  // the first lacks SO_REUSEPORT
  EXPECT_FALSE(Held(me, 80, true, true));                  // each one allows one of them
  sim->Run(Duration::Seconds(31), Duration::Millis(500));  // the first is freed
  EXPECT_FALSE(Held(me, 80, false, true));
  EXPECT_TRUE(Held(me, 80, true, false));
  EXPECT_TRUE(Held(Ipv4Addr::Any(), 80, false, false));
  sim->Run(Duration::Seconds(30), Duration::Millis(500));  // and the second
  EXPECT_FALSE(Held(me, 80, false, false));
  EXPECT_FALSE(Held(Ipv4Addr::Any(), 80, false, false));
}

// The TIME-WAIT pattern at scale: many connections enter TIME-WAIT and are freed; every
// one's 4-tuple stays findable (a segment to it is answered by the connection, not by a RST)
// and once they are all freed nothing remains held.
TEST_F(PortHold, ManyTimeWaitConnectionsComeAndGo) {
  Start(73);
  Establish();
  for (int i = 0; i < 300; ++i) CloseServerFirst(false, false);
  EXPECT_EQ(sim->b.tcp.connection_count(), 301u);  // 300 in TIME-WAIT and Establish's
  EXPECT_EQ(sim->b.tcp.counters().drop_no_connection, 0u);
  EXPECT_TRUE(Held(sim->b.addr, 80, false, false));
  sim->Run(Duration::Seconds(61), Duration::Millis(500));
  EXPECT_EQ(sim->b.tcp.connection_count(), 1u);
  EXPECT_FALSE(Held(sim->b.addr, 80, false, false));
  // The established pair still works after all those erases from the table.
  ASSERT_TRUE(client->Send(Pattern(100, 5), sim->now).ok());
  sim->Pump();
  EXPECT_EQ(server->readable_bytes(), 100u);
}

}  // namespace
}  // namespace ustack::test
