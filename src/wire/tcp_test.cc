// Tests for the TCP header view, options and checksum (wire/tcp.h): round trips, vectors
// captured from Linux, every truncation length, random garbage and bad option lengths.
#include "wire/tcp.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/checksum.h"
#include "base/random.h"

namespace ustack {
namespace {

std::vector<uint8_t> Hex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// A SYN and SYN-ACK from Linux 127.0.0.1:34408 <-> 127.0.0.1:5555 (checksums recomputed, as
// loopback leaves them partial): MSS 65495, SACK-permitted, timestamps, NOP, window scale 10.
const char kLinuxSyn[] =
    "866815b3149c8f3700000000a002ffd76bde00000204ffd70402080a62fa4137000000000103030a";
const char kLinuxSynAck[] =
    "15b386685aa39452149c8f38a012ffcb38a400000204ffd70402080aa8019c3d62fa41370103030a";
const Ipv4Addr kLo = Ipv4Addr::Of(127, 0, 0, 1);

TEST(TcpWire, ParsesLinuxSyn) {
  const auto b = Hex(kLinuxSyn);
  auto v = TcpView::Parse(b);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->src_port(), 34408);
  EXPECT_EQ(v->dst_port(), 5555);
  EXPECT_EQ(v->seq(), 0x149c8f37u);
  EXPECT_EQ(v->ack(), 0u);
  EXPECT_EQ(v->header_length(), 40u);
  EXPECT_EQ(v->flags(), kTcpSyn);
  EXPECT_EQ(v->window(), 0xffd7);
  EXPECT_EQ(v->checksum(), 0x6bde);
  EXPECT_TRUE(v->payload().empty());
  auto r = TcpRepr::Parse(*v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->options.mss, 65495);
  EXPECT_TRUE(r->options.sack_permitted);
  ASSERT_TRUE(r->options.timestamps);
  EXPECT_EQ(r->options.timestamps->value, 0x62fa4137u);
  EXPECT_EQ(r->options.timestamps->echo, 0u);
  EXPECT_EQ(r->options.window_scale, 10);
  EXPECT_TRUE(TcpChecksumValidV4(kLo, kLo, static_cast<uint32_t>(b.size()), ChecksumAdd(0, b)));
}

TEST(TcpWire, ParsesLinuxSynAckAndReemitsSameChecksum) {
  auto b = Hex(kLinuxSynAck);
  auto v = TcpView::Parse(b);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->flags(), kTcpSyn | kTcpAck);
  EXPECT_EQ(v->ack(), 0x149c8f38u);
  auto r = TcpRepr::Parse(*v);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->options.timestamps->echo, 0x62fa4137u);
  // Our layout differs from Linux's, so check the emitted header by re-parsing and checksum.
  std::vector<uint8_t> out(r->HeaderLength());
  ASSERT_TRUE(r->Emit(out));
  FillTcpChecksumV4(out, kLo, kLo);
  auto v2 = TcpView::Parse(out);
  ASSERT_TRUE(v2);
  EXPECT_EQ(TcpRepr::Parse(*v2), r);
  EXPECT_TRUE(TcpChecksumValidV4(kLo, kLo, static_cast<uint32_t>(out.size()), ChecksumAdd(0, out)));
  // Known vector: the checksum of the original bytes computed from zero.
  b[16] = b[17] = 0;
  EXPECT_EQ(TcpChecksumV4(kLo, kLo, static_cast<uint32_t>(b.size()), ChecksumAdd(0, b)), 0x38a4);
}

TEST(TcpWire, EmitKnownMinimalHeader) {
  TcpRepr r;
  r.src_port = 0x1234;
  r.dst_port = 80;
  r.seq = 0x01020304;
  r.ack = 0xa0b0c0d0;
  r.flags = kTcpAck | kTcpPsh;
  r.window = 0x4000;
  r.urgent = 0;
  std::vector<uint8_t> out(20, 0xee);
  ASSERT_TRUE(r.Emit(out));
  const auto want = Hex("1234005001020304a0b0c0d05018400000000000");
  EXPECT_EQ(out, want);
  std::vector<uint8_t> small(19);
  EXPECT_FALSE(r.Emit(small));
}

TEST(TcpWire, RoundTripRandomReprs) {
  Random rnd(1234);
  for (int i = 0; i < 2000; ++i) {
    TcpRepr r;
    r.src_port = static_cast<uint16_t>(rnd.Next32());
    r.dst_port = static_cast<uint16_t>(rnd.Next32());
    r.seq = rnd.Next32();
    r.ack = rnd.Next32();
    r.flags = static_cast<uint8_t>(rnd.Next32());
    r.window = static_cast<uint16_t>(rnd.Next32());
    r.urgent = static_cast<uint16_t>(rnd.Next32());
    if (rnd.Chance(0.5)) r.options.mss = static_cast<uint16_t>(rnd.Next32());
    if (rnd.Chance(0.5)) r.options.window_scale = static_cast<uint8_t>(rnd.Below(15));
    r.options.sack_permitted = rnd.Chance(0.5);
    if (rnd.Chance(0.5)) r.options.timestamps = TcpTimestamps{rnd.Next32(), rnd.Next32()};
    r.options.sack_count = static_cast<uint8_t>(rnd.Below(kTcpMaxSackBlocks + 1));
    for (size_t k = 0; k < r.options.sack_count; ++k) {
      r.options.sack[k] = {rnd.Next32(), rnd.Next32()};
    }
    const size_t fit = r.options.SackBlocksThatFit();
    ASSERT_LE(r.HeaderLength(), kTcpMaxHeaderLen);
    ASSERT_EQ(r.HeaderLength() % 4, 0u);
    std::vector<uint8_t> seg(r.HeaderLength() + rnd.Below(100));
    ASSERT_TRUE(r.Emit(seg));
    auto v = TcpView::Parse(seg);
    ASSERT_TRUE(v) << "seed 1234 iteration " << i;
    EXPECT_EQ(v->header_length(), r.HeaderLength());
    EXPECT_EQ(v->payload().size(), seg.size() - r.HeaderLength());
    auto back = TcpRepr::Parse(*v);
    ASSERT_TRUE(back) << "seed 1234 iteration " << i;
    // Blocks that did not fit are not emitted.
    TcpRepr want = r;
    want.options.sack_count = static_cast<uint8_t>(fit);
    for (size_t k = fit; k < kTcpMaxSackBlocks; ++k) want.options.sack[k] = {};
    if (fit == 0) want.options.sack = {};
    EXPECT_EQ(*back, want) << "seed 1234 iteration " << i;
  }
}

