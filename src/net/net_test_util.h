// Test support for net/ tests (not part of the library): a Port that records transmitted
// frames, a recording transport handler, frame builders using the wire/ emitters, and a
// fixture owning pool, clock, timer wheel, port and interface. The fixture checks in TearDown
// that every mbuf went back to the pool.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "base/timer_wheel.h"
#include "buf/packet.h"
#include "buf/test_eal.h"
#include "net/interface.h"
#include "port/port.h"
#include "wire/arp.h"
#include "wire/ethernet.h"
#include "wire/icmp.h"
#include "wire/ipv4.h"

namespace ustack::nettest {

using Bytes = std::vector<uint8_t>;

inline constexpr MacAddr kOurMac{{0x02, 0, 0, 0, 0, 0x01}};
inline constexpr MacAddr kPeerMac{{0x02, 0, 0, 0, 0, 0x02}};
inline constexpr MacAddr kGwMac{{0x02, 0, 0, 0, 0, 0xfe}};
inline constexpr Ipv4Addr kOurIp = Ipv4Addr::Of(10, 0, 0, 1);
inline constexpr Ipv4Addr kPeerIp = Ipv4Addr::Of(10, 0, 0, 2);
inline constexpr Ipv4Addr kGwIp = Ipv4Addr::Of(10, 0, 0, 254);
inline constexpr Ipv4Addr kFarIp = Ipv4Addr::Of(192, 0, 2, 7);

// A Port that keeps what it is given. accept_limit bounds frames taken per TxBurst.
class TestPort final : public Port {
 public:
  TestPort(rte_mempool* pool, uint16_t mtu) : pool_(pool), mtu_(mtu) {}
  uint16_t RxBurst(std::span<Packet>, Instant) override { return 0; }
  uint16_t TxBurst(std::span<Packet> pkts, Instant) override {
    size_t n = std::min(pkts.size(), accept_limit);
    for (size_t i = 0; i < n; ++i) sent.push_back(std::move(pkts[i]));
    ++bursts;
    return static_cast<uint16_t>(n);
  }
  MacAddr mac() const override { return kOurMac; }
  uint16_t mtu() const override { return mtu_; }
  rte_mempool* pool() const override { return pool_; }
  PortStats stats() const override { return {}; }

  std::vector<Packet> sent;
  size_t accept_limit = SIZE_MAX;
  int bursts = 0;

 private:
  rte_mempool* pool_;
  uint16_t mtu_;
};

// A transport that records what it receives and answers with a fixed verdict.
class RecordingHandler final : public TransportHandler {
 public:
  Delivery OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant) override {
    Bytes b(pkt.length());
    pkt.CopyOut(0, b);
    payloads.push_back(std::move(b));
    infos.push_back(ip);
    return verdict;
  }
  void OnIcmpError(const IcmpErrorInfo& err, Instant) override {
    errors.push_back(err);
    error_quotes.emplace_back(err.transport.begin(), err.transport.end());
  }
  Delivery verdict = Delivery::kConsumed;
  std::vector<Bytes> payloads;
  std::vector<Ipv4Info> infos;
  std::vector<IcmpErrorInfo> errors;  // `transport` spans point into error_quotes
  std::vector<Bytes> error_quotes;
};

inline Bytes EthFrame(const MacAddr& dst, const MacAddr& src, uint16_t type, const Bytes& body) {
  Bytes f(kEthernetHeaderLen + body.size());
  EthernetRepr{dst, src, type, std::nullopt}.Emit(f);
  std::copy(body.begin(), body.end(), f.begin() + kEthernetHeaderLen);
  return f;
}

inline Bytes ArpBody(ArpOp op, const MacAddr& smac, Ipv4Addr sip, const MacAddr& tmac,
                     Ipv4Addr tip) {
  Bytes b(kArpPacketLen);
  ArpRepr{op, smac, sip, tmac, tip}.Emit(b);
  return b;
}

