// Per-segment send records, see sent_log.h.
#include "tcp/sent_log.h"

namespace ustack {
namespace {
constexpr size_t kKeepCapacity = 256;  // records kept allocated while nothing is in flight
}  // namespace

void SentLog::OnSend(Seq32 start, Seq32 end, Instant now) {
  if (end <= start) return;
  const uint32_t order = next_order_++;
  const Seq32 top = empty() ? start : records_.back().end;
  if (start < top) {
    // A retransmission: the covered records were sent again now.
    const Seq32 stop = SeqMin(end, top);
    size_t i = SplitAt(start);
    SplitAt(stop);
    for (; i < records_.size() && records_[i].end <= stop; ++i) {
      SentSeg& r = records_[i];
      if (r.lost && !r.sacked) lost_bytes_ -= r.len();
      r.lost = false;
      r.retransmitted = true;
      r.xmit = now;
      r.order = order;
    }
    if (end <= top) return;
    start = top;  // the rest is new data
  }
  if (records_.capacity() == 0) records_.reserve(kInitialRecords);
  records_.push_back(SentSeg{start, end, now, order});
}

void SentLog::ClearMarks() {
  for (SentSeg& r : *this) {
    r.sacked = false;
    r.lost = false;
  }
  sacked_bytes_ = 0;
  lost_bytes_ = 0;
  sacked_segs_ = 0;
}

void SentLog::Clear() {
  records_.clear();
  head_ = 0;
  sacked_bytes_ = 0;
  lost_bytes_ = 0;
  sacked_segs_ = 0;
}

bool SentLog::MarkLost(SentSeg& s) {
  if (s.lost || s.sacked) return false;
  s.lost = true;
  s.was_lost = true;
  lost_bytes_ += s.len();
  return true;
}

SentSeg* SentLog::FirstLost() {
  if (lost_bytes_ == 0) return nullptr;
  for (SentSeg& r : *this) {
    if (r.lost && !r.sacked) return &r;
  }
  return nullptr;
}

uint32_t SentLog::InFlight() const {
  if (empty()) return 0;
  const uint32_t total = static_cast<uint32_t>(records_.back().end - begin()->start);
  return total - sacked_bytes_ - lost_bytes_;
}

uint32_t SentLog::LostSegments() const {
  uint32_t n = 0;
  for (const SentSeg& r : *this) n += !r.sacked && r.was_lost ? 1 : 0;
  return n;
}

uint32_t SentLog::RetransmittedSegments() const {
  uint32_t n = 0;
  for (const SentSeg& r : *this) n += !r.sacked && r.retransmitted && !r.lost ? 1 : 0;
  return n;
}

size_t SentLog::LowerBound(Seq32 s) const {
  size_t lo = head_;
  size_t hi = records_.size();
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (records_[mid].end <= s) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t SentLog::SplitAt(Seq32 s) {
  const size_t i = LowerBound(s);
  if (i == records_.size() || records_[i].start >= s) return i;
  // s falls inside record i: cut it in two with the same history.
  SentSeg tail = records_[i];
  tail.start = s;
  records_[i].end = s;
  if (records_[i].sacked) ++sacked_segs_;
  records_.insert(records_.begin() + static_cast<std::ptrdiff_t>(i) + 1, tail);
  return i + 1;
}

void SentLog::Unmark(SentSeg& r) {
  if (r.sacked) {
    sacked_bytes_ -= r.len();
    --sacked_segs_;
  } else if (r.lost) {
    lost_bytes_ -= r.len();
  }
}

void SentLog::Compact() {
  if (head_ == records_.size()) {
    records_.clear();
    head_ = 0;
    if (records_.capacity() > kKeepCapacity) records_.shrink_to_fit();  // idle: give it back
    // Idle with the first storage: back to the cache, as before the first send.
    BlockCache* blocks = records_.get_allocator().cache();
    if (records_.capacity() == kInitialRecords && blocks && blocks->WantsBack(kInitialBytes)) {
      decltype(records_)(records_.get_allocator()).swap(records_);
    }
  } else if (head_ >= 64 && head_ * 2 >= records_.size()) {
    records_.erase(records_.begin(), records_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace ustack
