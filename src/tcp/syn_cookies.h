// SynCookies: stateless SYN-ACKs for a listener whose half-open queue is full (RFC 4987 3.6).
// The cookie is our ISN: 5 bits of a 64-second counter, 3 bits of MSS index and a 24-bit
// keyed SipHash of the 4-tuple, the peer's ISN, the counter and the MSS index. The options
// a cookie cannot hold (window shift, SACK-permitted) ride in the low 5 bits of the TSval
// of the SYN-ACK, which the peer echoes in TSecr; without timestamps they are off.
// Ownership: one per TcpEngine; keys drawn from the injected Random. No clock is read.
#pragma once

#include <cstdint>
#include <optional>

#include "base/random.h"
#include "base/seq32.h"
#include "base/time.h"
#include "tcp/flow.h"

namespace ustack {

struct CookieOptions {
  uint8_t wscale = 0;  // peer's window shift
  bool wscale_ok = false;
  bool sack_ok = false;
};

class SynCookies {
 public:
  static constexpr int kLifetimeCounters = 2;  // a cookie is good for 64 to 128 seconds

  explicit SynCookies(Random& random);

  // The ISN for a SYN-ACK answering `peer_isn` from tuple `t`, with the peer's MSS `mss`.
  uint32_t Make(const FourTuple& t, Seq32 peer_isn, uint16_t mss, Instant now) const;
  // Checks the cookie (SEG.ACK - 1 of the final ACK, whose SEG.SEQ - 1 is peer_isn); returns
  // the MSS to use when it is genuine and recent.
  std::optional<uint16_t> Check(const FourTuple& t, Seq32 peer_isn, uint32_t cookie,
                                Instant now) const;
  // Options in the low 5 bits of a TSval, and back from the echoed TSecr.
  static uint32_t EncodeOptions(uint32_t tsval, const CookieOptions& o);
  static CookieOptions DecodeOptions(uint32_t tsecr);

 private:
  uint32_t Hash(const FourTuple& t, Seq32 peer_isn, uint32_t counter, uint32_t mss_idx) const;

  uint64_t k0_;
  uint64_t k1_;
};

}  // namespace ustack
