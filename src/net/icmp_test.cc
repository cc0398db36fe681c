// ICMP tests (RFC 792, RFC 1122 3.2.2.6): echo replies with identical id, sequence and data
// and valid checksums, checksum and length validation, broadcast echo ignored, other types
// counted, and a fragmented echo answered with a fragmented reply.
#include <gtest/gtest.h>

#include <cerrno>
#include <map>

#include "net/net_test_util.h"

namespace ustack::nettest {
namespace {

class IcmpTest : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    Make();
    LearnPeer();
    Sent();
  }
  static Bytes Echo(uint16_t id, uint16_t seq, const Bytes& payload) {
    Bytes m(kIcmpHeaderLen + payload.size());
    IcmpRepr::EchoRequest(id, seq, payload).Emit(m);
    return m;
  }
};

TEST_F(IcmpTest, EchoRequestGetsExactReply) {
  const Bytes payload = Pattern(56, 3);
  Ipv4Repr r = IpFromPeer(kIpProtoIcmp);
  r.tos = 0x20;
  ReceiveIp(Ipv4Datagram(r, Echo(0x1234, 7, payload)));
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 1u);
  auto eth = EthernetView::Parse(sent[0]);
  EXPECT_EQ(eth->dst(), kPeerMac);
  EXPECT_EQ(eth->ethertype(), kEtherTypeIpv4);
  auto ip = Ipv4View::Parse(eth->payload());
  ASSERT_TRUE(ip);
  EXPECT_TRUE(ip->checksum_valid());
  EXPECT_EQ(ip->src(), kOurIp);
  EXPECT_EQ(ip->dst(), kPeerIp);
  EXPECT_EQ(ip->protocol(), kIpProtoIcmp);
  EXPECT_EQ(ip->ttl(), cfg_.default_ttl);
  EXPECT_EQ(ip->tos(), 0x20);
  auto v = IcmpView::Parse(ip->payload());
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(v->type(), kIcmpEchoReply);
  EXPECT_EQ(v->code(), 0);
  EXPECT_EQ(v->echo_id(), 0x1234);
  EXPECT_EQ(v->echo_seq(), 7);
  EXPECT_EQ(Bytes(v->data().begin(), v->data().end()), payload);
  EXPECT_EQ(C().icmp_in, 1u);
  EXPECT_EQ(C().icmp_echo_replies, 1u);
}

TEST_F(IcmpTest, ChecksumFoldingEdgeCasesStayValid) {
  // Payloads chosen so that the request checksum takes several values, including 0xffff/0.
  for (uint16_t seq = 0; seq < 300; ++seq) {
    ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), Echo(0xf7ff, seq, Pattern(seq % 17))));
  }
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 300u);
  for (const Bytes& f : sent) {
    auto ip = Ipv4View::Parse(EthernetView::Parse(f)->payload());
    ASSERT_TRUE(ip);
    EXPECT_TRUE(IcmpView::Parse(ip->payload())->checksum_valid());
  }
}

TEST_F(IcmpTest, BadChecksumAndTruncatedAreDropped) {
  Bytes bad = Echo(1, 1, Pattern(20));
  bad[10] ^= 0xff;
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), bad));
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), Bytes{8, 0, 0xf7}));
  EXPECT_EQ(C().drop_icmp_malformed, 2u);
  EXPECT_EQ(C().icmp_echo_replies, 0u);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(IcmpTest, BroadcastEchoIsIgnored) {
  ReceiveIp(
      Ipv4Datagram(IpFromPeer(kIpProtoIcmp, Ipv4Addr::Of(10, 0, 0, 255)), Echo(1, 1, Pattern(8))),
      MacAddr::Broadcast());
  EXPECT_EQ(C().icmp_in, 1u);
  EXPECT_TRUE(Sent().empty());
}

// The IP header and first 8 bytes of a datagram we sent to `dst` with `protocol`.
Bytes OurDatagramQuote(uint8_t protocol, Ipv4Addr src = kOurIp, Ipv4Addr dst = kPeerIp) {
  Ipv4Repr r;
  r.src = src;
  r.dst = dst;
  r.protocol = protocol;
  r.dont_fragment = true;
  return Ipv4Datagram(r, Pattern(8, 5));
}

