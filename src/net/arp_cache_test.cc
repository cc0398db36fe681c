// ARP (RFC 826, RFC 5227) and Ethernet demux tests through NetInterface: requests answered,
// replies learned and queued packets flushed, retries, ageing, bounds, merge rule, malformed
// input, and transmit batching.
#include <gtest/gtest.h>

#include "net/net_test_util.h"

namespace ustack::nettest {
namespace {

class ArpTest : public NetFixture {};

TEST_F(ArpTest, RequestForUsIsAnsweredAndSenderLearned) {
  Make();
  LearnPeer();
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].size(), kEthernetMinFrameLen);  // padded
  auto eth = EthernetView::Parse(sent[0]);
  ASSERT_TRUE(eth);
  EXPECT_EQ(eth->dst(), kPeerMac);
  EXPECT_EQ(eth->src(), kOurMac);
  EXPECT_EQ(eth->ethertype(), kEtherTypeArp);
  auto arp = ArpRepr::Parse(eth->payload());
  ASSERT_TRUE(arp.ok());
  EXPECT_EQ(arp->op, ArpOp::kReply);
  EXPECT_EQ(arp->sender_mac, kOurMac);
  EXPECT_EQ(arp->sender_ip, kOurIp);
  EXPECT_EQ(arp->target_mac, kPeerMac);
  EXPECT_EQ(arp->target_ip, kPeerIp);
  EXPECT_EQ(C().arp_requests_in, 1u);
  EXPECT_EQ(C().arp_replies_out, 1u);
  EXPECT_EQ(net_->arp_entries(), 1u);
  // The learned address is used at once: no request before the datagram.
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->ethertype(), kEtherTypeIpv4);
  EXPECT_EQ(EthernetView::Parse(sent[0])->dst(), kPeerMac);
}

TEST_F(ArpTest, RequestForAnotherHostIsIgnoredAndNotLearned) {
  Make();
  Receive(
      EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp,
               ArpBody(ArpOp::kRequest, kPeerMac, kPeerIp, MacAddr{}, Ipv4Addr::Of(10, 0, 0, 9))));
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(net_->arp_entries(), 0u);
  EXPECT_EQ(C().arp_requests_in, 1u);
}

TEST_F(ArpTest, GratuitousArpAtStart) {
  Make();
  net_->Start(now_);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto eth = EthernetView::Parse(sent[0]);
  EXPECT_TRUE(eth->dst().IsBroadcast());
  auto arp = ArpRepr::Parse(eth->payload());
  ASSERT_TRUE(arp.ok());
  // RFC 5227 3: an ARP request with sender and target IP both our address.
  EXPECT_EQ(arp->op, ArpOp::kRequest);
  EXPECT_EQ(arp->sender_ip, kOurIp);
  EXPECT_EQ(arp->target_ip, kOurIp);
  EXPECT_EQ(arp->sender_mac, kOurMac);
  EXPECT_TRUE(arp->target_mac.IsZero());
  EXPECT_EQ(C().arp_requests_out, 1u);
}

TEST_F(ArpTest, ReplyLearnedAndQueuedPacketsFlushedInOrder) {
  Make();
  for (uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(SendL4(kPeerIp, Pattern(30, i)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);  // one request, however many packets wait
  auto req = ArpRepr::Parse(EthernetView::Parse(sent[0])->payload());
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->op, ArpOp::kRequest);
  EXPECT_EQ(req->target_ip, kPeerIp);
  EXPECT_TRUE(EthernetView::Parse(sent[0])->dst().IsBroadcast());
  EXPECT_EQ(net_->arp_entries(), 1u);

  Receive(EthFrame(kOurMac, kPeerMac, kEtherTypeArp,
                   ArpBody(ArpOp::kReply, kPeerMac, kPeerIp, kOurMac, kOurIp)));
  EXPECT_EQ(C().arp_replies_in, 1u);
  sent = Sent();
  ASSERT_EQ(sent.size(), 3u);
  for (uint8_t i = 0; i < 3; ++i) {
    auto eth = EthernetView::Parse(sent[i]);
    EXPECT_EQ(eth->dst(), kPeerMac);
    auto ip = Ipv4View::Parse(eth->payload());
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->checksum_valid());
    EXPECT_EQ(ip->dst(), kPeerIp);
    const auto p = ip->payload();
    EXPECT_EQ(Bytes(p.begin(), p.end()), Pattern(30, i)) << int{i};
  }
}

TEST_F(ArpTest, QueuePerEntryIsBounded) {
  cfg_.arp_queue_per_entry = 2;
  Make();
  EXPECT_TRUE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_TRUE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_FALSE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_EQ(C().drop_arp_queue_full, 1u);
}

