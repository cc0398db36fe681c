// Unit tests for RFC 6528 ISN generation and SipHash-2-4 (isn.h).
#include "tcp/isn.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

TEST(SipHash, ReferenceVectors) {
  // Key 00..0f, messages 00..(n-1): vectors from the SipHash paper's reference code.
  const uint64_t k0 = 0x0706050403020100ULL;
  const uint64_t k1 = 0x0f0e0d0c0b0a0908ULL;
  uint8_t msg[64];
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  EXPECT_EQ(SipHash24(k0, k1, msg, 0), 0x726fdb47dd0e0e31ULL);
  EXPECT_EQ(SipHash24(k0, k1, msg, 15), 0xa129ca6149be45e5ULL);
}

TEST(Isn, AdvancesWithClockEvery4Micros) {
  Random r(1);
  IsnGenerator g(r);
  const FourTuple t{Ipv4Addr::Of(10, 0, 0, 1), 1234, Ipv4Addr::Of(10, 0, 0, 2), 80};
  const Instant t0 = Instant::FromNanos(1'000'000'000);
  const Seq32 a = g.Generate(t, t0);
  EXPECT_EQ(g.Generate(t, t0), a);  // deterministic for the same tuple and time
  EXPECT_EQ(g.Generate(t, t0 + Duration::Micros(4)) - a, 1);
  EXPECT_EQ(g.Generate(t, t0 + Duration::Millis(4)) - a, 1000);
}

TEST(Isn, DependsOnTupleAndSecret) {
  Random r1(1);
  Random r2(2);
  IsnGenerator g1(r1);
  IsnGenerator g2(r2);
  const FourTuple t{Ipv4Addr::Of(10, 0, 0, 1), 1234, Ipv4Addr::Of(10, 0, 0, 2), 80};
  FourTuple u = t;
  u.local_port = 1235;
  const Instant now = Instant::FromNanos(5);
  EXPECT_NE(g1.Generate(t, now), g1.Generate(u, now));
  EXPECT_NE(g1.Generate(t, now), g2.Generate(t, now));
}

}  // namespace
}  // namespace ustack
