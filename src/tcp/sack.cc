// SACK scoreboard and receiver-side block reporting, see sack.h.
#include "tcp/sack.h"

#include <algorithm>

namespace ustack {

void SackScoreboard::Insert(SeqRange r, uint32_t* added) {
  uint32_t before = sacked_bytes();
  std::vector<SeqRange> out;
  out.reserve(blocks_.size() + 1);
  bool placed = false;
  for (const SeqRange& b : blocks_) {
    if (b.right < r.left) {
      out.push_back(b);
    } else if (r.right < b.left) {
      if (!placed) out.push_back(r), placed = true;
      out.push_back(b);
    } else {  // overlapping or adjacent: merge into r
      r.left = SeqMin(r.left, b.left);
      r.right = SeqMax(r.right, b.right);
    }
  }
  if (!placed) out.push_back(r);
  blocks_ = std::move(out);
  const uint32_t after = sacked_bytes();
  *added += after > before ? after - before : 0;
}

uint32_t SackScoreboard::Update(const TcpOptions& opts, Seq32 ack, Seq32 una, Seq32 snd_max,
                                bool* dsack) {
  *dsack = false;
  uint32_t added = 0;
  for (size_t i = 0; i < opts.sack_count && i < opts.sack.size(); ++i) {
    const SeqRange r{Seq32(opts.sack[i].left), Seq32(opts.sack[i].right)};
    if (r.right <= r.left) continue;  // RFC 2018 3: malformed block, ignored
    if (i == 0) {
      // RFC 2883 4: a first block below the cumulative ACK, or inside the second block,
      // reports a duplicate, not new data.
      const bool below = r.right <= ack;
      const bool inside = opts.sack_count > 1 && Seq32(opts.sack[1].left) <= r.left &&
                          r.right <= Seq32(opts.sack[1].right);
      if (below || inside) {
        *dsack = true;
        continue;
      }
    }
    // Only blocks within (SND.UNA, SND.MAX] can be real.
    if (r.left < una || r.right > snd_max) continue;
    Insert(r, &added);
  }
  return added;
}

void SackScoreboard::AdvanceTo(Seq32 una) {
  size_t drop = 0;
  for (SeqRange& b : blocks_) {
    if (b.right <= una) {
      ++drop;
    } else {
      if (b.left < una) b.left = una;
      break;
    }
  }
  blocks_.erase(blocks_.begin(), blocks_.begin() + static_cast<long>(drop));
}

bool SackScoreboard::IsSacked(Seq32 s) const {
  for (const SeqRange& b : blocks_) {
    if (SeqInRange(s, b.left, b.right)) return true;
  }
  return false;
}

uint32_t SackScoreboard::sacked_bytes() const {
  uint32_t n = 0;
  for (const SeqRange& b : blocks_) n += b.len();
  return n;
}

uint32_t SackScoreboard::SackedAbove(Seq32 s) const {
  uint32_t n = 0;
  for (const SeqRange& b : blocks_) {
    if (b.right <= s) continue;
    n += static_cast<uint32_t>(b.right - SeqMax(b.left, s));
  }
  return n;
}

bool SackScoreboard::IsLost(Seq32 s, uint32_t mss) const {
  // RFC 6675 4 IsLost: DupThresh discontiguous SACKed segments, or more than
  // (DupThresh - 1) * SMSS SACKed bytes, above the sequence number.
  return SackedAbove(s) > (kDupThresh - 1) * mss;
}

bool SackScoreboard::NextHole(Seq32 from, Seq32 limit, SeqRange* out) const {
  Seq32 s = from;
  for (const SeqRange& b : blocks_) {
    if (b.right <= s) continue;
    if (b.left <= s) {
      s = b.right;
      continue;
    }
    if (s >= limit) return false;
    *out = SeqRange{s, SeqMin(b.left, limit)};
    return true;
  }
  if (s >= limit) return false;
  *out = SeqRange{s, limit};
  return true;
}

uint32_t SackScoreboard::Pipe(Seq32 una, Seq32 snd_max, Seq32 high_rxt, uint32_t mss) const {
  const uint32_t outstanding = snd_max > una ? static_cast<uint32_t>(snd_max - una) : 0;
  uint32_t pipe = outstanding - std::min(outstanding, sacked_bytes());
  // Holes judged lost and not yet retransmitted have left the network (RFC 6675 4 SetPipe).
  SeqRange h;
  Seq32 s = SeqMax(una, high_rxt);
  while (NextHole(s, snd_max, &h)) {
    if (!IsLost(h.left, mss)) break;
    pipe -= std::min(pipe, h.len());
    s = h.right;
  }
  return pipe;
}

void SackReporter::NoteReceived(Seq32 left, Seq32 right) {
  (void)right;
  // Move `left` to the front, dropping an equal older entry.
  size_t n = 0;
  std::array<Seq32, kMaxRecent> next{};
  next[n++] = left;
  for (size_t i = 0; i < recent_count_ && n < kMaxRecent; ++i) {
    if (recent_[i] != left) next[n++] = recent_[i];
  }
  recent_ = next;
  recent_count_ = n;
}

void SackReporter::NoteDuplicate(Seq32 left, Seq32 right) {
  if (right <= left) return;
  has_dsack_ = true;
  dsack_ = SeqRange{left, right};
}

void SackReporter::Clear() {
  recent_count_ = 0;
  has_dsack_ = false;
}

void SackReporter::Fill(const std::vector<SeqRange>& ooo, size_t max_blocks, TcpOptions* opts) {
  opts->sack_count = 0;
  opts->sack = {};
  const size_t limit = std::min(max_blocks, kTcpMaxSackBlocks);
  size_t first_regular = 0;  // the D-SACK may repeat a block: RFC 2883 4 wants both
  auto push = [&](const SeqRange& r) {
    for (size_t i = first_regular; i < opts->sack_count; ++i) {
      if (opts->sack[i].left == r.left.raw() && opts->sack[i].right == r.right.raw()) return;
    }
    if (opts->sack_count >= limit) return;
    opts->sack[opts->sack_count++] = TcpSackBlock{r.left.raw(), r.right.raw()};
  };
  // RFC 2883 4: the D-SACK block goes first, reported once.
  if (has_dsack_) {
    push(dsack_);
    has_dsack_ = false;
    first_regular = opts->sack_count;
  }
  // RFC 2018 4: the block holding the most recently received segment first, then the other
  // recent ones, then any remaining blocks.
  for (size_t i = 0; i < recent_count_; ++i) {
    for (const SeqRange& r : ooo) {
      if (SeqInRange(recent_[i], r.left, r.right)) push(r);
    }
  }
  for (const SeqRange& r : ooo) push(r);
}

}  // namespace ustack
