// SACK (RFC 2018, RFC 2883, RFC 6675) bookkeeping, both sides.
// SackScoreboard (sender): the ranges above SND.UNA the peer reported as received, kept
// sorted, disjoint and merged; answers RFC 6675's IsLost / NextSeg questions and the pipe.
// SackReporter (receiver): remembers which out-of-order ranges arrived most recently so ACKs
// list them first (RFC 2018 4), plus a one-shot D-SACK range (RFC 2883 4).
// Ownership: both are plain values inside a Connection. Stateless beyond their fields.
// Invariants: scoreboard blocks lie within (SND.UNA, SND.MAX], sorted, disjoint, non-adjacent.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/seq32.h"
#include "wire/tcp.h"

namespace ustack {

struct SeqRange {
  Seq32 left;   // first sequence number
  Seq32 right;  // one past the last
  uint32_t len() const { return static_cast<uint32_t>(right - left); }
};

class SackScoreboard {
 public:
  // RFC 6675 2: DupThresh.
  static constexpr uint32_t kDupThresh = 3;

  // Folds the blocks of one ACK in. Returns the bytes newly marked SACKed. Blocks outside
  // (una, snd_max] are ignored; a first block below `ack` (or inside the second block) is a
  // D-SACK (RFC 2883 4) and sets *dsack.
  uint32_t Update(const TcpOptions& opts, Seq32 ack, Seq32 una, Seq32 snd_max, bool* dsack);
  // Drops everything at or below `una` (the cumulative ACK moved).
  void AdvanceTo(Seq32 una);
  void Clear() { blocks_.clear(); }

  bool empty() const { return blocks_.empty(); }
  bool IsSacked(Seq32 s) const;
  uint32_t sacked_bytes() const;
  Seq32 highest_sacked(Seq32 una) const { return blocks_.empty() ? una : blocks_.back().right; }
  // RFC 6675 4 IsLost(): the sequence number is lost when at least DupThresh * mss bytes
  // (standing for DupThresh discontiguous segments) are SACKed above it.
  bool IsLost(Seq32 s, uint32_t mss) const;
  // The first un-SACKed range at or after `from` (bounded by the next SACKed block, or by
  // `limit`); false when none below `limit`.
  bool NextHole(Seq32 from, Seq32 limit, SeqRange* out) const;
  // RFC 6675 4 SetPipe(): bytes in flight: outstanding minus SACKed minus lost-and-not-
  // retransmitted (everything below high_rxt counts as retransmitted).
  uint32_t Pipe(Seq32 una, Seq32 snd_max, Seq32 high_rxt, uint32_t mss) const;
  const std::vector<SeqRange>& blocks() const { return blocks_; }

 private:
  void Insert(SeqRange r, uint32_t* added);
  uint32_t SackedAbove(Seq32 s) const;

  std::vector<SeqRange> blocks_;
};

// Receiver side of RFC 2018 4 and RFC 2883.
class SackReporter {
 public:
  static constexpr size_t kMaxRecent = 4;

  // A segment [left, right) was queued out of order.
  void NoteReceived(Seq32 left, Seq32 right);
  // A duplicate [left, right) arrived: the next ACK reports it first (RFC 2883 4).
  void NoteDuplicate(Seq32 left, Seq32 right);
  void Clear();

  // Fills opts->sack with up to `max_blocks` blocks: the D-SACK (consumed), then the merged
  // out-of-order ranges containing the most recent arrivals, then the rest in order. `ooo`
  // are the merged out-of-order ranges (sorted) above rcv_nxt.
  void Fill(const std::vector<SeqRange>& ooo, size_t max_blocks, TcpOptions* opts);
  bool has_dsack() const { return has_dsack_; }

 private:
  std::array<Seq32, kMaxRecent> recent_{};  // left edges of the latest arrivals, newest first
  size_t recent_count_ = 0;
  bool has_dsack_ = false;
  SeqRange dsack_{};
};

}  // namespace ustack
