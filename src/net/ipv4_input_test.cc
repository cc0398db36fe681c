// IPv4 input tests (RFC 791, RFC 1122 3.2.1, 3.2.2): delivery to a registered transport,
// validation and its counters, address filtering, and the ICMP errors for undeliverable
// datagrams (port and protocol unreachable, never for broadcasts).
#include <gtest/gtest.h>

#include "base/checksum.h"
#include "net/net_test_util.h"

namespace ustack::nettest {
namespace {

class Ipv4InputTest : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    Make();
    net_->RegisterTransport(kIpProtoUdp, &udp_);
  }
  RecordingHandler udp_;
};

TEST_F(Ipv4InputTest, DeliversPayloadTrimmedOfLinkPadding) {
  Ipv4Repr r = IpFromPeer(kIpProtoUdp);
  r.ttl = 17;
  r.tos = 0x10;
  ReceiveIp(Ipv4Datagram(r, Pattern(6)));
  ASSERT_EQ(udp_.payloads.size(), 1u);
  EXPECT_EQ(udp_.payloads[0], Pattern(6));
  const Ipv4Info& i = udp_.infos[0];
  EXPECT_EQ(i.src, kPeerIp);
  EXPECT_EQ(i.dst, kOurIp);
  EXPECT_EQ(i.protocol, kIpProtoUdp);
  EXPECT_EQ(i.ttl, 17);
  EXPECT_EQ(i.tos, 0x10);
  EXPECT_FALSE(i.dst_broadcast);
  // Explicit Ethernet padding after the datagram is not delivered either.
  Bytes padded = Ipv4Datagram(r, Pattern(6));
  padded.resize(46, 0xee);
  ReceiveIp(padded);
  ASSERT_EQ(udp_.payloads.size(), 2u);
  EXPECT_EQ(udp_.payloads[1], Pattern(6));
  EXPECT_EQ(C().ip_in, 2u);
}

TEST_F(Ipv4InputTest, OptionsAreSkipped) {
  Bytes d = Ipv4Datagram(IpFromPeer(kIpProtoUdp), Bytes(4 + 12, 0));
  // IHL 6: a 4-byte option (NOPs, EOL) before 12 payload bytes.
  d[0] = 0x46;
  d[20] = d[21] = d[22] = 1;
  d[23] = 0;
  for (int i = 0; i < 12; ++i) d[24 + i] = static_cast<uint8_t>(100 + i);
  d[10] = d[11] = 0;
  const uint16_t c = InternetChecksum(std::span(d).first(24));
  d[10] = static_cast<uint8_t>(c >> 8);
  d[11] = static_cast<uint8_t>(c);
  ReceiveIp(d);
  ASSERT_EQ(udp_.payloads.size(), 1u);
  ASSERT_EQ(udp_.payloads[0].size(), 12u);
  EXPECT_EQ(udp_.payloads[0][0], 100);
}

TEST_F(Ipv4InputTest, MalformedDatagramsAreCounted) {
  const Bytes good = Ipv4Datagram(IpFromPeer(kIpProtoUdp), Pattern(40));
  Bytes bad_sum = good;
  bad_sum[8] = 3;  // TTL changed, checksum not
  ReceiveIp(bad_sum);
  EXPECT_EQ(C().drop_ip_bad_checksum, 1u);

  ReceiveIp(Bytes(good.begin(), good.begin() + 12));  // truncated header
  Bytes bad_ihl = good;
  bad_ihl[0] = 0x44;
  ReceiveIp(bad_ihl);
  Bytes bad_version = good;
  bad_version[0] = 0x65;
  ReceiveIp(bad_version);
  Bytes too_long = good;  // total length beyond the frame (valid checksum)
  too_long[3] = static_cast<uint8_t>(too_long[3] + 50);
  too_long[10] = too_long[11] = 0;
  uint16_t c = InternetChecksum(std::span(too_long).first(20));
  too_long[10] = static_cast<uint8_t>(c >> 8);
  too_long[11] = static_cast<uint8_t>(c);
  ReceiveIp(too_long);
  Bytes too_short = good;  // total length below the header length
  too_short[2] = 0;
  too_short[3] = 12;
  ReceiveIp(too_short);
  Bytes ihl_beyond = good;  // IHL 15 = 60 bytes, more than the datagram holds
  ihl_beyond.resize(40);
  ihl_beyond[0] = 0x4f;
  ReceiveIp(ihl_beyond);
  EXPECT_EQ(C().drop_ip_malformed, 6u);
  EXPECT_TRUE(udp_.payloads.empty());
  EXPECT_EQ(C().ip_in, 7u);
}

TEST_F(Ipv4InputTest, BogusSourcesAreDropped) {
  for (Ipv4Addr src : {Ipv4Addr::Broadcast(), Ipv4Addr::Of(10, 0, 0, 255),
                       Ipv4Addr::Of(224, 0, 0, 1), Ipv4Addr::Of(127, 0, 0, 1)}) {
    Ipv4Repr r = IpFromPeer(kIpProtoUdp);
    r.src = src;
    ReceiveIp(Ipv4Datagram(r, Pattern(8)));
  }
  EXPECT_EQ(C().drop_ip_malformed, 4u);
  EXPECT_TRUE(udp_.payloads.empty());
}

