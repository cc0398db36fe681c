// Tests for UdpLayer against a capturing IpOutput: checksums (RFC 768), demux, ephemeral
// binding, receive-buffer limits, port-unreachable signalling (RFC 1122 3.2.2.1) and ICMP
// errors passed to connected sockets (RFC 1122 4.1.3.3).
#include "udp/udp.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/checksum.h"
#include "buf/test_eal.h"
#include "wire/icmp.h"
#include "wire/udp.h"

namespace ustack {
namespace {

struct Sent {
  Packet pkt;
  Ipv4Addr src, dst;
};

class CaptureIp final : public IpOutput {
 public:
  explicit CaptureIp(rte_mempool* pool) : pool_(pool) {}
  Packet AllocTx() override { return Packet::Alloc(pool_); }
  bool SendIpv4(Packet l4, Ipv4Addr src, Ipv4Addr dst, uint8_t, const Ipv4SendOptions&,
                Instant) override {
    sent.push_back({std::move(l4), src, dst});
    return true;
  }
  uint16_t MaxTransportSize(Ipv4Addr) const override { return 1480; }
  Ipv4Addr SourceFor(Ipv4Addr) const override { return kLocal; }
  bool IsLocal(Ipv4Addr a) const override { return a == kLocal; }
  rte_mempool* tx_pool() const override { return pool_; }

  static constexpr Ipv4Addr kLocal = Ipv4Addr::Of(198, 18, 0, 2);
  std::vector<Sent> sent;

 private:
  rte_mempool* pool_;
};

class UdpTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(InitTestEal()); }
  static rte_mempool* Pool() {
    InitTestEal();  // members below are built before SetUp runs
    static PacketPool pool("udp_test", 2047);
    return pool.get();
  }
  CaptureIp ip_{Pool()};
  Random rng_{3};
  UdpLayer udp_{ip_, rng_, UdpConfig{}};
  const Ipv4Addr peer_ = Ipv4Addr::Of(198, 18, 0, 1);
  const Instant now_ = Instant::FromNanos(0);
};

TEST_F(UdpTest, SendBuildsValidChecksummedDatagram) {
  auto s = udp_.Bind({Ipv4Addr::Any(), 7}, nullptr);
  ASSERT_TRUE(s);
  const std::vector<uint8_t> payload = {'h', 'e', 'l', 'l', 'o'};
  ASSERT_TRUE((*s)->SendTo(payload, {peer_, 9999}, now_));
  ASSERT_EQ(ip_.sent.size(), 1u);
  Packet& p = ip_.sent[0].pkt;
  EXPECT_EQ(p.length(), 13u);
  auto hdr = UdpRepr::Parse(p.head(), p.length());
  ASSERT_TRUE(hdr);
  EXPECT_EQ(hdr->src_port, 7);
  EXPECT_EQ(hdr->dst_port, 9999);
  // RFC 768: the checksum covers the pseudo header, header and data and sums to all ones.
  const uint64_t sum = PseudoHeaderSumV4(CaptureIp::kLocal.v, peer_.v, kIpProtoUdp, 13);
  EXPECT_EQ(ChecksumFold(p.ChecksumSum(0, 13) + sum), 0xffff);
}

TEST_F(UdpTest, ReceiveDeliversToBoundSocketAndVerifiesChecksum) {
  auto rx = udp_.Bind({Ipv4Addr::Any(), 7}, nullptr);
  ASSERT_TRUE(rx);
  // Build a datagram from the "peer" with a second layer as the sender.
  CaptureIp peer_ip(Pool());
  UdpLayer sender(peer_ip, rng_, UdpConfig{});
  auto tx = sender.Bind({Ipv4Addr::Any(), 5555}, nullptr);
  ASSERT_TRUE(tx);
  const std::vector<uint8_t> payload(3000, 0x5a);  // needs more than one mbuf
  ASSERT_TRUE((*tx)->SendTo(payload, {CaptureIp::kLocal, 7}, now_));
  Ipv4Info info{.src = CaptureIp::kLocal, .dst = CaptureIp::kLocal, .protocol = kIpProtoUdp};
  Packet copy = peer_ip.sent[0].pkt.Copy(Pool());
  EXPECT_EQ(udp_.OnIpv4(peer_ip.sent[0].pkt, info, now_), Delivery::kConsumed);
  EXPECT_EQ((*rx)->events() & kEventIn, kEventIn);
  std::vector<uint8_t> out(4000);
  UdpEndpoint from;
  auto r = (*rx)->RecvFrom(out, &from);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 3000u);
  EXPECT_EQ(from.port, 5555);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), out.begin()));
  EXPECT_EQ((*rx)->RecvFrom(out, &from).error(), EAGAIN);
  // Flip one payload byte: the checksum must catch it.
  copy.MakeContiguous(20);
  copy.head()[12] ^= 0x01;
  EXPECT_EQ(udp_.OnIpv4(copy, info, now_), Delivery::kConsumed);
  EXPECT_EQ(udp_.counters().drop_bad_checksum, 1u);
  EXPECT_EQ((*rx)->events() & kEventIn, 0u);
}

