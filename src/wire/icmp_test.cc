// Tests for the ICMPv4 (RFC 792) view and repr: a known echo request, round trips, error
// messages quoting a datagram, checksum validation, truncation and random garbage.
#include "wire/icmp.h"

#include <gtest/gtest.h>

#include <vector>

#include "base/random.h"

namespace ustack {
namespace {

// Echo request, id 0x1234, seq 1, payload "abcd": checksum worked out by hand as 0x2104.
const std::vector<uint8_t> kEcho = {0x08, 0x00, 0x21, 0x04, 0x12, 0x34,
                                    0x00, 0x01, 'a',  'b',  'c',  'd'};

TEST(Icmp, ParsesKnownEchoRequest) {
  auto v = IcmpView::Parse(kEcho);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type(), kIcmpEchoRequest);
  EXPECT_EQ(v->code(), 0);
  EXPECT_EQ(v->checksum(), 0x2104);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(v->echo_id(), 0x1234);
  EXPECT_EQ(v->echo_seq(), 1);
  EXPECT_EQ(v->data().size(), 4u);
  auto r = IcmpRepr::Parse(kEcho);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->echo_id(), 0x1234);
  EXPECT_EQ(r->echo_seq(), 1);
}

TEST(Icmp, EmitMatchesKnownBytes) {
  const uint8_t payload[] = {'a', 'b', 'c', 'd'};
  std::vector<uint8_t> out(12);
  ASSERT_EQ(IcmpRepr::EchoRequest(0x1234, 1, payload).Emit(out), 12u);
  EXPECT_EQ(out, kEcho);
  std::vector<uint8_t> small(11);
  EXPECT_EQ(IcmpRepr::EchoRequest(0x1234, 1, payload).Emit(small), 0u);
}

TEST(Icmp, EchoReplyBuiltInPlaceOverItsRequest) {
  auto buf = kEcho;
  auto req = IcmpRepr::Parse(buf);
  ASSERT_TRUE(req.ok());
  auto reply = IcmpRepr::EchoReply(req->echo_id(), req->echo_seq(), req->data);
  ASSERT_EQ(reply.Emit(buf), 12u);
  auto v = IcmpView::Parse(buf);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->type(), kIcmpEchoReply);
  EXPECT_TRUE(v->checksum_valid());
  EXPECT_EQ(v->echo_id(), 0x1234);
  EXPECT_EQ(std::vector<uint8_t>(v->data().begin(), v->data().end()),
            std::vector<uint8_t>({'a', 'b', 'c', 'd'}));
}

TEST(Icmp, DestUnreachableQuotesDatagram) {
  std::vector<uint8_t> quoted(28);
  for (size_t i = 0; i < quoted.size(); ++i) quoted[i] = static_cast<uint8_t>(i);
  std::vector<uint8_t> out(36);
  ASSERT_EQ(IcmpRepr::DestUnreachable(kIcmpCodePortUnreachable, quoted).Emit(out), 36u);
  auto r = IcmpRepr::Parse(out);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->type, kIcmpDestUnreachable);
  EXPECT_EQ(r->code, kIcmpCodePortUnreachable);
  EXPECT_EQ(r->rest, 0u);
  EXPECT_EQ(std::vector<uint8_t>(r->data.begin(), r->data.end()), quoted);
  EXPECT_TRUE(IcmpIsError(r->type));
  EXPECT_FALSE(IcmpIsError(kIcmpEchoRequest));

  ASSERT_EQ(IcmpRepr::DestUnreachable(kIcmpCodeFragNeeded, quoted, 1400).Emit(out), 36u);
  auto v = IcmpView::Parse(out);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->next_hop_mtu(), 1400);
  ASSERT_EQ(IcmpRepr::TimeExceeded(kIcmpCodeReassemblyTimeout, quoted).Emit(out), 36u);
  EXPECT_EQ(IcmpView::Parse(out)->type(), kIcmpTimeExceeded);
}

TEST(Icmp, BadChecksumRejected) {
  auto bad = kEcho;
  bad[9] ^= 0x40;
  EXPECT_FALSE(IcmpView::Parse(bad)->checksum_valid());
  auto r = IcmpRepr::Parse(bad);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error(), EPROTO);
  EXPECT_TRUE(IcmpRepr::Parse(bad, /*verify_checksum=*/false).ok());
}

TEST(Icmp, TruncatedAtEveryLength) {
  for (size_t n = 0; n <= kEcho.size(); ++n) {
    auto s = std::span(kEcho).first(n);
    EXPECT_EQ(IcmpView::Parse(s).has_value(), n >= 8) << n;
    // The checksum covers the whole message, so any cut is also a checksum failure.
    EXPECT_EQ(IcmpRepr::Parse(s).ok(), n == kEcho.size()) << n;
  }
}

TEST(Icmp, RandomGarbageStaysInBounds) {
  Random rng(99);
  for (int i = 0; i < 20000; ++i) {
    std::vector<uint8_t> b(rng.Below(64));
    for (auto& x : b) x = static_cast<uint8_t>(rng.Next32());
    auto v = IcmpView::Parse(b);
    if (!v) {
      EXPECT_LT(b.size(), 8u);
      continue;
    }
    EXPECT_EQ(v->data().size() + 8, b.size());
    (void)v->next_hop_mtu();
    auto r = IcmpRepr::Parse(b, false);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->length(), b.size());
  }
}

}  // namespace
}  // namespace ustack
