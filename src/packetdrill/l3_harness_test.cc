// Tests of the L3 harness (ARP answered in the port, routing via the gateway, the manual
// clock jumping through timer deadlines) and of the stack flag parser.
#include "packetdrill/l3_harness.h"

#include <gtest/gtest.h>

#include "packetdrill/stack_flags.h"
#include "packetdrill/test_packets.h"

namespace ustack::pd {
namespace {

using testing::ParseTcp;
using testing::TcpPacket;

TEST(L3Harness, ClosedPortAnswersWithRstViaGateway) {
  std::string err;
  auto h = L3Harness::Create(HarnessConfig{}, &err);
  ASSERT_NE(h, nullptr) << err;
  EXPECT_FALSE(h->has_output());  // the gratuitous ARP is absorbed
  h->AdvanceTo(h->now() + Duration::Millis(5));
  ASSERT_TRUE(
      h->Inject(TcpPacket(kDefaultRemoteIp, kDefaultLocalIp, 40000, 9, 1000, 0, kTcpSyn, 1000)));
  // The reply needs ARP for the gateway first; the port answers at once, same instant.
  ASSERT_EQ(h->output_count(), 1u);
  const OutPacket p = h->PopOutput();
  EXPECT_EQ(p.sent, h->now());
  auto t = ParseTcp(p.bytes);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->src, kDefaultLocalIp);
  EXPECT_EQ(t->dst, kDefaultRemoteIp);
  EXPECT_EQ(t->tcp.flags, kTcpRst | kTcpAck);
  EXPECT_EQ(t->tcp.ack, 1001u);
  EXPECT_EQ(h->elapsed_usecs(), 5000);
}

TEST(L3Harness, TimersFireAtTheirVirtualDeadlines) {
  std::string err;
  auto h = L3Harness::Create(HarnessConfig{}, &err);
  ASSERT_NE(h, nullptr) << err;
  SocketApi& api = h->api();
  const int fd = api.Socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(8080);
  ASSERT_EQ(api.Bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(api.Listen(fd, 4), 0);
  h->Inject(TcpPacket(kDefaultRemoteIp, kDefaultLocalIp, 40000, 8080, 1000, 0, kTcpSyn, 1000));
  ASSERT_EQ(h->output_count(), 1u);
  h->PopOutput();
  // RFC 6298 2.1: the SYN-ACK is retransmitted after 1 s, exactly on the virtual clock.
  h->AdvanceTo(h->now() + Duration::Millis(2500));
  ASSERT_EQ(h->output_count(), 1u);
  EXPECT_EQ(h->front_output().sent - h->start(), Duration::Seconds(1));
  EXPECT_EQ(h->elapsed_usecs(), 2500000);
  // StepTowards stops at the next deadline (the second retransmission at 3 s).
  h->PopOutput();
  ASSERT_TRUE(h->StepTowards(h->start() + Duration::Seconds(10)));
  EXPECT_EQ(h->elapsed_usecs(), 3000000);
  EXPECT_EQ(h->output_count(), 1u);
}

TEST(StackFlags, AppliesKnownKeysAndRejectsOthers) {
  HarnessConfig cfg;
  std::string err;
  EXPECT_TRUE(
      ApplyStackFlags("local_ip=10.0.0.1 tcp.delayed_ack_ms=20 tcp.cc=newreno", &cfg, &err));
  EXPECT_EQ(cfg.local_ip, Ipv4Addr::Of(10, 0, 0, 1));
  EXPECT_EQ(cfg.tcp.delayed_ack, Duration::Millis(20));
  EXPECT_FALSE(ApplyStackFlags("bogus=1 tcp.rto_min_ms=abc tcp.syn_retries=3", &cfg, &err));
  EXPECT_NE(err.find("unknown stack flag 'bogus'"), std::string::npos);
  EXPECT_NE(err.find("tcp.rto_min_ms"), std::string::npos);
  EXPECT_EQ(cfg.tcp.syn_retries, 3);                  // good words still apply
  EXPECT_EQ(cfg.tcp.rto_min, Duration::Millis(200));  // bad ones leave the default
  EXPECT_TRUE(ApplyStackFlags("tcp.cc=cubic tcp.sack=0", &cfg, &err));
  EXPECT_EQ(cfg.tcp.congestion, TcpCongestionAlgo::kCubic);
  EXPECT_FALSE(cfg.tcp.sack);
  EXPECT_FALSE(ApplyStackFlags("tcp.cc=vegas", &cfg, &err));
  EXPECT_FALSE(ApplyStackFlags("tcp.sack=yes", &cfg, &err));
}

}  // namespace
}  // namespace ustack::pd