TEST_F(UdpTest, NoSocketAsksForPortUnreachable) {
  Packet p = Packet::Alloc(Pool());
  UdpRepr h{.src_port = 1, .dst_port = 4242, .length = 8, .checksum = 0};
  h.Emit(std::span<uint8_t, kUdpHeaderLen>(p.Append(8), kUdpHeaderLen));
  Ipv4Info info{.src = peer_, .dst = CaptureIp::kLocal, .protocol = kIpProtoUdp};
  EXPECT_EQ(udp_.OnIpv4(p, info, now_), Delivery::kNoListener);
  EXPECT_TRUE(p.valid());  // the network layer still has it, to quote in the ICMP error
  EXPECT_EQ(udp_.counters().drop_no_port, 1u);
}

TEST_F(UdpTest, TruncatedAndBadLengthDropped) {
  Packet p = Packet::Alloc(Pool());
  p.Append(5);
  Ipv4Info info{.src = peer_, .dst = CaptureIp::kLocal, .protocol = kIpProtoUdp};
  EXPECT_EQ(udp_.OnIpv4(p, info, now_), Delivery::kConsumed);
  EXPECT_EQ(udp_.counters().drop_malformed, 1u);
}

TEST_F(UdpTest, BindConflictsAndEphemeralPorts) {
  auto a = udp_.Bind({Ipv4Addr::Any(), 53}, nullptr);
  ASSERT_TRUE(a);
  EXPECT_EQ(udp_.Bind({CaptureIp::kLocal, 53}, nullptr).error(), EADDRINUSE);
  auto e = udp_.Bind({Ipv4Addr::Any(), 0}, nullptr);
  ASSERT_TRUE(e);
  EXPECT_GE((*e)->local().port, 32768);
  EXPECT_EQ(udp_.Bind({Ipv4Addr::Of(1, 2, 3, 4), 99}, nullptr).error(), EADDRNOTAVAIL);
  udp_.Close(*a);
  EXPECT_TRUE(udp_.Bind({Ipv4Addr::Any(), 53}, nullptr));
}

TEST_F(UdpTest, OversizeSendRejected) {
  auto s = udp_.Bind({Ipv4Addr::Any(), 0}, nullptr);
  ASSERT_TRUE(s);
  std::vector<uint8_t> big(65508);
  EXPECT_EQ((*s)->SendTo(big, {peer_, 7}, now_).error(), EMSGSIZE);
}

TEST_F(UdpTest, ReceiveBufferLimitDropsAndCounts) {
  UdpConfig cfg;
  cfg.receive_buffer = 100;
  UdpLayer small(ip_, rng_, cfg);
  auto rx = small.Bind({Ipv4Addr::Any(), 7}, nullptr);
  ASSERT_TRUE(rx);
  Ipv4Info info{.src = peer_, .dst = CaptureIp::kLocal, .protocol = kIpProtoUdp};
  for (int i = 0; i < 3; ++i) {
    Packet p = Packet::Alloc(Pool());
    UdpRepr h{.src_port = 1, .dst_port = 7, .length = 68, .checksum = 0};
    h.Emit(std::span<uint8_t, kUdpHeaderLen>(p.Append(68), kUdpHeaderLen));
    small.OnIpv4(p, info, now_);
  }
  EXPECT_EQ(small.counters().datagrams_in, 3u);
  EXPECT_EQ(small.counters().drop_receive_buffer_full, 2u);
}

struct CountingSink final : EventSink {
  void OnEvents(uint32_t e) override {
    last = e;
    ++calls;
  }
  uint32_t last = 0;
  int calls = 0;
};

