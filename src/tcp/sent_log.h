// SentLog: the sender's record of every segment in flight, in sequence order, with the time
// it was last sent and what has become of it (SACKed, judged lost, retransmitted). RACK
// (RFC 8985 6) needs the per-segment transmit time; the pipe of RFC 6675 4 falls out of the
// byte totals kept alongside.
// Ownership: a plain value inside a Connection; records live in one vector (no per-segment
// allocation), the acknowledged prefix is dropped lazily. Its first storage (kInitialRecords,
// taken at the first send) comes from the BlockCache if given one, and goes back to it when
// everything sent is acknowledged; growth beyond that passes through to the heap.
// Invariants: records are contiguous and sorted: records_[i].end == records_[i + 1].start;
// they cover [SND.UNA, SND.MAX) minus what was never logged (the SYN). sacked_bytes_ and
// lost_bytes_ (lost and not SACKed) equal the sums over the records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/block_cache.h"
#include "base/seq32.h"
#include "base/time.h"

namespace ustack {

struct SentSeg {
  Seq32 start;
  Seq32 end;  // one past the last sequence number (a FIN counts)
  Instant xmit;
  uint32_t order = 0;  // transmissions numbered in the order they left (ties within `xmit`)
  bool retransmitted = false;
  bool sacked = false;
  bool lost = false;      // judged lost and not sent again since
  bool was_lost = false;  // judged lost at some point (TCP_INFO's lost count)
  uint32_t len() const { return static_cast<uint32_t>(end - start); }
};

class SentLog {
 public:
  static constexpr size_t kInitialRecords = 16;
  static constexpr size_t kInitialBytes = kInitialRecords * sizeof(SentSeg);

  // `blocks` (may be null: the heap) must outlive the log.
  explicit SentLog(BlockCache* blocks = nullptr) : records_(BlockAllocator<SentSeg>(blocks)) {}

  // A segment [start, end) left at `now`: appended when it is new, else the records it
  // covers are marked retransmitted, not lost, sent at `now` (split at its edges).
  void OnSend(Seq32 start, Seq32 end, Instant now);
  // The cumulative ACK moved to `una`: drops the records below it. `visit(const SentSeg&)`
  // sees each part delivered by this ACK that was not SACKed before, in sequence order.
  template <class Visit>
  void AckTo(Seq32 una, Visit&& visit);
  // [left, right) was SACKed: `visit` sees each record newly SACKed, in sequence order.
  template <class Visit>
  void Sack(Seq32 left, Seq32 right, Visit&& visit);
  // After a retransmission timeout the scoreboard is void (RFC 2018 8): no SACKed or lost
  // marks survive.
  void ClearMarks();
  void Clear();
  bool MarkLost(SentSeg& s);  // false when already lost or SACKed

  bool empty() const { return head_ == records_.size(); }
  size_t size() const { return records_.size() - head_; }
  SentSeg* begin() { return records_.data() + head_; }
  SentSeg* end() { return records_.data() + records_.size(); }
  const SentSeg* begin() const { return records_.data() + head_; }
  const SentSeg* end() const { return records_.data() + records_.size(); }
  // The first record judged lost, not SACKed and not yet sent again; null when none.
  SentSeg* FirstLost();
  const SentSeg* FirstLost() const { return const_cast<SentLog*>(this)->FirstLost(); }

  uint32_t sacked_bytes() const { return sacked_bytes_; }
  uint32_t lost_bytes() const { return lost_bytes_; }
  uint32_t sacked_segs() const { return sacked_segs_; }
  // RFC 6675 4 SetPipe with RACK's marks: everything sent and neither SACKed nor lost.
  uint32_t InFlight() const;
  // Segments not SACKed that were judged lost (resent or not), and those resent, not
  // SACKed and not judged lost again: TCP_INFO's tcpi_lost and tcpi_retrans.
  uint32_t LostSegments() const;
  uint32_t RetransmittedSegments() const;

 private:
  // Makes `s` a record boundary (if it falls inside a record); returns the index of the
  // first record starting at or after `s`.
  size_t SplitAt(Seq32 s);
  size_t LowerBound(Seq32 s) const;  // first record whose end is above s
  void Unmark(SentSeg& r);           // drops r's share of the totals
  void Compact();

  std::vector<SentSeg, BlockAllocator<SentSeg>> records_;
  size_t head_ = 0;
  uint32_t sacked_bytes_ = 0;
  uint32_t lost_bytes_ = 0;
  uint32_t sacked_segs_ = 0;
  uint32_t next_order_ = 0;
};

template <class Visit>
void SentLog::AckTo(Seq32 una, Visit&& visit) {
  while (head_ < records_.size()) {
    SentSeg& r = records_[head_];
    if (r.start >= una) break;
    if (r.end > una) {  // partly acknowledged: the acknowledged part is delivered
      SentSeg part = r;
      part.end = una;
      if (!r.sacked) visit(part);
      if (r.sacked) sacked_bytes_ -= part.len();
      if (r.lost && !r.sacked) lost_bytes_ -= part.len();
      r.start = una;
      break;
    }
    if (!r.sacked) visit(r);
    Unmark(r);
    ++head_;
  }
  Compact();
}

template <class Visit>
void SentLog::Sack(Seq32 left, Seq32 right, Visit&& visit) {
  if (empty() || right <= begin()->start) return;
  size_t i = SplitAt(left);
  SplitAt(right);
  for (; i < records_.size() && records_[i].end <= right; ++i) {
    SentSeg& r = records_[i];
    if (r.sacked) continue;
    if (r.lost) lost_bytes_ -= r.len();
    r.sacked = true;
    sacked_bytes_ += r.len();
    ++sacked_segs_;
    visit(r);
  }
}

}  // namespace ustack
