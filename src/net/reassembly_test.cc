// Fragment reassembly tests (RFC 791 3.2, RFC 1122 3.3.2): any order, overlapping and
// duplicate fragments delivered once, inconsistent overlaps dropped, timeout, memory bound,
// malformed fragments, and the 65535-byte limit.
#include "net/reassembly.h"

#include <gtest/gtest.h>

#include <utility>

#include "base/random.h"
#include "net/net_test_util.h"

namespace ustack::nettest {
namespace {

struct Piece {
  size_t first;
  size_t end;
};

// One fragment of `data` (a datagram's payload) as an IPv4 datagram.
Bytes Fragment(const Bytes& data, size_t first, size_t end, uint16_t ident = 0x77,
               uint8_t proto = kIpProtoUdp) {
  Ipv4Repr r = IpFromPeer(proto);
  r.ident = ident;
  r.frag_offset = static_cast<uint16_t>(first);
  r.more_fragments = end != data.size();
  return Ipv4Datagram(r, Bytes(data.begin() + first, data.begin() + end));
}

class ReassemblyTest : public NetFixture {
 protected:
  void SetUp() override {
    NetFixture::SetUp();
    Make();
    net_->RegisterTransport(kIpProtoUdp, &udp_);
  }
  void Send(const Bytes& data, const std::vector<Piece>& pieces, uint16_t ident = 0x77) {
    for (const Piece& p : pieces) ReceiveIp(Fragment(data, p.first, p.end, ident));
  }
  RecordingHandler udp_;
};

TEST_F(ReassemblyTest, InOrderAndReverseOrder) {
  const Bytes data = Pattern(4000);
  std::vector<Piece> pieces = {{0, 1480}, {1480, 2960}, {2960, 4000}};
  Send(data, pieces, 1);
  ASSERT_EQ(udp_.payloads.size(), 1u);
  EXPECT_EQ(udp_.payloads[0], data);
  EXPECT_EQ(udp_.infos[0].src, kPeerIp);
  EXPECT_EQ(udp_.infos[0].protocol, kIpProtoUdp);
  std::reverse(pieces.begin(), pieces.end());
  Send(data, pieces, 2);
  ASSERT_EQ(udp_.payloads.size(), 2u);
  EXPECT_EQ(udp_.payloads[1], data);
  EXPECT_EQ(C().frag_in, 6u);
  EXPECT_EQ(C().reassembled, 2u);
}

// Random orders with overlapping re-fragmentations and exact duplicates. One 8-byte hole is
// left until the very end so that completion can only happen on the final fragment.
TEST_F(ReassemblyTest, AnyOrderWithOverlapsAndDuplicatesDeliveredOnce) {
  const size_t n = 2000;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Random rng(seed);
    const Bytes data = Pattern(n, static_cast<uint8_t>(seed));
    std::vector<Piece> pieces;
    auto cover = [&](size_t from, size_t to) {
      for (size_t at = from; at < to;) {
        const size_t end = std::min(to, at + 8 * (1 + rng.Below(40)));
        pieces.push_back({at, end});
        at = end;
      }
    };
    cover(0, 800);
    cover(808, n);
    for (int i = 0; i < 12; ++i) {  // overlapping pieces on either side of the hole
      const bool left = rng.Chance(0.5);
      const size_t lo = left ? 0 : 808;
      const size_t hi = left ? 800 : n;
      const size_t first = lo + 8 * rng.Below((hi - lo) / 8);
      pieces.push_back({first, std::min(hi, first + 8 * (1 + rng.Below(30)))});
    }
    for (int i = 0; i < 6; ++i) pieces.push_back(pieces[rng.Below(pieces.size())]);
    for (size_t i = pieces.size() - 1; i > 0; --i) std::swap(pieces[i], pieces[rng.Below(i + 1)]);
    const auto ident = static_cast<uint16_t>(seed);
    Send(data, pieces, ident);
    ASSERT_EQ(udp_.payloads.size(), seed - 1) << "seed " << seed;
    Send(data, {{792, 816}}, ident);
    ASSERT_EQ(udp_.payloads.size(), seed) << "seed " << seed;
    EXPECT_EQ(udp_.payloads.back(), data) << "seed " << seed;
  }
  EXPECT_EQ(C().drop_frag_malformed, 0u);
}

TEST_F(ReassemblyTest, InconsistentOverlapDropsTheDatagram) {
  const Bytes data = Pattern(200);
  ReceiveIp(Fragment(data, 0, 16));
  Bytes other = data;
  other[12] ^= 0x55;  // differs inside the overlap [8, 16)
  ReceiveIp(Fragment(other, 8, 24));
  EXPECT_EQ(C().drop_frag_malformed, 1u);
  Send(data, {{16, 200}});
  EXPECT_TRUE(udp_.payloads.empty());
}

TEST_F(ReassemblyTest, MalformedFragmentsAreCounted) {
  const Bytes data = Pattern(100);
  ReceiveIp(Fragment(data, 0, 12));  // MF set but not a multiple of 8 bytes
  EXPECT_EQ(C().drop_frag_malformed, 1u);
  // Two different last fragments.
  ReceiveIp(Fragment(data, 40, 100, 5));
  Bytes longer = Pattern(120);
  ReceiveIp(Fragment(longer, 40, 120, 5));
  EXPECT_EQ(C().drop_frag_malformed, 2u);
  // A fragment beyond a known end.
  ReceiveIp(Fragment(data, 48, 100, 6));
  Ipv4Repr r = IpFromPeer(kIpProtoUdp);
  r.ident = 6;
  r.frag_offset = 96;
  r.more_fragments = true;
  ReceiveIp(Ipv4Datagram(r, Pattern(16)));
  EXPECT_EQ(C().drop_frag_malformed, 3u);
  // RFC 791: nothing may extend a datagram past 65535 bytes.
  r.ident = 7;
  r.frag_offset = 65528;
  r.more_fragments = false;
  ReceiveIp(Ipv4Datagram(r, Pattern(8)));
  EXPECT_EQ(C().drop_frag_malformed, 4u);
  EXPECT_TRUE(udp_.payloads.empty());
}

TEST_F(ReassemblyTest, LargestDatagramReassembles) {
  const Bytes data = Pattern(65535 - 20);
  std::vector<Piece> pieces;
  for (size_t at = 0; at < data.size(); at += 1480) {
    pieces.push_back({at, std::min(data.size(), at + 1480)});
  }
  Send(data, pieces);
  ASSERT_EQ(udp_.payloads.size(), 1u);
  EXPECT_EQ(udp_.payloads[0], data);
}

TEST_F(ReassemblyTest, TimeoutDiscardsThroughInterface) {
  const Bytes data = Pattern(3000);
  ReceiveIp(Fragment(data, 0, 1480));
  Advance(cfg_.reassembly_timeout - Duration::Millis(2));
  EXPECT_EQ(C().drop_frag_timeout, 0u);
  Advance(Duration::Millis(3));
  EXPECT_EQ(C().drop_frag_timeout, 1u);
  ReceiveIp(Fragment(data, 1480, 3000));  // starts a new datagram that cannot complete
  EXPECT_TRUE(udp_.payloads.empty());
}

// Direct tests of the Reassembler's limits.
class ReassemblerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitTestEal());
    pool_ = std::make_unique<PacketPool>("reasm_test", 1024);
    ASSERT_TRUE(pool_->ok());
    start_ = pool_->available();
  }
  void TearDown() override {
    r_.reset();
    EXPECT_EQ(pool_->available(), start_) << "mbuf leak";
  }
  void Make() { r_ = std::make_unique<Reassembler>(timers_, cfg_, counters_); }
  std::optional<Reassembled> Add(const Bytes& data, size_t first, size_t end, uint16_t ident) {
    const Bytes d = Fragment(data, first, end, ident);
    auto hdr = Ipv4View::Parse(d);
    EXPECT_TRUE(hdr);
    Packet p = Packet::FromBytes(pool_->get(), hdr->payload());
    EXPECT_TRUE(p);
    return r_->Add(std::move(p), *hdr, now_);
  }

  std::unique_ptr<PacketPool> pool_;
  unsigned start_ = 0;
  Instant now_ = Instant::FromNanos(1'000'000'000);
  TimerWheel timers_{now_};
  InterfaceConfig cfg_;
  NetCounters counters_;
  std::unique_ptr<Reassembler> r_;
};