TEST_F(Ipv4InputTest, AddressFiltering) {
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoUdp, Ipv4Addr::Of(10, 0, 0, 9)), Pattern(8)));
  EXPECT_EQ(C().drop_ip_not_for_us, 1u);
  // RFC 1122 3.3.6: a link-layer broadcast carrying a unicast IP destination is discarded.
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoUdp), Pattern(8)), MacAddr::Broadcast());
  EXPECT_EQ(C().drop_ip_not_for_us, 2u);
  EXPECT_TRUE(udp_.payloads.empty());
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoUdp, Ipv4Addr::Of(10, 0, 0, 255)), Pattern(8)),
            MacAddr::Broadcast());
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoUdp, Ipv4Addr::Broadcast()), Pattern(8)),
            MacAddr::Broadcast());
  ASSERT_EQ(udp_.infos.size(), 2u);
  EXPECT_TRUE(udp_.infos[0].dst_broadcast);
  EXPECT_TRUE(udp_.infos[1].dst_broadcast);
}

TEST_F(Ipv4InputTest, PortUnreachableQuotesHeaderAndEightBytes) {
  LearnPeer();
  Sent();
  udp_.verdict = Delivery::kNoListener;
  const Bytes dgram = Ipv4Datagram(IpFromPeer(kIpProtoUdp), Pattern(30));
  ReceiveIp(dgram);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto eth = EthernetView::Parse(sent[0]);
  EXPECT_EQ(eth->dst(), kPeerMac);
  auto ip = Ipv4View::Parse(eth->payload());
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->checksum_valid());
  EXPECT_EQ(ip->src(), kOurIp);
  EXPECT_EQ(ip->dst(), kPeerIp);
  EXPECT_EQ(ip->protocol(), kIpProtoIcmp);
  auto icmp = IcmpRepr::Parse(ip->payload());
  ASSERT_TRUE(icmp.ok());  // checksum verified
  EXPECT_EQ(icmp->type, kIcmpDestUnreachable);
  EXPECT_EQ(icmp->code, kIcmpCodePortUnreachable);
  EXPECT_EQ(Bytes(icmp->data.begin(), icmp->data.end()), Bytes(dgram.begin(), dgram.begin() + 28));
  EXPECT_EQ(C().icmp_unreachable_out, 1u);
}

TEST_F(Ipv4InputTest, NoUnreachableForBroadcastDestinations) {
  LearnPeer();
  Sent();
  udp_.verdict = Delivery::kNoListener;
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoUdp, Ipv4Addr::Of(10, 0, 0, 255)), Pattern(30)),
            MacAddr::Broadcast());
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoUdp, Ipv4Addr::Broadcast()), Pattern(30)),
            MacAddr::Broadcast());
  Ipv4Repr from_zero = IpFromPeer(kIpProtoUdp);  // a source that names no host
  from_zero.src = Ipv4Addr::Any();
  ReceiveIp(Ipv4Datagram(from_zero, Pattern(30)));
  EXPECT_EQ(udp_.payloads.size(), 3u);
  EXPECT_TRUE(Sent().empty());
  EXPECT_EQ(C().icmp_unreachable_out, 0u);
}

TEST_F(Ipv4InputTest, UnknownProtocolGetsProtocolUnreachable) {
  LearnPeer();
  Sent();
  const Bytes dgram = Ipv4Datagram(IpFromPeer(99), Pattern(4));  // shorter than 8 data bytes
  ReceiveIp(dgram);
  EXPECT_EQ(C().drop_ip_unknown_protocol, 1u);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto ip = Ipv4View::Parse(EthernetView::Parse(sent[0])->payload());
  ASSERT_TRUE(ip);
  auto icmp = IcmpRepr::Parse(ip->payload());
  ASSERT_TRUE(icmp.ok());
  EXPECT_EQ(icmp->type, kIcmpDestUnreachable);
  EXPECT_EQ(icmp->code, kIcmpCodeProtocolUnreachable);
  EXPECT_EQ(Bytes(icmp->data.begin(), icmp->data.end()), dgram);  // header + all 4 bytes
  // Not for a broadcast.
  ReceiveIp(Ipv4Datagram(IpFromPeer(99, Ipv4Addr::Broadcast()), Pattern(4)), MacAddr::Broadcast());
  EXPECT_EQ(C().drop_ip_unknown_protocol, 2u);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(Ipv4InputTest, HandlerMayKeepThePacket) {
  struct Keeper final : TransportHandler {
    Delivery OnIpv4(Packet& pkt, const Ipv4Info&, Instant) override {
      kept = std::move(pkt);
      return Delivery::kConsumed;
    }
    Packet kept;
  } keeper;
  net_->RegisterTransport(kIpProtoTcp, &keeper);
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoTcp), Pattern(20)));
  ASSERT_TRUE(keeper.kept);
  EXPECT_EQ(keeper.kept.length(), 20u);
  keeper.kept.Reset();
}

}  // namespace
}  // namespace ustack::nettest