TEST_F(ArpTest, RetriesThenDropsQueuedPackets) {
  cfg_.arp_retry = Duration::Seconds(1);
  cfg_.arp_max_retries = 3;
  Make();
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_EQ(Sent().size(), 1u);
  for (int i = 0; i < 3; ++i) {
    Advance(Duration::Millis(999));
    EXPECT_TRUE(Sent().empty()) << i;
    Advance(Duration::Millis(1));
    auto sent = Sent();
    ASSERT_EQ(sent.size(), 1u) << i;
    EXPECT_EQ(ArpRepr::Parse(EthernetView::Parse(sent[0])->payload())->target_ip, kPeerIp);
  }
  EXPECT_EQ(C().arp_requests_out, 4u);
  EXPECT_EQ(C().drop_arp_unresolved, 0u);
  Advance(Duration::Seconds(1));
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(C().drop_arp_unresolved, 2u);
  EXPECT_EQ(net_->arp_entries(), 0u);
  Advance(Duration::Seconds(10));
  EXPECT_TRUE(Sent().empty());
}

TEST_F(ArpTest, EntriesAgeOut) {
  cfg_.arp_timeout = Duration::Seconds(60);
  Make();
  LearnPeer();
  Sent();
  Advance(Duration::Seconds(59));
  EXPECT_EQ(net_->arp_entries(), 1u);
  // Confirmation (an ARP reply from the peer) restarts the lifetime.
  Receive(EthFrame(kOurMac, kPeerMac, kEtherTypeArp,
                   ArpBody(ArpOp::kReply, kPeerMac, kPeerIp, kOurMac, kOurIp)));
  Advance(Duration::Seconds(59));
  EXPECT_EQ(net_->arp_entries(), 1u);
  Advance(Duration::Seconds(2));
  EXPECT_EQ(net_->arp_entries(), 0u);
  // Sending now needs a fresh resolution.
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->ethertype(), kEtherTypeArp);
}

TEST_F(ArpTest, TableIsBoundedAndEvictsOldest) {
  cfg_.arp_max_entries = 2;
  Make();
  const MacAddr m3{{2, 0, 0, 0, 0, 3}};
  const MacAddr m4{{2, 0, 0, 0, 0, 4}};
  LearnPeer(kPeerIp, kPeerMac);
  Advance(Duration::Millis(1));
  LearnPeer(Ipv4Addr::Of(10, 0, 0, 3), m3);
  Advance(Duration::Millis(1));
  LearnPeer(Ipv4Addr::Of(10, 0, 0, 4), m4);
  Sent();
  EXPECT_EQ(net_->arp_entries(), 2u);
  ASSERT_TRUE(SendL4(Ipv4Addr::Of(10, 0, 0, 4), Pattern(10)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->dst(), m4);
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));  // the oldest was evicted: resolve again
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->ethertype(), kEtherTypeArp);
  EXPECT_EQ(net_->arp_entries(), 2u);
}

TEST_F(ArpTest, MergeRuleUpdatesKnownSendersOnly) {
  Make();
  const MacAddr moved{{2, 0, 0, 0, 0, 0x22}};
  // A gratuitous ARP from an unknown host, not addressed to us: not learned.
  Receive(EthFrame(MacAddr::Broadcast(), moved, kEtherTypeArp,
                   ArpBody(ArpOp::kRequest, moved, Ipv4Addr::Of(10, 0, 0, 7), MacAddr{},
                           Ipv4Addr::Of(10, 0, 0, 7))));
  EXPECT_EQ(net_->arp_entries(), 0u);
  // RFC 826 merge: a known sender's new hardware address replaces the old one, even when the
  // packet is not addressed to us.
  LearnPeer();
  Receive(EthFrame(MacAddr::Broadcast(), moved, kEtherTypeArp,
                   ArpBody(ArpOp::kRequest, moved, kPeerIp, MacAddr{}, kPeerIp)));
  Sent();
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->dst(), moved);
}

// RFC 9293 3.8.3 / RFC 1122 2.3.2.1 (4): a transport's negative advice asks for the next
// hop again with a broadcast request while the entry stays usable; the reply replaces a wrong
// address (here one learned from a damaged reply). At most one request per arp_retry.
TEST_F(ArpTest, NegativeAdviceRevalidatesTheNextHop) {
  Make();
  const MacAddr wrong{{0x02, 0, 0, 0, 0, 0x12}};
  LearnPeer(kPeerIp, wrong);
  Sent();
  net_->AdviseDeliveryProblem(kPeerIp, now_);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto eth = EthernetView::Parse(sent[0]);
  ASSERT_TRUE(eth);
  EXPECT_TRUE(eth->dst().IsBroadcast());
  auto arp = ArpRepr::Parse(eth->payload());
  ASSERT_TRUE(arp.ok());
  EXPECT_EQ(arp->op, ArpOp::kRequest);
  EXPECT_EQ(arp->target_ip, kPeerIp);
  EXPECT_EQ(C().arp_revalidations, 1u);
  // Still usable meanwhile (no packet waits on the request).
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->dst(), wrong);
  // Rate limit: not again within arp_retry.
  Advance(cfg_.arp_retry - Duration::Millis(1));
  net_->AdviseDeliveryProblem(kPeerIp, now_);
  EXPECT_TRUE(Sent().empty());
  // The answer replaces the address.
  Receive(EthFrame(kOurMac, kPeerMac, kEtherTypeArp,
                   ArpBody(ArpOp::kReply, kPeerMac, kPeerIp, kOurMac, kOurIp)));
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(EthernetView::Parse(sent[0])->dst(), kPeerMac);
  Advance(Duration::Millis(1));
  net_->AdviseDeliveryProblem(kPeerIp, now_);
  EXPECT_EQ(Sent().size(), 1u);
  EXPECT_EQ(C().arp_revalidations, 2u);
  // Off-link destinations revalidate the gateway; unknown neighbours are left alone.
  net_->AdviseDeliveryProblem(Ipv4Addr::Of(10, 0, 0, 9), now_);
  net_->AdviseDeliveryProblem(Ipv4Addr::Of(192, 0, 2, 1), now_);
  EXPECT_TRUE(Sent().empty());
  LearnPeer(kGwIp, kPeerMac);
  Sent();
  net_->AdviseDeliveryProblem(Ipv4Addr::Of(192, 0, 2, 1), now_);
  sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ArpRepr::Parse(EthernetView::Parse(sent[0])->payload())->target_ip, kGwIp);
}

