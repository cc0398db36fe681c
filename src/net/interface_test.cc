// Robustness of the whole interface: mutated and truncated frames of every kind (ARP, IPv4,
// ICMP, fragments, options) never crash, every frame is counted, and once the timers have
// run every buffer is back in the pool.
#include <gtest/gtest.h>

#include "base/checksum.h"
#include "base/random.h"
#include "net/net_test_util.h"

namespace ustack::nettest {
namespace {

class InterfaceFuzzTest : public NetFixture {};

std::vector<Bytes> Templates() {
  std::vector<Bytes> t;
  t.push_back(EthFrame(MacAddr::Broadcast(), kPeerMac, kEtherTypeArp,
                       ArpBody(ArpOp::kRequest, kPeerMac, kPeerIp, MacAddr{}, kOurIp)));
  t.push_back(EthFrame(kOurMac, kGwMac, kEtherTypeArp,
                       ArpBody(ArpOp::kReply, kGwMac, kGwIp, kOurMac, kOurIp)));
  t.push_back(EthFrame(kOurMac, kPeerMac, kEtherTypeIpv4,
                       Ipv4Datagram(IpFromPeer(kIpProtoUdp), Pattern(40))));
  Bytes echo(8 + 32);
  IcmpRepr::EchoRequest(9, 9, Pattern(32)).Emit(echo);
  t.push_back(
      EthFrame(kOurMac, kPeerMac, kEtherTypeIpv4, Ipv4Datagram(IpFromPeer(kIpProtoIcmp), echo)));
  t.push_back(EthFrame(kOurMac, kPeerMac, kEtherTypeIpv4,
                       Ipv4Datagram(IpFromPeer(kIpProtoTcp), Pattern(60))));
  const Bytes data = Pattern(3000);
  for (size_t at = 0; at < data.size(); at += 1480) {
    Ipv4Repr r = IpFromPeer(kIpProtoUdp);
    const size_t end = std::min(data.size(), at + 1480);
    r.frag_offset = static_cast<uint16_t>(at);
    r.more_fragments = end != data.size();
    t.push_back(EthFrame(kOurMac, kPeerMac, kEtherTypeIpv4,
                         Ipv4Datagram(r, Bytes(data.begin() + at, data.begin() + end))));
  }
  return t;
}

// Makes a mutated IPv4 header pass the checksum test, so later checks are exercised too.
void FixIpChecksum(Bytes& f) {
  if (f.size() < 34 || f[12] != 0x08 || f[13] != 0x00) return;
  const size_t ihl = size_t{f[14] & 0x0fu} * 4;
  if (ihl < 20 || 14 + ihl > f.size()) return;
  f[24] = f[25] = 0;
  const uint16_t c = InternetChecksum(std::span(f).subspan(14, ihl));
  f[24] = static_cast<uint8_t>(c >> 8);
  f[25] = static_cast<uint8_t>(c);
}

TEST_F(InterfaceFuzzTest, MutatedFramesNeverCrashAndNothingLeaks) {
  cfg_.reassembly_max_bytes = 64 * 1024;
  Make();
  RecordingHandler udp;
  udp.verdict = Delivery::kNoListener;
  net_->RegisterTransport(kIpProtoUdp, &udp);
  const auto templates = Templates();
  Random rng(20240601);
  const int kFrames = 20000;
  for (int i = 0; i < kFrames; ++i) {
    Bytes f = templates[rng.Below(templates.size())];
    const int flips = static_cast<int>(rng.Below(4));
    for (int k = 0; k < flips; ++k) {
      // Mostly in the headers, where the parsers look.
      const size_t at =
          rng.Chance(0.8) ? rng.Below(std::min<size_t>(f.size(), 64)) : rng.Below(f.size());
      f[at] = static_cast<uint8_t>(rng.Next32());
    }
    if (rng.Chance(0.2)) f.resize(rng.Below(f.size() + 1));
    if (rng.Chance(0.1)) f.resize(f.size() + rng.Below(64), 0xa5);
    if (rng.Chance(0.6)) FixIpChecksum(f);
    if (f.empty()) f.push_back(0);
    Receive(f);
    if (i % 97 == 0) {
      Advance(Duration::Millis(static_cast<int64_t>(rng.Below(3000))));
      Sent();
    }
  }
  EXPECT_EQ(C().rx_frames, static_cast<uint64_t>(kFrames));
  // Every pending ARP resolution and reassembly expires; then no buffer may be held.
  Advance(Duration::Seconds(120));
  Sent();
  EXPECT_EQ(Pool().available(), pool_start_);
  EXPECT_GT(C().ip_in, 0u);
  EXPECT_GT(C().drop_ip_bad_checksum + C().drop_ip_malformed, 0u);
}

}  // namespace
}  // namespace ustack::nettest
