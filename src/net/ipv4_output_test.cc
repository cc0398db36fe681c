// IPv4 output tests (RFC 791, RFC 1122 3.3.1): header fields, direct vs gateway routing,
// broadcast and multicast, no route, DF with an oversized packet, fragmentation when DF is
// clear, and the IpOutput queries.
#include <gtest/gtest.h>

#include <map>

#include "net/net_test_util.h"

namespace ustack::nettest {
namespace {

class Ipv4OutputTest : public NetFixture {};

TEST_F(Ipv4OutputTest, HeaderFieldsAndIdentification) {
  Make();
  LearnPeer();
  Sent();
  Packet p = net_->AllocTx();
  ASSERT_TRUE(p);
  EXPECT_GE(p.headroom(), kTxHeadroom);
  ASSERT_TRUE(p.AppendBytes(Pool().get(), Pattern(100)));
  Ipv4SendOptions o;
  o.ttl = 9;
  o.tos = 0x48;
  o.dont_fragment = true;
  ASSERT_TRUE(net_->SendIpv4(std::move(p), Ipv4Addr::Any(), kPeerIp, 6, o, now_));
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(5)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  auto eth = EthernetView::Parse(sent[0]);
  EXPECT_EQ(eth->src(), kOurMac);
  EXPECT_EQ(eth->dst(), kPeerMac);
  auto ip = Ipv4View::Parse(eth->payload());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->header_len(), 20u);
  EXPECT_EQ(ip->total_length(), 120);
  EXPECT_TRUE(ip->checksum_valid());
  EXPECT_EQ(ip->ttl(), 9);
  EXPECT_EQ(ip->tos(), 0x48);
  EXPECT_TRUE(ip->dont_fragment());
  EXPECT_FALSE(ip->is_fragment());
  EXPECT_EQ(ip->protocol(), 6);
  EXPECT_EQ(ip->src(), kOurIp);
  EXPECT_EQ(ip->dst(), kPeerIp);
  EXPECT_EQ(Bytes(ip->payload().begin(), ip->payload().end()), Pattern(100));
  // A short packet is padded on the link but its IP length is exact.
  EXPECT_EQ(sent[1].size(), kEthernetMinFrameLen);
  auto ip2 = Ipv4View::Parse(EthernetView::Parse(sent[1])->payload());
  ASSERT_TRUE(ip2);
  EXPECT_EQ(ip2->total_length(), 25);
  EXPECT_EQ(ip2->ident(), static_cast<uint16_t>(ip->ident() + 1));
  EXPECT_EQ(C().ip_out, 2u);
  EXPECT_EQ(C().tx_frames, 3u);  // the ARP reply and two datagrams
}

TEST_F(Ipv4OutputTest, DirectVersusGateway) {
  Make();
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  ASSERT_TRUE(SendL4(kFarIp, Pattern(11)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(ArpRepr::Parse(EthernetView::Parse(sent[0])->payload())->target_ip, kPeerIp);
  EXPECT_EQ(ArpRepr::Parse(EthernetView::Parse(sent[1])->payload())->target_ip, kGwIp);
  // The gateway answers: the off-subnet datagram goes to its MAC, addressed to kFarIp.
  Receive(EthFrame(kOurMac, kGwMac, kEtherTypeArp,
                   ArpBody(ArpOp::kReply, kGwMac, kGwIp, kOurMac, kOurIp)));
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto eth = EthernetView::Parse(sent[0]);
  EXPECT_EQ(eth->dst(), kGwMac);
  auto ip = Ipv4View::Parse(eth->payload());
  ASSERT_TRUE(ip);
  EXPECT_EQ(ip->dst(), kFarIp);
  EXPECT_EQ(Bytes(ip->payload().begin(), ip->payload().end()), Pattern(11));
  // Further off-subnet destinations share the gateway's entry.
  ASSERT_TRUE(SendL4(Ipv4Addr::Of(8, 8, 8, 8), Pattern(12)));
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->dst(), kGwMac);
  EXPECT_EQ(net_->arp_entries(), 2u);
}

TEST_F(Ipv4OutputTest, NoGatewayMeansNoRoute) {
  cfg_.gateway = Ipv4Addr::Any();
  Make();
  EXPECT_FALSE(SendL4(kFarIp, Pattern(10)));
  EXPECT_FALSE(SendL4(kOurIp, Pattern(10)));  // no loopback path
  EXPECT_FALSE(SendL4(Ipv4Addr::Of(127, 0, 0, 1), Pattern(10)));
  EXPECT_EQ(C().drop_ip_no_route, 3u);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(Ipv4OutputTest, BroadcastAndMulticastNeedNoArp) {
  Make();
  ASSERT_TRUE(SendL4(Ipv4Addr::Broadcast(), Pattern(10)));
  ASSERT_TRUE(SendL4(Ipv4Addr::Of(10, 0, 0, 255), Pattern(10)));
  ASSERT_TRUE(SendL4(Ipv4Addr::Of(239, 129, 2, 3), Pattern(10)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_TRUE(EthernetView::Parse(sent[0])->dst().IsBroadcast());
  EXPECT_TRUE(EthernetView::Parse(sent[1])->dst().IsBroadcast());
  // RFC 1112 6.4: 01:00:5e plus the low 23 bits of the group.
  EXPECT_EQ(EthernetView::Parse(sent[2])->dst(), (MacAddr{{0x01, 0x00, 0x5e, 0x01, 0x02, 0x03}}));
  EXPECT_EQ(net_->arp_entries(), 0u);
}

TEST_F(Ipv4OutputTest, DontFragmentAndTooBigIsDropped) {
  Make();
  LearnPeer();
  Sent();
  EXPECT_TRUE(SendL4(kPeerIp, Pattern(1480), /*df=*/true));  // exactly the MTU
  EXPECT_FALSE(SendL4(kPeerIp, Pattern(1481), /*df=*/true));
  EXPECT_EQ(C().drop_ip_too_big, 1u);
  EXPECT_EQ(Sent().size(), 1u);
}

TEST_F(Ipv4OutputTest, FragmentsWhenDontFragmentIsClear) {
  Make(1500);
  LearnPeer();
  Sent();
  const Bytes payload = Pattern(4000, 5);
  ASSERT_TRUE(SendL4(kPeerIp, payload, /*df=*/false));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 3u);
  std::map<size_t, Bytes> pieces;
  const std::vector<size_t> offsets = {0, 1480, 2960};
  for (size_t i = 0; i < sent.size(); ++i) {
    auto eth = EthernetView::Parse(sent[i]);
    EXPECT_EQ(eth->dst(), kPeerMac);
    auto ip = Ipv4View::Parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->checksum_valid());
    EXPECT_LE(ip->total_length(), 1500);
    EXPECT_EQ(ip->frag_offset(), offsets[i]);
    EXPECT_EQ(ip->more_fragments(), i + 1 < sent.size());
    EXPECT_FALSE(ip->dont_fragment());
    EXPECT_EQ(ip->ident(), Ipv4View::Parse(EthernetView::Parse(sent[0])->payload())->ident());
    if (ip->more_fragments()) {
      EXPECT_EQ(ip->payload().size() % 8, 0u);
    }
    pieces[ip->frag_offset()] = Bytes(ip->payload().begin(), ip->payload().end());
  }
  Bytes whole;
  for (auto& [off, b] : pieces) whole.insert(whole.end(), b.begin(), b.end());
  EXPECT_EQ(whole, payload);
  EXPECT_EQ(C().ip_out, 3u);
}

TEST_F(Ipv4OutputTest, FragmentsWithSmallMtuAreMultiplesOfEight) {
  Make(576);
  LearnPeer();
  Sent();
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(1000), /*df=*/false));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 2u);
  auto first = Ipv4View::Parse(EthernetView::Parse(sent[0])->payload());
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload().size(), 552u);  // (576 - 20) rounded down to 8
  EXPECT_EQ(Ipv4View::Parse(EthernetView::Parse(sent[1])->payload())->frag_offset(), 552);
}