Bytes Unreachable(uint8_t code, const Bytes& quote, uint16_t mtu = 0) {
  Bytes m(kIcmpHeaderLen + quote.size());
  IcmpRepr::DestUnreachable(code, quote, mtu).Emit(m);
  return m;
}

// RFC 1122 3.2.2.1: an error reaches the transport that sent the quoted datagram, with the
// next-hop MTU of a "fragmentation needed" (RFC 1191 4).
// One table for every transport (Linux's mapping): TCP takes the errno, a connected UDP
// socket only the hard ones.
TEST(IcmpErrorErrno, LinuxMapping) {
  auto is = [](uint8_t type, uint8_t code, int error, bool hard) {
    const IcmpErrno m = IcmpErrorErrno(type, code);
    return m.error == error && m.hard == hard;
  };
  EXPECT_TRUE(is(kIcmpDestUnreachable, kIcmpCodePortUnreachable, ECONNREFUSED, true));
  EXPECT_TRUE(is(kIcmpDestUnreachable, kIcmpCodeProtocolUnreachable, ENOPROTOOPT, true));
  EXPECT_TRUE(is(kIcmpDestUnreachable, kIcmpCodeNetUnreachable, ENETUNREACH, false));
  EXPECT_TRUE(is(kIcmpDestUnreachable, kIcmpCodeHostUnreachable, EHOSTUNREACH, false));
  EXPECT_TRUE(is(kIcmpDestUnreachable, 13, EHOSTUNREACH, true));  // administratively filtered
  EXPECT_TRUE(is(kIcmpDestUnreachable, 7, EHOSTDOWN, true));
  EXPECT_TRUE(is(kIcmpTimeExceeded, kIcmpCodeTtlExceeded, EHOSTUNREACH, false));
  EXPECT_TRUE(is(kIcmpParameterProblem, 0, EPROTO, true));
  EXPECT_TRUE(is(4 /* source quench, RFC 6633 */, 0, 0, false));
}

TEST_F(IcmpTest, ErrorsAreHandedToTheQuotedTransport) {
  RecordingHandler tcp;
  net_->RegisterTransport(kIpProtoTcp, &tcp);
  const Bytes quote = OurDatagramQuote(kIpProtoTcp);
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), Unreachable(kIcmpCodeFragNeeded, quote, 1280)));
  ASSERT_EQ(tcp.errors.size(), 1u);
  const IcmpErrorInfo& e = tcp.errors[0];
  EXPECT_EQ(e.type, kIcmpDestUnreachable);
  EXPECT_EQ(e.code, kIcmpCodeFragNeeded);
  EXPECT_EQ(e.next_hop_mtu, 1280);
  EXPECT_EQ(e.src, kOurIp);
  EXPECT_EQ(e.dst, kPeerIp);
  EXPECT_EQ(e.total_length, 28);
  EXPECT_EQ(tcp.error_quotes[0], Pattern(8, 5));
  EXPECT_EQ(C().icmp_errors_in, 1u);
  EXPECT_TRUE(Sent().empty());  // RFC 1122 3.2.2: never an error about an error
}

TEST_F(IcmpTest, ErrorsWithBadQuotesAreDropped) {
  RecordingHandler tcp;
  net_->RegisterTransport(kIpProtoTcp, &tcp);
  Bytes truncated = OurDatagramQuote(kIpProtoTcp);
  truncated.resize(20 + 4);  // fewer than the 8 data bytes RFC 792 promises
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), Unreachable(kIcmpCodeFragNeeded, truncated)));
  // Not a datagram of ours: someone else's source address.
  const Bytes foreign = OurDatagramQuote(kIpProtoTcp, kFarIp, kPeerIp);
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), Unreachable(kIcmpCodeFragNeeded, foreign)));
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), Unreachable(kIcmpCodeFragNeeded, Bytes{1, 2})));
  EXPECT_TRUE(tcp.errors.empty());
  EXPECT_EQ(C().drop_icmp_error_quote, 3u);
}