TEST(TcpWire, EveryTruncationLengthIsRejectedOrSafe) {
  const auto full = Hex(kLinuxSyn);
  for (size_t n = 0; n <= full.size(); ++n) {
    std::vector<uint8_t> b(full.begin(), full.begin() + static_cast<long>(n));
    auto v = TcpView::Parse(b);
    // The data offset says 40 bytes: anything shorter is malformed.
    EXPECT_EQ(v.has_value(), n >= 40) << "length " << n;
  }
}

TEST(TcpWire, DataOffsetBelowFiveIsMalformed) {
  auto b = Hex(kLinuxSyn);
  for (uint8_t doff = 0; doff < 5; ++doff) {
    b[12] = static_cast<uint8_t>(doff << 4);
    EXPECT_FALSE(TcpView::Parse(b)) << "doff " << int{doff};
  }
  b[12] = 0xf0;  // 60 bytes > 40 available
  EXPECT_FALSE(TcpView::Parse(b));
}

TEST(TcpWire, BadOptionLengthsAreMalformed) {
  const std::vector<std::vector<uint8_t>> bad = {
      {2, 3, 0, 0},              // MSS with length 3
      {2, 5, 0, 0, 0},           // MSS with length 5
      {3, 2, 1, 1},              // window scale with length 2
      {4, 3, 0, 1},              // SACK-permitted with length 3
      {5, 2, 1, 1},              // SACK with no blocks
      {5, 6, 0, 0, 0, 0},        // SACK with a partial block
      {8, 8, 0, 0, 0, 0, 0, 0},  // timestamps with length 8
      {99, 1, 0, 0},             // unknown option with length 1
      {99, 0, 0, 0},             // length 0 would loop forever
      {99, 9, 0, 0},             // runs past the end
      {1, 1, 1, 2},              // kind without room for its length
  };
  for (const auto& o : bad) {
    TcpOptions opts;
    EXPECT_FALSE(ParseTcpOptions(o, &opts)) << "first kind " << int{o[0]};
  }
  // SACK with 5 blocks (42 bytes) is impossible within 40 option bytes but still malformed.
  std::vector<uint8_t> five(42, 0);
  five[0] = 5;
  five[1] = 42;
  TcpOptions opts;
  EXPECT_FALSE(ParseTcpOptions(five, &opts));
}

TEST(TcpWire, UnknownOptionsSkippedAndEolStops) {
  const std::vector<uint8_t> o = {99, 4, 0xaa, 0xbb, 1, 2, 4, 0x05, 0xb4, 0, 2, 4, 1, 1};
  TcpOptions opts;
  ASSERT_TRUE(ParseTcpOptions(o, &opts));
  EXPECT_EQ(opts.mss, 1460);  // the MSS after EOL (2,4,1,1) is ignored
  const std::vector<uint8_t> sack = {1, 1, 5, 18, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4};
  ASSERT_TRUE(ParseTcpOptions(sack, &opts));
  ASSERT_EQ(opts.sack_count, 2);
  EXPECT_EQ(opts.sack[0], (TcpSackBlock{1, 2}));
  EXPECT_EQ(opts.sack[1], (TcpSackBlock{3, 4}));
}

TEST(TcpWire, RandomGarbageNeverCrashes) {
  Random rnd(99);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rnd.Below(80));
    for (auto& x : b) x = static_cast<uint8_t>(rnd.Next32());
    auto v = TcpView::Parse(b);
    if (!v) continue;
    ASSERT_LE(v->header_length(), b.size());
    ASSERT_GE(v->header_length(), kTcpHeaderLen);
    auto r = TcpRepr::Parse(*v);
    if (!r) continue;
    ++parsed;
    EXPECT_LE(r->options.sack_count, kTcpMaxSackBlocks);
    std::vector<uint8_t> out(r->HeaderLength());
    EXPECT_TRUE(r->Emit(out));
  }
  EXPECT_GT(parsed, 0);
}

TEST(TcpWire, ChecksumDetectsCorruption) {
  auto b = Hex(kLinuxSyn);
  const uint32_t n = static_cast<uint32_t>(b.size());
  ASSERT_TRUE(TcpChecksumValidV4(kLo, kLo, n, ChecksumAdd(0, b)));
  for (size_t i = 0; i < b.size(); ++i) {
    b[i] ^= 0x10;
    EXPECT_FALSE(TcpChecksumValidV4(kLo, kLo, n, ChecksumAdd(0, b))) << "byte " << i;
    b[i] ^= 0x10;
  }
  // A different pseudo header (address) must fail as well.
  EXPECT_FALSE(TcpChecksumValidV4(kLo, Ipv4Addr::Of(127, 0, 0, 2), n, ChecksumAdd(0, b)));
}

}  // namespace
}  // namespace ustack
