// In-order receive queue and out-of-order reassembly, see recv_queue.h.
#include "tcp/recv_queue.h"

#include <algorithm>

namespace ustack {

void RecvQueue::Push(RecvChunk chunk) {
  if (chunk.len == 0) return;
  size_ += chunk.len;
  chunks_.push_back(std::move(chunk));
}

size_t RecvQueue::Read(std::span<uint8_t> out) {
  size_t done = 0;
  while (done < out.size() && !chunks_.empty()) {
    RecvChunk& c = chunks_.front();
    const size_t want = std::min<size_t>(c.len, out.size() - done);
    const size_t got = c.pkt.CopyOut(c.off, out.subspan(done, want));
    done += want;
    size_ -= static_cast<uint32_t>(want);
    if (got < want) {  // cannot happen for chunks built from validated packets
      std::fill(out.begin() + static_cast<long>(done - want + got),
                out.begin() + static_cast<long>(done), 0);
    }
    c.off += static_cast<uint32_t>(want);
    c.len -= static_cast<uint32_t>(want);
    if (c.len == 0) chunks_.pop_front();
  }
  return done;
}

size_t RecvQueue::Peek(std::span<uint8_t> out) const {
  size_t done = 0;
  for (size_t i = 0; i < chunks_.size() && done < out.size(); ++i) {
    const RecvChunk& c = chunks_.at(i);
    const size_t want = std::min<size_t>(c.len, out.size() - done);
    const size_t got = c.pkt.CopyOut(c.off, out.subspan(done, want));
    std::fill(out.begin() + static_cast<long>(done + got),
              out.begin() + static_cast<long>(done + want), 0);
    done += want;
  }
  return done;
}

bool RecvQueue::PopChunk(RecvChunk* out) {
  if (chunks_.empty()) return false;
  *out = std::move(chunks_.front());
  chunks_.pop_front();
  size_ -= out->len;
  return true;
}

void RecvQueue::Clear() {
  chunks_.clear();
  size_ = 0;
}

uint32_t ReassemblyQueue::bytes() const {
  uint32_t n = 0;
  for (const Entry& e : entries_) n += e.chunk.len;
  return n;
}

void ReassemblyQueue::Ranges(std::vector<SeqRange>* out) const {
  out->clear();
  for (const Entry& e : entries_) {
    if (e.chunk.len == 0) continue;
    if (!out->empty() && out->back().right == e.seq) {
      out->back().right = e.end();
    } else {
      out->push_back(SeqRange{e.seq, e.end()});
    }
  }
}

void ReassemblyQueue::ResolveOverlaps(Seq32 seq, Seq32 end, bool* fin) {
  for (size_t i = 0; i < entries_.size();) {
    Entry& e = entries_[i];
    const Seq32 e_end = e.end();
    if (e_end <= seq || e.seq >= end) {  // disjoint
      ++i;
      continue;
    }
    if (seq <= e.seq && e_end <= end) {  // covered by the new segment: remove
      if (e.fin && e_end == end) *fin = true;
      entries_.erase(entries_.begin() + static_cast<long>(i));
      continue;
    }
    if (e.seq < seq) {  // overlaps the new segment's start: keep e's head
      e.chunk.len = static_cast<uint32_t>(seq - e.seq);
      e.fin = false;  // a FIN inside newer data is not believed
    } else {          // overlaps the new segment's end: keep e's tail
      const uint32_t cut = static_cast<uint32_t>(end - e.seq);
      e.chunk.off += cut;
      e.chunk.len -= cut;
      e.seq = end;
    }
    ++i;
  }
}

ReassemblyQueue::Insert ReassemblyQueue::Add(Seq32 seq, RecvChunk chunk, bool fin) {
  const Seq32 end = seq + chunk.len;
  // The common case while a hole waits for its retransmission: data beyond everything held.
  // Nothing to compare or trim, so no scan (a held window may be thousands of entries).
  if (chunk.len > 0 && (entries_.empty() || seq >= entries_.back().end())) {
    if (entries_.size() >= max_entries_) return Insert::kNoRoom;
    entries_.push_back(Entry{seq, std::move(chunk), fin});
    return Insert::kQueued;
  }
  for (Entry& e : entries_) {
    if (e.seq <= seq && end <= e.end()) {
      if (fin && !e.fin && end == e.end()) e.fin = true;  // learn the FIN position
      return Insert::kDuplicate;
    }
  }
  ResolveOverlaps(seq, end, &fin);
  if (entries_.size() >= max_entries_) return Insert::kNoRoom;
  auto pos =
      std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return seq < e.seq; });
  entries_.insert(pos, Entry{seq, std::move(chunk), fin});
  return Insert::kQueued;
}

bool ReassemblyQueue::Drain(Seq32& rcv_nxt, RecvQueue& in_order) {
  size_t i = 0;
  bool fin = false;
  for (; i < entries_.size() && entries_[i].seq <= rcv_nxt; ++i) {
    Entry& e = entries_[i];
    const Seq32 e_end = e.end();
    if (e_end > rcv_nxt) {
      const uint32_t skip = static_cast<uint32_t>(rcv_nxt - e.seq);
      e.chunk.off += skip;
      e.chunk.len -= skip;
      in_order.Push(std::move(e.chunk));
      rcv_nxt = e_end;
    }
    if (e.fin && e_end == rcv_nxt) {
      fin = true;
      i = entries_.size();  // nothing after a FIN can be valid
      break;
    }
  }
  entries_.erase(entries_.begin(), entries_.begin() + static_cast<long>(i));
  return fin;
}

}  // namespace ustack