// An IPv4 datagram with a 20-byte header: header fields from r (payload_len is set here).
inline Bytes Ipv4Datagram(Ipv4Repr r, const Bytes& payload) {
  r.payload_len = static_cast<uint16_t>(payload.size());
  Bytes d(r.total_len());
  r.Emit(d);
  std::copy(payload.begin(), payload.end(), d.begin() + kIpv4MinHeaderLen);
  return d;
}

inline Ipv4Repr IpFromPeer(uint8_t protocol, Ipv4Addr dst = kOurIp) {
  Ipv4Repr r;
  r.src = kPeerIp;
  r.dst = dst;
  r.protocol = protocol;
  r.ttl = 64;
  r.ident = 0x4242;
  return r;
}

inline Bytes Pattern(size_t n, uint8_t seed = 0) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + seed + (i >> 8));
  return b;
}

class NetFixture : public ::testing::Test {
 protected:
  static PacketPool& Pool() {
    static PacketPool pool("net_test", 8192);
    return pool;
  }

  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    ASSERT_TRUE(Pool().ok());
    pool_start_ = Pool().available();
    cfg_.addr = kOurIp;
    cfg_.netmask = Ipv4Addr::Of(255, 255, 255, 0);
    cfg_.gateway = kGwIp;
  }

  void TearDown() override {
    net_.reset();
    port_.reset();
    EXPECT_EQ(Pool().available(), pool_start_) << "mbuf leak";
  }

  // Builds port and interface from cfg_ (call after adjusting cfg_).
  void Make(uint16_t mtu = 1500) {
    port_ = std::make_unique<TestPort>(Pool().get(), mtu);
    net_ = std::make_unique<NetInterface>(*port_, timers_, cfg_, now_);
  }

  void Advance(Duration d) {
    now_ += d;
    timers_.Advance(now_);
  }

  void Receive(const Bytes& frame) {
    Packet p = Packet::FromBytes(Pool().get(), frame);
    ASSERT_TRUE(p);
    net_->Input(std::move(p), now_);
  }
  void ReceiveIp(const Bytes& datagram, const MacAddr& dst = kOurMac) {
    Receive(EthFrame(dst, kPeerMac, kEtherTypeIpv4, datagram));
  }
  // Teaches the interface the peer's MAC through an ARP request from the peer.
  void LearnPeer(Ipv4Addr ip = kPeerIp, const MacAddr& mac = kPeerMac) {
    Receive(EthFrame(MacAddr::Broadcast(), mac, kEtherTypeArp,
                     ArpBody(ArpOp::kRequest, mac, ip, MacAddr{}, kOurIp)));
  }

  // Flushes and returns the bytes of every frame transmitted so far; clears the record.
  std::vector<Bytes> Sent() {
    net_->FlushTx(now_);
    std::vector<Bytes> out;
    for (Packet& p : port_->sent) {
      Bytes b(p.length());
      p.CopyOut(0, b);
      out.push_back(std::move(b));
    }
    port_->sent.clear();
    return out;
  }

  // Sends `payload` as a transport packet through IpOutput.
  bool SendL4(Ipv4Addr dst, const Bytes& payload, bool df = true, uint8_t proto = 17) {
    Packet p = net_->AllocTx();
    if (!p || !p.AppendBytes(Pool().get(), payload)) return false;
    Ipv4SendOptions o;
    o.dont_fragment = df;
    return net_->SendIpv4(std::move(p), Ipv4Addr::Any(), dst, proto, o, now_);
  }

  const NetCounters& C() const { return net_->counters(); }

  Instant now_ = Instant::FromNanos(5'000'000'000);
  TimerWheel timers_{now_};
  InterfaceConfig cfg_;
  std::unique_ptr<TestPort> port_;
  std::unique_ptr<NetInterface> net_;
  unsigned pool_start_ = 0;
};

}  // namespace ustack::nettest
