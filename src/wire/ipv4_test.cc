// Tests for the IPv4 (RFC 791) view and repr: a known header, round trips, options skipped by
// IHL, padding trimmed by total length, invalid fields, truncation and random garbage.
#include "wire/ipv4.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/checksum.h"
#include "base/random.h"

namespace ustack {
namespace {

// A widely published example header: 192.168.0.1 -> 192.168.0.199, UDP, TTL 64, DF,
// total length 0x73, checksum 0xb861.
const std::vector<uint8_t> kHeader = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                      0xb8, 0x61, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};

std::vector<uint8_t> Datagram(const Ipv4Repr& r, uint8_t fill = 0x5a) {
  std::vector<uint8_t> b(r.total_len(), fill);
  EXPECT_EQ(r.Emit(b), 20u);
  return b;
}

TEST(Ipv4, ParsesKnownHeader) {
  auto d = kHeader;
  d.resize(0x73, 0);
  auto v = Ipv4View::Parse(d);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->version(), 4);
  EXPECT_EQ(v->header_len(), 20u);
  EXPECT_EQ(v->total_length(), 0x73);
  EXPECT_TRUE(v->dont_fragment());
  EXPECT_FALSE(v->more_fragments());
  EXPECT_EQ(v->frag_offset(), 0);
  EXPECT_FALSE(v->is_fragment());
  EXPECT_EQ(v->ttl(), 64);
  EXPECT_EQ(v->protocol(), 17);
  EXPECT_EQ(v->checksum(), 0xb861);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(v->src(), Ipv4Addr::Of(192, 168, 0, 1));
  EXPECT_EQ(v->dst(), Ipv4Addr::Of(192, 168, 0, 199));
  EXPECT_EQ(v->payload().size(), 0x73u - 20);
}

TEST(Ipv4, EmitMatchesKnownHeader) {
  Ipv4Repr r;
  r.src = Ipv4Addr::Of(192, 168, 0, 1);
  r.dst = Ipv4Addr::Of(192, 168, 0, 199);
  r.protocol = 17;
  r.ttl = 64;
  r.dont_fragment = true;
  r.payload_len = 0x73 - 20;
  std::vector<uint8_t> out(20);
  ASSERT_EQ(r.Emit(out), 20u);
  EXPECT_EQ(out, kHeader);
}

TEST(Ipv4, RoundTripWithFragmentFields) {
  Ipv4Repr r;
  r.src = Ipv4Addr::Of(10, 1, 2, 3);
  r.dst = Ipv4Addr::Of(10, 3, 2, 1);
  r.protocol = 6;
  r.ttl = 3;
  r.tos = 0xb8;
  r.ident = 0xbeef;
  r.more_fragments = true;
  r.frag_offset = 8 * 1000;
  r.payload_len = 24;
  auto d = Datagram(r);
  auto p = Ipv4Repr::Parse(d);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(*p, r);
  auto v = Ipv4View::Parse(d);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->is_fragment());
  EXPECT_EQ(v->frag_offset(), 8000);
}

TEST(Ipv4, PaddingIsTrimmedByTotalLength) {
  Ipv4Repr r;
  r.protocol = 1;
  r.payload_len = 6;
  auto d = Datagram(r);
  d.resize(46, 0);  // Ethernet minimum-size padding
  auto v = Ipv4View::Parse(d);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->payload().size(), 6u);
  auto p = Ipv4Repr::Parse(d);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->payload_len, 6);
}

TEST(Ipv4, OptionsAreSkippedByIhl) {
  Ipv4Repr r;
  r.protocol = 17;
  r.payload_len = 8 + 4;
  auto d = Datagram(r);
  // Turn it into IHL 6 with one 4-byte option (NOP NOP NOP EOL) and recompute the checksum.
  d[0] = 0x46;
  d[20] = 1;
  d[21] = 1;
  d[22] = 1;
  d[23] = 0;
  d[10] = d[11] = 0;
  const uint16_t c = InternetChecksum(std::span(d).first(24));
  d[10] = static_cast<uint8_t>(c >> 8);
  d[11] = static_cast<uint8_t>(c);
  auto v = Ipv4View::Parse(d);
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(v->header_len(), 24u);
  EXPECT_EQ(v->options().size(), 4u);
  EXPECT_EQ(v->payload().size(), 8u);
  auto p = Ipv4Repr::Parse(d);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->payload_len, 8);
}

