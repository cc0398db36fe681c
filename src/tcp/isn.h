// IsnGenerator: initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret), where M
// is a clock ticking every 4 microseconds (RFC 9293 3.4.1) and F is SipHash-2-4 keyed with a
// 128-bit secret drawn from the injected Random at construction. No clock is read: `now` is
// passed in.
#pragma once

#include <cstdint>

#include "base/random.h"
#include "base/seq32.h"
#include "base/time.h"
#include "tcp/flow.h"

namespace ustack {

class IsnGenerator {
 public:
  explicit IsnGenerator(Random& random);
  Seq32 Generate(const FourTuple& t, Instant now) const;
  // Keyed per-address-pair offset for the RFC 7323 timestamp clock.
  uint32_t TsOffset(const FourTuple& t) const;

 private:
  uint64_t k0_;
  uint64_t k1_;
};

// SipHash-2-4 of a message (exposed for tests; reference vectors in the SipHash paper).
uint64_t SipHash24(uint64_t k0, uint64_t k1, const uint8_t* data, size_t len);

}  // namespace ustack
