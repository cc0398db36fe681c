// SYN cookies, see syn_cookies.h.
#include "tcp/syn_cookies.h"

#include <array>
#include <cstring>

#include "tcp/isn.h"

namespace ustack {
namespace {

// MSS values a cookie can name (3 bits), ascending; the peer's MSS rounds down to one.
constexpr std::array<uint16_t, 8> kMssTable = {216, 536, 1024, 1200, 1360, 1400, 1440, 1460};
constexpr int64_t kCounterSeconds = 64;

uint32_t Counter(Instant now) {
  return static_cast<uint32_t>(now.nanos() / (kCounterSeconds * 1'000'000'000));
}

}  // namespace

SynCookies::SynCookies(Random& random) : k0_(random.Next64()), k1_(random.Next64()) {}

uint32_t SynCookies::Hash(const FourTuple& t, Seq32 peer_isn, uint32_t counter,
                          uint32_t mss_idx) const {
  const uint32_t words[6] = {
      t.local.v,      t.remote.v, uint32_t{t.local_port} << 16 | t.remote_port,
      peer_isn.raw(), counter,    mss_idx};
  uint8_t msg[sizeof(words)];
  std::memcpy(msg, words, sizeof(words));
  return static_cast<uint32_t>(SipHash24(k0_, k1_, msg, sizeof(msg))) & 0xffffff;
}

uint32_t SynCookies::Make(const FourTuple& t, Seq32 peer_isn, uint16_t mss, Instant now) const {
  uint32_t idx = 0;
  for (uint32_t i = 0; i < kMssTable.size(); ++i) {
    if (kMssTable[i] <= mss) idx = i;
  }
  const uint32_t c = Counter(now);
  return (c & 0x1f) << 27 | idx << 24 | Hash(t, peer_isn, c, idx);
}

std::optional<uint16_t> SynCookies::Check(const FourTuple& t, Seq32 peer_isn, uint32_t cookie,
                                          Instant now) const {
  const uint32_t c_now = Counter(now);
  const uint32_t idx = (cookie >> 24) & 7;
  // RFC 4987 3.6: only recent cookies; the 5-bit counter names one of the last few periods.
  for (uint32_t age = 0; age < kLifetimeCounters && age <= c_now; ++age) {
    const uint32_t c = c_now - age;
    if (((cookie >> 27) & 0x1f) != (c & 0x1f)) continue;
    if (Hash(t, peer_isn, c, idx) == (cookie & 0xffffff)) return kMssTable[idx];
  }
  return std::nullopt;
}

uint32_t SynCookies::EncodeOptions(uint32_t tsval, const CookieOptions& o) {
  // Bits 0-3: shift (15 = no window scaling); bit 4: SACK-permitted.
  const uint32_t ws = o.wscale_ok ? (o.wscale > 14 ? 14 : o.wscale) : 15;
  return (tsval & ~0x1fu) | ws | (o.sack_ok ? 0x10u : 0);
}

CookieOptions SynCookies::DecodeOptions(uint32_t tsecr) {
  CookieOptions o;
  const uint32_t ws = tsecr & 0xf;
  o.wscale_ok = ws != 15;
  o.wscale = o.wscale_ok ? static_cast<uint8_t>(ws) : 0;
  o.sack_ok = (tsecr & 0x10) != 0;
  return o;
}

}  // namespace ustack
