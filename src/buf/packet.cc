// Packet over rte_mbuf chains, see packet.h.
#include "buf/packet.h"

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <cstring>

#include "base/checksum.h"

namespace ustack {

void Packet::Reset() {
  if (m_) rte_pktmbuf_free(m_);
  m_ = nullptr;
}

Packet Packet::Alloc(rte_mempool* pool) {
  rte_mbuf* m = pool ? rte_pktmbuf_alloc(pool) : nullptr;
  if (!m) return Packet();
  if (rte_pktmbuf_headroom(m) < kTxHeadroom) {
    const uint16_t room = static_cast<uint16_t>(m->buf_len);
    if (room < kTxHeadroom) {
      rte_pktmbuf_free(m);
      return Packet();
    }
    m->data_off = kTxHeadroom;
  }
  return Packet(m);
}

Packet Packet::FromBytes(rte_mempool* pool, std::span<const uint8_t> bytes) {
  Packet p = Alloc(pool);
  if (!p) return p;
  if (!p.AppendBytes(pool, bytes)) return Packet();
  return p;
}

uint32_t Packet::length() const { return m_ ? rte_pktmbuf_pkt_len(m_) : 0; }
uint16_t Packet::segments() const { return m_ ? m_->nb_segs : 0; }
uint16_t Packet::headroom() const { return m_ ? rte_pktmbuf_headroom(m_) : 0; }
uint16_t Packet::tailroom() const { return m_ ? rte_pktmbuf_tailroom(rte_pktmbuf_lastseg(m_)) : 0; }

std::span<uint8_t> Packet::head() const {
  if (!m_) return {};
  return {rte_pktmbuf_mtod(m_, uint8_t*), rte_pktmbuf_data_len(m_)};
}

bool Packet::MakeContiguous(uint32_t n) {
  if (!m_) return false;
  if (n <= rte_pktmbuf_data_len(m_)) return true;  // the usual case: nothing to move
  if (n > length()) return false;
  // Pull bytes from following segments into the first one's tailroom.
  if (rte_pktmbuf_headroom(m_) + n > m_->buf_len) return false;
  if (n - rte_pktmbuf_data_len(m_) > rte_pktmbuf_tailroom(m_)) return false;
  while (rte_pktmbuf_data_len(m_) < n) {
    rte_mbuf* next = m_->next;
    const uint32_t want = n - rte_pktmbuf_data_len(m_);
    const uint16_t take = static_cast<uint16_t>(std::min<uint32_t>(want, next->data_len));
    std::memcpy(rte_pktmbuf_mtod_offset(m_, uint8_t*, m_->data_len),
                rte_pktmbuf_mtod(next, uint8_t*), take);
    m_->data_len = static_cast<uint16_t>(m_->data_len + take);
    next->data_off = static_cast<uint16_t>(next->data_off + take);
    next->data_len = static_cast<uint16_t>(next->data_len - take);
    if (next->data_len == 0) {
      m_->next = next->next;
      next->next = nullptr;
      m_->nb_segs--;
      rte_pktmbuf_free_seg(next);
    }
  }
  return true;
}

uint8_t* Packet::Prepend(uint16_t n) {
  if (!m_) return nullptr;
  return reinterpret_cast<uint8_t*>(rte_pktmbuf_prepend(m_, n));
}

bool Packet::Pull(uint32_t n) {
  if (!m_ || n > rte_pktmbuf_data_len(m_)) return false;
  m_->data_off = static_cast<uint16_t>(m_->data_off + n);
  m_->data_len = static_cast<uint16_t>(m_->data_len - n);
  m_->pkt_len -= n;
  return true;
}

bool Packet::TrimBack(uint32_t n) {
  if (!m_ || n > length()) return false;
  if (n == 0) return true;  // e.g. TruncateTo a datagram without link padding
  uint32_t keep = length() - n;
  m_->pkt_len = keep;
  rte_mbuf* seg = m_;
  rte_mbuf* prev = nullptr;
  while (seg) {
    if (keep <= seg->data_len && (keep > 0 || prev == nullptr)) {
      seg->data_len = static_cast<uint16_t>(keep);
      if (seg->next) {
        rte_pktmbuf_free(seg->next);  // frees the rest of the chain
        seg->next = nullptr;
      }
      break;
    }
    if (keep == 0) {  // nothing kept in this segment: cut before it
      prev->next = nullptr;
      rte_pktmbuf_free(seg);
      break;
    }
    keep -= seg->data_len;
    prev = seg;
    seg = seg->next;
  }
  uint16_t count = 0;
  for (rte_mbuf* s = m_; s; s = s->next) ++count;
  m_->nb_segs = count;
  return true;
}

uint8_t* Packet::Append(uint16_t n) {
  if (!m_) return nullptr;
  return reinterpret_cast<uint8_t*>(rte_pktmbuf_append(m_, n));
}

bool Packet::AppendBytes(rte_mempool* pool, std::span<const uint8_t> bytes) {
  if (!m_) return false;
  while (!bytes.empty()) {
    rte_mbuf* last = rte_pktmbuf_lastseg(m_);
    uint16_t room = rte_pktmbuf_tailroom(last);
    if (room == 0) {
      rte_mbuf* seg = rte_pktmbuf_alloc(pool);
      if (!seg) return false;
      if (rte_pktmbuf_chain(m_, seg) != 0) {
        rte_pktmbuf_free(seg);
        return false;
      }
      continue;
    }
    const uint16_t take = static_cast<uint16_t>(std::min<size_t>(room, bytes.size()));
    std::memcpy(rte_pktmbuf_mtod_offset(last, uint8_t*, last->data_len), bytes.data(), take);
    last->data_len = static_cast<uint16_t>(last->data_len + take);
    m_->pkt_len += take;
    bytes = bytes.subspan(take);
  }
  return true;
}

size_t Packet::CopyOut(size_t offset, std::span<uint8_t> dst) const {
  size_t copied = 0;
  for (const rte_mbuf* s = m_; s && copied < dst.size(); s = s->next) {
    if (offset >= s->data_len) {
      offset -= s->data_len;
      continue;
    }
    const size_t take = std::min<size_t>(s->data_len - offset, dst.size() - copied);
    std::memcpy(dst.data() + copied, rte_pktmbuf_mtod_offset(s, const uint8_t*, offset), take);
    copied += take;
    offset = 0;
  }
  return copied;
}

uint64_t Packet::ChecksumSum(size_t offset, size_t len) const {
  uint64_t sum = 0;
  size_t done = 0;
  for (const rte_mbuf* s = m_; s && done < len; s = s->next) {
    if (offset >= s->data_len) {
      offset -= s->data_len;
      continue;
    }
    const size_t take = std::min<size_t>(s->data_len - offset, len - done);
    sum =
        ChecksumAdd(sum, {rte_pktmbuf_mtod_offset(s, const uint8_t*, offset), take}, done % 2 == 1);
    done += take;
    offset = 0;
  }
  return sum;
}

Packet Packet::Copy(rte_mempool* pool) const {
  Packet out = Alloc(pool);
  if (!out || !m_) return out;
  for (const rte_mbuf* s = m_; s; s = s->next) {
    if (!out.AppendBytes(pool, {rte_pktmbuf_mtod(s, const uint8_t*), s->data_len})) {
      return Packet();
    }
  }
  return out;
}

bool Packet::Chain(Packet&& tail) {
  if (!m_ || !tail.m_) return false;
  if (rte_pktmbuf_chain(m_, tail.m_) != 0) return false;
  tail.m_ = nullptr;
  return true;
}

rte_mempool* Packet::pool() const { return m_ ? m_->pool : nullptr; }

Packet Packet::Retain() const {
  if (!m_ || m_->nb_segs != 1) return Packet();
  rte_mbuf_refcnt_update(m_, 1);
  return Packet(m_);
}

Packet Packet::Share(uint32_t offset, uint32_t len, rte_mempool* pool) const {
  if (!m_ || !pool || len == 0 || uint64_t{offset} + len > length()) return Packet();
  Packet out;
  uint32_t done = 0;
  for (rte_mbuf* s = m_; s && done < len; s = s->next) {
    if (offset >= s->data_len) {
      offset -= s->data_len;
      continue;
    }
    const auto take = static_cast<uint16_t>(std::min<uint32_t>(s->data_len - offset, len - done));
    rte_mbuf* mi = rte_pktmbuf_alloc(pool);
    if (!mi) return Packet();   // `out` frees what was built
    rte_pktmbuf_attach(mi, s);  // shares s's buffer (its direct mbuf's reference count goes up)
    mi->data_off = static_cast<uint16_t>(s->data_off + offset);
    mi->data_len = take;
    mi->pkt_len = take;
    mi->buf_len = static_cast<uint16_t>(mi->data_off + take);  // no tailroom into shared bytes
    Packet seg(mi);
    if (!out) {
      out = std::move(seg);
    } else if (!out.Chain(std::move(seg))) {
      return Packet();
    }
    done += take;
    offset = 0;
  }
  return out;
}

PacketPool::PacketPool(const char* name, unsigned count, uint16_t data_room, int socket_id) {
  pool_ = rte_pktmbuf_pool_create(name, count, count >= 512 ? 256 : 0, 0, data_room,
                                  socket_id < 0 ? static_cast<int>(rte_socket_id()) : socket_id);
}

PacketPool::~PacketPool() {
  if (pool_) rte_mempool_free(pool_);
}

unsigned PacketPool::available() const { return Available(pool_); }

unsigned PacketPool::Available(const rte_mempool* pool) {
  return pool ? rte_mempool_avail_count(pool) : 0;
}

unsigned PacketPool::Capacity(const rte_mempool* pool) { return pool ? pool->size : 0; }

}  // namespace ustack