// RFC 1191 3: the interface keeps the lowered path MTU per destination and sizes
// transport segments to it until the estimate ages out (RFC 1191 6.3).
TEST_F(IcmpTest, PathMtuIsKeptPerDestinationAndAgesOut) {
  EXPECT_EQ(net_->MaxTransportSize(kPeerIp), 1480);
  EXPECT_EQ(net_->ReducePathMtu(kPeerIp, 1200, now_), 1180);
  EXPECT_EQ(net_->MaxTransportSize(kPeerIp), 1180);
  EXPECT_EQ(net_->MaxTransportSize(kFarIp), 1480);
  EXPECT_EQ(net_->ReducePathMtu(kPeerIp, 1400, now_), 1180);  // never raised by ICMP
  EXPECT_EQ(C().pmtu_reductions, 2u);
  Advance(cfg_.pmtu_timeout + Duration::Seconds(1));
  LearnPeer();  // any input moves the interface's clock
  EXPECT_EQ(net_->MaxTransportSize(kPeerIp), 1480);
}

TEST_F(IcmpTest, OtherTypesAreCountedAndNeverAnswered) {
  Bytes unreach(8 + 28);
  IcmpRepr::DestUnreachable(kIcmpCodePortUnreachable, Pattern(28)).Emit(unreach);
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), unreach));
  Bytes reply(8 + 4);
  IcmpRepr::EchoReply(1, 2, Pattern(4)).Emit(reply);
  ReceiveIp(Ipv4Datagram(IpFromPeer(kIpProtoIcmp), reply));
  EXPECT_EQ(C().icmp_in, 2u);
  EXPECT_EQ(C().drop_icmp_malformed, 0u);
  EXPECT_TRUE(Sent().empty());
}

TEST_F(IcmpTest, FragmentedEchoGetsFragmentedReply) {
  const Bytes payload = Pattern(3000, 9);
  const Bytes msg = Echo(0xabcd, 42, payload);
  // Fragment the request by hand into 1480-byte pieces.
  Ipv4Repr r = IpFromPeer(kIpProtoIcmp);
  r.ident = 777;
  for (size_t off = 0; off < msg.size(); off += 1480) {
    const size_t n = std::min<size_t>(1480, msg.size() - off);
    Ipv4Repr f = r;
    f.frag_offset = static_cast<uint16_t>(off);
    f.more_fragments = off + n < msg.size();
    ReceiveIp(Ipv4Datagram(f, Bytes(msg.begin() + off, msg.begin() + off + n)));
  }
  EXPECT_EQ(C().reassembled, 1u);
  auto sent = Sent();
  ASSERT_EQ(sent.size(), 3u);
  std::map<size_t, Bytes> pieces;
  uint16_t ident = 0;
  for (const Bytes& f : sent) {
    auto ip = Ipv4View::Parse(EthernetView::Parse(f)->payload());
    ASSERT_TRUE(ip);
    EXPECT_TRUE(ip->checksum_valid());
    EXPECT_LE(ip->total_length(), 1500);
    EXPECT_FALSE(ip->dont_fragment());
    if (pieces.empty()) ident = ip->ident();
    EXPECT_EQ(ip->ident(), ident);
    pieces[ip->frag_offset()] = Bytes(ip->payload().begin(), ip->payload().end());
  }
  Bytes whole;
  for (auto& [off, b] : pieces) {
    EXPECT_EQ(off, whole.size());
    whole.insert(whole.end(), b.begin(), b.end());
  }
  auto v = IcmpView::Parse(whole);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(v->type(), kIcmpEchoReply);
  EXPECT_EQ(v->echo_id(), 0xabcd);
  EXPECT_EQ(v->echo_seq(), 42);
  EXPECT_EQ(Bytes(v->data().begin(), v->data().end()), payload);
}

}  // namespace
}  // namespace ustack::nettest
