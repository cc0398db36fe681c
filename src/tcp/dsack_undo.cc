// D-SACK-based spurious retransmission detection (RFC 3708), see dsack_undo.h.
#include "tcp/dsack_undo.h"

#include <algorithm>

namespace ustack {

void DsackUndo::Begin() {
  state_ = State::kOpen;
  count_ = 0;
}

void DsackUndo::OnRetransmit(Seq32 start, Seq32 end) {
  if (state_ == State::kIdle || end <= start) return;
  size_t i = 0;
  while (i < count_ && ranges_[i].end <= start) ++i;
  if (i < count_ && ranges_[i].start == start && ranges_[i].end == end) {
    ++ranges_[i].copies;  // the same segment once more (its retransmission was lost too)
    return;
  }
  if (i < count_ && ranges_[i].start < end) {
    Cancel();  // re-segmented over an earlier retransmission: too irregular to match reports
    return;
  }
  // Extends the previous range when adjacent and sent as often (consecutive holes).
  if (i > 0 && ranges_[i - 1].end == start && ranges_[i - 1].copies == 1 &&
      (i == count_ || ranges_[i].start != end)) {
    ranges_[i - 1].end = end;
    return;
  }
  if (count_ == kMaxRanges) {
    Cancel();
    return;
  }
  std::move_backward(ranges_.begin() + static_cast<std::ptrdiff_t>(i),
                     ranges_.begin() + static_cast<std::ptrdiff_t>(count_),
                     ranges_.begin() + static_cast<std::ptrdiff_t>(count_ + 1));
  ranges_[i] = Range{start, end, 1, 0};
  ++count_;
}

bool DsackUndo::OnDsack(Seq32 left, Seq32 right) {
  if (state_ == State::kIdle || count_ == 0 || right <= left) return false;
  // RFC 3708 2: only duplicates of retransmitted data say a retransmission was unnecessary.
  for (size_t i = 0; i < count_; ++i) {
    Range& r = ranges_[i];
    const Seq32 lo = SeqMax(r.start, left);
    const Seq32 hi = SeqMin(r.end, right);
    if (hi <= lo) continue;
    const uint64_t cap = uint64_t{r.copies} * r.len();
    r.reported = static_cast<uint32_t>(std::min<uint64_t>(cap, uint64_t{r.reported} + (hi - lo)));
  }
  if (!AllReported()) return false;
  Cancel();
  return true;
}

bool DsackUndo::AllReported() const {
  for (size_t i = 0; i < count_; ++i) {
    if (uint64_t{ranges_[i].reported} < uint64_t{ranges_[i].copies} * ranges_[i].len())
      return false;
  }
  return true;
}

void DsackUndo::CloseAt(Seq32 snd_max) {
  if (state_ == State::kIdle) return;
  if (count_ == 0) {
    Cancel();  // nothing was retransmitted: nothing to report back
    return;
  }
  state_ = State::kClosing;
  close_at_ = snd_max;
}

void DsackUndo::OnAck(Seq32 snd_una) {
  if (state_ == State::kClosing && snd_una > close_at_) Cancel();
}

}  // namespace ustack