TEST_F(ArpTest, ProbeIsAnsweredButNotLearned) {
  Make();
  // RFC 5227 2.1.1 probe: sender IP 0.0.0.0, target our address.
  Receive(EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp,
                   ArpBody(ArpOp::kRequest, kPeerMac, Ipv4Addr::Any(), MacAddr{}, kOurIp)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(ArpRepr::Parse(EthernetView::Parse(sent[0])->payload())->op, ArpOp::kReply);
  EXPECT_EQ(net_->arp_entries(), 0u);
}

TEST_F(ArpTest, MalformedArpIsCounted) {
  Make();
  Bytes body = ArpBody(ArpOp::kRequest, kPeerMac, kPeerIp, MacAddr{}, kOurIp);
  Bytes truncated(body.begin(), body.begin() + 20);
  Receive(EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp, truncated));
  Bytes bad_hw = body;
  bad_hw[1] = 6;
  Receive(EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp, bad_hw));
  Bytes bad_op = body;
  bad_op[7] = 9;
  Receive(EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp, bad_op));
  Receive(EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp,
                   ArpBody(ArpOp::kRequest, MacAddr::Broadcast(), kPeerIp, MacAddr{}, kOurIp)));
  EXPECT_EQ(C().drop_arp_malformed, 4u);
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(net_->arp_entries(), 0u);
}

TEST_F(ArpTest, EthernetDemuxCountsDrops) {
  Make();
  const Bytes body = ArpBody(ArpOp::kRequest, kPeerMac, kPeerIp, MacAddr{}, kOurIp);
  Receive(EthFrame(MacAddr{{2, 0, 0, 0, 0, 0x99}}, kPeerMac, kEtherTypeArp, body));
  EXPECT_EQ(C().drop_eth_not_for_us, 1u);
  Receive(EthFrame(kOurMac, kPeerMac, kEtherTypeIpv6, Bytes(40)));
  EXPECT_EQ(C().drop_eth_unknown_type, 1u);
  Receive(Bytes(10, 0));
  EXPECT_EQ(C().drop_eth_malformed, 1u);
  Receive(EthFrame(kOurMac, MacAddr::Broadcast(), kEtherTypeArp, body));  // group source
  EXPECT_EQ(C().drop_eth_malformed, 2u);
  Bytes tagged(18 + body.size());
  EthernetRepr{kOurMac, kPeerMac, kEtherTypeArp, uint16_t{5}}.Emit(tagged);
  std::copy(body.begin(), body.end(), tagged.begin() + 18);
  Receive(tagged);  // 802.1Q is not handled yet
  EXPECT_EQ(C().drop_eth_unknown_type, 2u);
  EXPECT_EQ(C().rx_frames, 5u);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(ArpTest, TransmitBatchFlushesEarlyWhenFullAndCountsRefusals) {
  Make();
  LearnPeer();
  Sent();
  for (int i = 0; i < 70; ++i) ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_EQ(port_->bursts, 2);  // the reply flush above, then one early flush at 64 frames
  EXPECT_EQ(port_->sent.size(), 64u);
  port_->accept_limit = 2;
  net_->FlushTx(now_);
  EXPECT_EQ(port_->sent.size(), 66u);
  EXPECT_EQ(C().drop_tx_full, 4u);
  EXPECT_EQ(C().tx_frames, 67u);
  net_->FlushTx(now_);  // nothing left
  EXPECT_EQ(port_->bursts, 3);
}

TEST_F(ArpTest, TxPushHandsFramesToTheDeviceOnceThatManyWait) {
  cfg_.tx_push_frames = 2;
  Make();
  LearnPeer();
  Sent();
  const int bursts = port_->bursts;
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_EQ(port_->bursts, bursts);  // one frame waits for a second one or the flush
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  EXPECT_EQ(port_->bursts, bursts + 1);
  EXPECT_EQ(port_->sent.size(), 2u);
  ASSERT_TRUE(SendL4(kPeerIp, Pattern(10)));
  net_->FlushTx(now_);
  EXPECT_EQ(port_->sent.size(), 3u);
  EXPECT_EQ(C().tx_frames, 4u);  // with the ARP reply LearnPeer's exchange sent
}

}  // namespace
}  // namespace ustack::nettest
