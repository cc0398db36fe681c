// RFC 6528 ISN generation with SipHash-2-4, see isn.h. SipHash is written from its
// specification (Aumasson and Bernstein, 2012).
#include "tcp/isn.h"

#include <cstring>

namespace ustack {
namespace {

uint64_t Rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct SipState {
  uint64_t v0, v1, v2, v3;
  void Round() {
    v0 += v1;
    v1 = Rotl(v1, 13);
    v1 ^= v0;
    v0 = Rotl(v0, 32);
    v2 += v3;
    v3 = Rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = Rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = Rotl(v1, 17);
    v1 ^= v2;
    v2 = Rotl(v2, 32);
  }
  void Absorb(uint64_t m) {
    v3 ^= m;
    Round();
    Round();
    v0 ^= m;
  }
};

uint64_t LoadLe64(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v |= uint64_t{p[i]} << (8 * i);
  return v;
}

}  // namespace

uint64_t SipHash24(uint64_t k0, uint64_t k1, const uint8_t* data, size_t len) {
  SipState s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
             k1 ^ 0x7465646279746573ULL};
  size_t i = 0;
  for (; i + 8 <= len; i += 8) s.Absorb(LoadLe64(data + i, 8));
  s.Absorb(LoadLe64(data + i, len - i) | (uint64_t{len & 0xff} << 56));
  s.v2 ^= 0xff;
  for (int r = 0; r < 4; ++r) s.Round();
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

IsnGenerator::IsnGenerator(Random& random) : k0_(random.Next64()), k1_(random.Next64()) {}

Seq32 IsnGenerator::Generate(const FourTuple& t, Instant now) const {
  uint8_t msg[12];
  const uint32_t words[3] = {t.local.v, t.remote.v, uint32_t{t.local_port} << 16 | t.remote_port};
  std::memcpy(msg, words, sizeof(msg));
  // RFC 6528 3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey).
  const uint32_t m = static_cast<uint32_t>(now.nanos() / 4000);  // RFC 9293 3.4.1: 4 us ticks
  return Seq32(m + static_cast<uint32_t>(SipHash24(k0_, k1_, msg, sizeof(msg))));
}

// RFC 7323 7.1 / RFC 6191: a timestamp offset per address pair (not per connection), so
// successive connections between the same hosts keep a monotone TSval, which TIME-WAIT
// reuse relies on, while the offset reveals nothing about the host's clock.
uint32_t IsnGenerator::TsOffset(const FourTuple& t) const {
  uint8_t msg[9];
  const uint32_t words[2] = {t.local.v, t.remote.v};
  std::memcpy(msg, words, sizeof(words));
  msg[8] = 'T';  // domain separation from the ISN hash
  return static_cast<uint32_t>(SipHash24(k0_, k1_, msg, sizeof(msg)) >> 32);
}

}  // namespace ustack
