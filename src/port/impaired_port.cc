// ImpairedPort implementation, see impaired_port.h.
#include "port/impaired_port.h"

#include <algorithm>
#include <cinttypes>
#include <utility>

namespace ustack {
namespace {

constexpr size_t kStageFrames = 64;
constexpr uint64_t kTxSeedMix = 0x9e3779b97f4a7c15ULL;

void PrintChannel(FILE* out, const char* dir, const ImpairmentStats& s) {
  const struct {
    const char* name;
    uint64_t value;
  } rows[] = {{"delivered", s.delivered},   {"lost", s.lost},
              {"duplicated", s.duplicated}, {"reordered", s.reordered},
              {"corrupted", s.corrupted},   {"queue_drops", s.queue_drops},
              {"no_buffer", s.no_buffer},   {"copies", s.copies}};
  for (const auto& r : rows) {
    if (r.value != 0) std::fprintf(out, "impair.%s.%s %" PRIu64 "\n", dir, r.name, r.value);
  }
}

}  // namespace

ImpairedPort::ImpairedPort(std::unique_ptr<Port> inner, const Impairment& rx, const Impairment& tx,
                           uint64_t seed)
    : inner_(std::move(inner)),
      rx_(rx, seed, inner_->pool()),
      tx_(tx, seed ^ kTxSeedMix, inner_->pool()),
      rx_clean_(rx.IsClean()),
      tx_clean_(tx.IsClean()),
      stage_(kStageFrames) {}

ImpairedPort::~ImpairedPort() {
  // Frames in flight go back to the pool while the device that owns it still exists.
  rx_.Clear();
  tx_.Clear();
  stage_.clear();
}

uint16_t ImpairedPort::RxBurst(std::span<Packet> out, Instant now) {
  FlushTx(now);
  if (rx_clean_) return inner_->RxBurst(out, now);
  const size_t want = std::min(out.size(), stage_.size());
  const uint16_t n = inner_->RxBurst(std::span(stage_.data(), want), now);
  for (uint16_t i = 0; i < n; ++i) {
    if (stage_[i]) rx_.Offer(std::move(stage_[i]), now);
  }
  return rx_.Release(out, now);
}

uint16_t ImpairedPort::TxBurst(std::span<Packet> pkts, Instant now) {
  const size_t n = std::min<size_t>(pkts.size(), UINT16_MAX);
  if (tx_clean_) return inner_->TxBurst(pkts.first(n), now);
  for (size_t i = 0; i < n; ++i) {
    if (pkts[i]) tx_.Offer(std::move(pkts[i]), now);
  }
  FlushTx(now);
  return static_cast<uint16_t>(n);
}

void ImpairedPort::FlushTx(Instant now) {
  while (tx_.NextRelease() <= now) {
    const uint16_t n = tx_.Release(stage_, now);
    const uint16_t sent = inner_->TxBurst(std::span(stage_.data(), n), now);
    for (uint16_t i = sent; i < n; ++i) {
      tx_refused_++;
      stage_[i].Reset();  // the device is full: lost on the wire
    }
  }
}

void ImpairedPort::PrintCounters(FILE* out) const {
  PrintChannel(out, "rx", rx_.stats());
  PrintChannel(out, "tx", tx_.stats());
  if (tx_refused_ != 0) std::fprintf(out, "impair.tx.refused %" PRIu64 "\n", tx_refused_);
}

}  // namespace ustack
