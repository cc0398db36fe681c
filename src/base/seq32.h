// 32-bit TCP sequence numbers with modular comparison (RFC 9293 3.4).
// a < b means b is "after" a within half the sequence space.
#pragma once

#include <cstdint>

namespace ustack {

class Seq32 {
 public:
  constexpr Seq32() = default;
  constexpr explicit Seq32(uint32_t v) : v_(v) {}
  constexpr uint32_t raw() const { return v_; }

  constexpr Seq32 operator+(uint32_t n) const { return Seq32(v_ + n); }
  constexpr Seq32 operator-(uint32_t n) const { return Seq32(v_ - n); }
  constexpr Seq32& operator+=(uint32_t n) {
    v_ += n;
    return *this;
  }
  // Signed distance from `o` to this, valid when within 2^31.
  constexpr int32_t operator-(Seq32 o) const { return static_cast<int32_t>(v_ - o.v_); }

  constexpr bool operator==(Seq32 o) const { return v_ == o.v_; }
  constexpr bool operator!=(Seq32 o) const { return v_ != o.v_; }
  constexpr bool operator<(Seq32 o) const { return (*this - o) < 0; }
  constexpr bool operator<=(Seq32 o) const { return (*this - o) <= 0; }
  constexpr bool operator>(Seq32 o) const { return (*this - o) > 0; }
  constexpr bool operator>=(Seq32 o) const { return (*this - o) >= 0; }

 private:
  uint32_t v_ = 0;
};

constexpr Seq32 SeqMax(Seq32 a, Seq32 b) { return a > b ? a : b; }
constexpr Seq32 SeqMin(Seq32 a, Seq32 b) { return a < b ? a : b; }
// True when lo <= s < hi in sequence space.
constexpr bool SeqInRange(Seq32 s, Seq32 lo, Seq32 hi) { return lo <= s && s < hi; }

}  // namespace ustack