TEST_F(Ipv4OutputTest, IpOutputQueries) {
  Make(1500);
  EXPECT_EQ(net_->MaxTransportSize(kPeerIp), 1480);
  EXPECT_EQ(net_->SourceFor(kFarIp), kOurIp);
  EXPECT_TRUE(net_->IsLocal(kOurIp));
  EXPECT_FALSE(net_->IsLocal(kPeerIp));
  EXPECT_FALSE(net_->IsLocal(Ipv4Addr::Any()));
  EXPECT_EQ(net_->mac(), kOurMac);
  EXPECT_EQ(net_->config().broadcast, Ipv4Addr::Of(10, 0, 0, 255));
  EXPECT_FALSE(net_->SendIpv4(Packet(), Ipv4Addr::Any(), kPeerIp, 17, {}, now_));
  EXPECT_EQ(C().drop_ip_no_buffer, 1u);
}

TEST_F(Ipv4OutputTest, ReplyWithoutHeadroomChainsAHeaderBuffer) {
  Make();
  LearnPeer();
  Sent();
  // A packet whose data starts at the very front of its buffer.
  Packet p = net_->AllocTx();
  ASSERT_TRUE(p);
  const uint16_t room = p.headroom();
  ASSERT_NE(p.Prepend(room), nullptr);
  ASSERT_EQ(p.headroom(), 0);
  Bytes fill = Pattern(room, 1);
  std::copy(fill.begin(), fill.end(), p.head().begin());
  ASSERT_TRUE(net_->SendIpv4(std::move(p), Ipv4Addr::Any(), kPeerIp, 17, {}, now_));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto ip = Ipv4View::Parse(EthernetView::Parse(sent[0])->payload());
  ASSERT_TRUE(ip);
  EXPECT_EQ(Bytes(ip->payload().begin(), ip->payload().end()), fill);
}

}  // namespace
}  // namespace ustack::nettest