// The error the network layer hands over for a datagram from local port `from` to `to`.
IcmpErrorInfo ErrorAbout(uint8_t type, uint8_t code, uint16_t from, UdpEndpoint to,
                         std::vector<uint8_t>* quote) {
  quote->assign(8, 0);
  UdpRepr{.src_port = from, .dst_port = to.port, .length = 9, .checksum = 0}.Emit(
      std::span<uint8_t, kUdpHeaderLen>(quote->data(), kUdpHeaderLen));
  IcmpErrorInfo err;
  err.type = type;
  err.code = code;
  err.src = CaptureIp::kLocal;
  err.dst = to.addr;
  err.total_length = 29;
  err.transport = *quote;
  return err;
}

// RFC 1122 4.1.3.3 as Linux without IP_RECVERR: a port unreachable about a datagram to the
// connected peer becomes the socket's pending error, reported once by the next receive.
TEST_F(UdpTest, PortUnreachableIsThePendingErrorOfAConnectedSocket) {
  CountingSink sink;
  auto s = udp_.Bind({Ipv4Addr::Any(), 7}, &sink);
  ASSERT_TRUE(s);
  const UdpEndpoint peer{peer_, 9999};
  (*s)->set_peer(peer);
  std::vector<uint8_t> q;
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 7, peer, &q), now_);
  EXPECT_EQ(udp_.counters().icmp_errors_reported, 1u);
  EXPECT_EQ(sink.calls, 1);
  EXPECT_EQ(sink.last, kEventOut | kEventErr);
  EXPECT_EQ((*s)->events(), kEventOut | kEventErr);
  uint8_t buf[4];
  EXPECT_EQ((*s)->RecvFrom(buf, nullptr).error(), ECONNREFUSED);
  EXPECT_EQ((*s)->RecvFrom(buf, nullptr).error(), EAGAIN);
  EXPECT_EQ((*s)->events(), kEventOut);
  // The next send reports it instead of sending; TakeError (SO_ERROR) reads and clears it.
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 7, peer, &q), now_);
  const std::vector<uint8_t> data = {1};
  EXPECT_EQ((*s)->SendTo(data, peer, now_).error(), ECONNREFUSED);
  EXPECT_TRUE(ip_.sent.empty());
  EXPECT_TRUE((*s)->SendTo(data, peer, now_));
  udp_.OnIcmpError(ErrorAbout(kIcmpParameterProblem, 0, 7, peer, &q), now_);
  EXPECT_EQ((*s)->TakeError(), EPROTO);
  EXPECT_EQ((*s)->TakeError(), 0);
}

TEST_F(UdpTest, IcmpErrorsThatLinuxDoesNotReportAreIgnored) {
  auto s = udp_.Bind({Ipv4Addr::Any(), 7}, nullptr);
  auto unconnected = udp_.Bind({Ipv4Addr::Any(), 8}, nullptr);
  ASSERT_TRUE(s && unconnected);
  const UdpEndpoint peer{peer_, 9999};
  (*s)->set_peer(peer);
  std::vector<uint8_t> q;
  // Unconnected socket; another peer port; another peer address; no socket on the port.
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 8, peer, &q), now_);
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 7, {peer_, 9998}, &q),
                   now_);
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 7,
                              {Ipv4Addr::Of(198, 18, 0, 9), 9999}, &q),
                   now_);
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 6, peer, &q), now_);
  // Soft errors: host unreachable, fragmentation needed, time exceeded, source quench.
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodeHostUnreachable, 7, peer, &q), now_);
  udp_.OnIcmpError(ErrorAbout(kIcmpDestUnreachable, kIcmpCodeFragNeeded, 7, peer, &q), now_);
  udp_.OnIcmpError(ErrorAbout(kIcmpTimeExceeded, kIcmpCodeTtlExceeded, 7, peer, &q), now_);
  udp_.OnIcmpError(ErrorAbout(kIcmpSourceQuench, 0, 7, peer, &q), now_);
  // A quote too short for the ports.
  IcmpErrorInfo shorty = ErrorAbout(kIcmpDestUnreachable, kIcmpCodePortUnreachable, 7, peer, &q);
  shorty.transport = shorty.transport.first(3);
  udp_.OnIcmpError(shorty, now_);
  EXPECT_EQ(udp_.counters().icmp_errors_ignored, 9u);
  EXPECT_EQ(udp_.counters().icmp_errors_reported, 0u);
  EXPECT_EQ((*s)->TakeError(), 0);
  EXPECT_EQ((*unconnected)->TakeError(), 0);
  EXPECT_EQ((*s)->events(), kEventOut);
}

}  // namespace
}  // namespace ustack