TEST_F(ReassemblerTest, TimeoutFreesMemory) {
  Make();
  const Bytes data = Pattern(3000);
  EXPECT_FALSE(Add(data, 0, 1480, 1));
  EXPECT_FALSE(Add(data, 1480, 2960, 2));
  EXPECT_EQ(r_->datagrams(), 2u);
  EXPECT_GT(r_->bytes(), 2960u);
  now_ += cfg_.reassembly_timeout;
  timers_.Advance(now_);
  EXPECT_EQ(counters_.drop_frag_timeout, 2u);
  EXPECT_EQ(r_->datagrams(), 0u);
  EXPECT_EQ(r_->bytes(), 0u);
  EXPECT_EQ(pool_->available(), start_);
}

TEST_F(ReassemblerTest, MemoryLimitEvictsOldest) {
  cfg_.reassembly_max_bytes = 8000;
  Make();
  const Bytes data = Pattern(3000);
  for (uint16_t id = 0; id < 10; ++id) {
    EXPECT_FALSE(Add(data, 0, 1480, id));
    EXPECT_LE(r_->bytes(), cfg_.reassembly_max_bytes);
  }
  EXPECT_GE(r_->datagrams(), 1u);
  EXPECT_LE(r_->datagrams(), 3u);  // each fragment pins a whole buffer
  EXPECT_EQ(counters_.drop_frag_memory, 10u - r_->datagrams());
  // The newest datagram still completes (evicting older ones to make room).
  auto done = Add(data, 1480, 3000, 9);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->payload.length(), 3000u);
  Bytes out(3000);
  done->payload.CopyOut(0, out);
  EXPECT_EQ(out, data);
  EXPECT_EQ(done->header_len, 20);
  EXPECT_LE(r_->bytes(), cfg_.reassembly_max_bytes);
}

TEST_F(ReassemblerTest, FragmentLargerThanTheLimitIsDropped) {
  cfg_.reassembly_max_bytes = 1000;
  Make();
  const Bytes data = Pattern(3000);
  EXPECT_FALSE(Add(data, 0, 1480, 1));
  EXPECT_EQ(counters_.drop_frag_memory, 1u);
  EXPECT_EQ(r_->datagrams(), 0u);
  EXPECT_EQ(r_->bytes(), 0u);
}

TEST_F(ReassemblerTest, DuplicateOfHeldFragmentChangesNothing) {
  Make();
  const Bytes data = Pattern(100);
  EXPECT_FALSE(Add(data, 0, 48, 1));
  const size_t held = r_->bytes();
  EXPECT_FALSE(Add(data, 0, 48, 1));
  EXPECT_FALSE(Add(data, 8, 24, 1));
  EXPECT_EQ(r_->bytes(), held);
  auto done = Add(data, 40, 100, 1);  // overlaps [40, 48)
  ASSERT_TRUE(done);
  Bytes out(100);
  EXPECT_EQ(done->payload.CopyOut(0, out), 100u);
  EXPECT_EQ(out, data);
  EXPECT_EQ(r_->bytes(), 0u);
}

}  // namespace
}  // namespace ustack::nettest