TEST(Ipv4, RejectsInvalidFields) {
  Ipv4Repr r;
  r.protocol = 17;
  r.payload_len = 40;
  const auto good = Datagram(r);
  auto d = good;
  d[0] = 0x65;  // version 6
  EXPECT_FALSE(Ipv4View::Parse(d));
  d = good;
  d[0] = 0x44;  // IHL 4
  EXPECT_FALSE(Ipv4View::Parse(d));
  d = good;
  d[0] = 0x4f;  // IHL 15 = 60 bytes, fits, but total length 60 < ... still valid header size
  EXPECT_TRUE(Ipv4View::Parse(d));
  d[3] = 50;  // total length 50 < header 60
  EXPECT_FALSE(Ipv4View::Parse(d));
  d = good;
  d[3] = static_cast<uint8_t>(good.size() + 1);  // total length beyond the buffer
  EXPECT_FALSE(Ipv4View::Parse(d));
  EXPECT_TRUE(Ipv4View::ParseHeader(d));  // but the header alone is fine
  d = good;
  d[12] ^= 1;  // corrupt the source: checksum fails
  auto v = Ipv4View::Parse(d);
  ASSERT_TRUE(v);
  EXPECT_FALSE(v->checksum_valid());
  auto p = Ipv4Repr::Parse(d);
  EXPECT_FALSE(p.ok());
  EXPECT_EQ(p.error(), EPROTO);
  EXPECT_TRUE(Ipv4Repr::Parse(d, /*verify_checksum=*/false).ok());
}

TEST(Ipv4, EmitRejectsShortBufferAndOversizedDatagram) {
  Ipv4Repr r;
  std::vector<uint8_t> out(19);
  EXPECT_EQ(r.Emit(out), 0u);
  out.resize(20);
  r.payload_len = 65535 - 19;
  EXPECT_EQ(r.Emit(out), 0u);
  r.payload_len = 65535 - 20;
  EXPECT_EQ(r.Emit(out), 20u);
}

TEST(Ipv4, TruncatedAtEveryLength) {
  auto d = kHeader;
  d.resize(0x73, 0);
  for (size_t n = 0; n <= d.size(); ++n) {
    auto s = std::span(d).first(n);
    EXPECT_EQ(Ipv4View::ParseHeader(s).has_value(), n >= 20) << n;
    EXPECT_EQ(Ipv4View::Parse(s).has_value(), n == d.size()) << n;
    EXPECT_EQ(Ipv4Repr::Parse(s).ok(), n == d.size()) << n;
  }
}

TEST(Ipv4, RandomGarbageStaysInBounds) {
  Random rng(1234);
  int parsed = 0;
  for (int i = 0; i < 50000; ++i) {
    std::vector<uint8_t> b(rng.Below(90));
    for (auto& x : b) x = static_cast<uint8_t>(rng.Next32());
    if (!b.empty() && rng.Chance(0.7)) b[0] = static_cast<uint8_t>(0x40 | (b[0] & 0x0f));
    if (b.size() >= 4 && rng.Chance(0.5)) {
      b[2] = 0;
      b[3] = static_cast<uint8_t>(rng.Below(b.size() + 1));
    }
    auto h = Ipv4View::ParseHeader(b);
    if (h) {
      EXPECT_LE(h->header_len(), b.size());
      EXPECT_GE(h->total_length(), h->header_len());
      (void)h->options();
      (void)h->checksum_valid();
    }
    auto v = Ipv4View::Parse(b);
    if (!v) continue;
    ++parsed;
    EXPECT_TRUE(h);
    EXPECT_EQ(v->header_len() + v->payload().size(), v->total_length());
    EXPECT_LE(v->total_length(), b.size());
    auto r = Ipv4Repr::Parse(b, false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->payload_len, v->payload().size());
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace ustack
