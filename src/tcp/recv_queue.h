// Receive side buffering, zero-copy: payload stays in the mbufs it arrived in.
// RecvQueue holds in-order bytes not yet read by the application, as (Packet, offset, length)
// chunks; Read() copies once into the caller's buffer. ReassemblyQueue holds out-of-order
// segments sorted by sequence number without overlaps, and hands them to the RecvQueue when
// the hole before them fills (RFC 9293 3.10.7.4, "seventh, process the segment text").
// Invariants: RecvQueue::size() is the sum of chunk lengths minus the read offset; reassembly
// entries are sorted, disjoint and at most max_entries (the caller bounds them by the window).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/seq32.h"
#include "buf/packet.h"
#include "tcp/chunk_ring.h"
#include "tcp/recv_chunk.h"
#include "tcp/sack.h"

namespace ustack {

class RecvQueue {
 public:
  // `blocks` (may be null: the heap) holds the chunk ring's storage; it must outlive the queue.
  explicit RecvQueue(BlockCache* blocks = nullptr) : chunks_(blocks) {}

  uint32_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Appends a chunk (ignored when empty).
  void Push(RecvChunk chunk);
  // Copies and consumes up to out.size() bytes; returns bytes read.
  size_t Read(std::span<uint8_t> out);
  // Copies up to out.size() bytes without consuming them (MSG_PEEK).
  size_t Peek(std::span<uint8_t> out) const;
  // Moves the first chunk to *out (zero-copy receive); false when empty.
  bool PopChunk(RecvChunk* out);
  void Clear();

 private:
  ChunkRing chunks_;
  uint32_t size_ = 0;
};

class ReassemblyQueue {
 public:
  enum class Insert { kQueued, kDuplicate, kNoRoom };

  explicit ReassemblyQueue(size_t max_entries) : max_entries_(max_entries) {}
  // Entries beyond this are refused (kNoRoom); existing ones stay.
  void set_max_entries(size_t n) { max_entries_ = n; }

  // Holds payload [seq, seq + chunk.len) and, when `fin`, a FIN right after it. Overlaps are
  // resolved in favour of the new segment (existing entries are trimmed or removed).
  Insert Add(Seq32 seq, RecvChunk chunk, bool fin);
  // Moves every entry that starts at or before rcv_nxt into `in_order` (trimming bytes already
  // received) and advances rcv_nxt over them. Returns true when a FIN became in order (rcv_nxt
  // then points at the FIN; the caller processes it). Entries past a FIN are discarded.
  bool Drain(Seq32& rcv_nxt, RecvQueue& in_order);
  void Clear() { entries_.clear(); }

  bool empty() const { return entries_.empty(); }
  size_t count() const { return entries_.size(); }
  uint32_t bytes() const;
  // First out-of-order sequence range (for tests).
  Seq32 front_seq() const { return entries_.front().seq; }
  // The held data as sorted, merged (adjacent entries joined) ranges: the SACK blocks.
  void Ranges(std::vector<SeqRange>* out) const;

 private:
  struct Entry {
    Seq32 seq;
    RecvChunk chunk;
    bool fin = false;
    Seq32 end() const { return seq + chunk.len; }
  };
  // Trims or removes existing entries that overlap [seq, end); may set *fin from a removed
  // entry that ended with a FIN at `end`.
  void ResolveOverlaps(Seq32 seq, Seq32 end, bool* fin);

  std::vector<Entry> entries_;
  size_t max_entries_;
};

}  // namespace ustack
