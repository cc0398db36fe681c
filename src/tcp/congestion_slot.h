// CongestionSlot: a connection's congestion controller held inside the connection (no heap
// object per connection): storage large enough for any controller, one of which is built in
// place and may be replaced (TCP_CONGESTION). Dereferences like the pointer it replaced.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <new>

#include "tcp/congestion.h"
#include "tcp/cubic.h"
#include "tcp/tcp.h"

namespace ustack {

class CongestionSlot {
 public:
  // Builds the controller `algo` for a connection whose MSS is `mss`.
  CongestionSlot(TcpCongestionAlgo algo, uint32_t mss) { Emplace(algo, mss); }
  ~CongestionSlot() { cc_->~CongestionControl(); }
  CongestionSlot(const CongestionSlot&) = delete;
  CongestionSlot& operator=(const CongestionSlot&) = delete;

  // Replaces the controller with a fresh `algo` (its state starts over).
  void Reset(TcpCongestionAlgo algo, uint32_t mss) {
    cc_->~CongestionControl();
    Emplace(algo, mss);
  }

  CongestionControl* operator->() { return cc_; }
  const CongestionControl* operator->() const { return cc_; }
  CongestionControl& operator*() { return *cc_; }
  const CongestionControl& operator*() const { return *cc_; }

 private:
  void Emplace(TcpCongestionAlgo algo, uint32_t mss) {
    if (algo == TcpCongestionAlgo::kCubic) {
      cc_ = new (storage_) CubicCongestion(mss);
    } else {
      cc_ = new (storage_) RenoCongestion(mss);
    }
  }

  static constexpr size_t kSize = std::max(sizeof(CubicCongestion), sizeof(RenoCongestion));
  static constexpr size_t kAlign = std::max(alignof(CubicCongestion), alignof(RenoCongestion));
  CongestionControl* cc_ = nullptr;  // the controller living in storage_
  alignas(kAlign) unsigned char storage_[kSize];
};

}  // namespace ustack
