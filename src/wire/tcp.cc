// TCP header view, options and checksum, see tcp.h.
// Emitted option layout (each piece a multiple of 4 bytes, so no trailing padding is needed):
//   MSS(4) | SACK-permitted + timestamps (4,2,8,10,..: 12) or NOP,NOP,TS (12) or NOP,NOP,SP (4)
//   | NOP,WS (4) | NOP,NOP,SACK (4 + 8n).
#include "wire/tcp.h"

#include <algorithm>

#include "base/byte_order.h"
#include "base/checksum.h"

namespace ustack {
namespace {

size_t BaseOptionsLength(const TcpOptions& o) {
  size_t n = 0;
  if (o.mss) n += 4;
  if (o.timestamps) {
    n += 12;
  } else if (o.sack_permitted) {
    n += 4;
  }
  if (o.window_scale) n += 4;
  return n;
}

// SACK blocks that fit in the option space after `base` bytes of other options.
size_t SackBlocksAfter(size_t base, uint8_t sack_count) {
  if (sack_count == 0 || base + 4 + 8 > kTcpMaxOptionsLen) return 0;
  return std::min<size_t>(sack_count, (kTcpMaxOptionsLen - base - 4) / 8);
}

size_t SackLength(size_t blocks) { return blocks ? 4 + 8 * blocks : 0; }

// Writes the options, which take `base` + SackLength(`blocks`) bytes, at `p`.
void WriteOptions(const TcpOptions& o, size_t blocks, uint8_t* p) {
  if (o.mss) {
    p[0] = kTcpOptMss;
    p[1] = 4;
    StoreBe16(p + 2, *o.mss);
    p += 4;
  }
  if (o.timestamps) {
    p[0] = o.sack_permitted ? kTcpOptSackPermitted : kTcpOptNop;
    p[1] = o.sack_permitted ? 2 : kTcpOptNop;
    p[2] = kTcpOptTimestamps;
    p[3] = 10;
    StoreBe32(p + 4, o.timestamps->value);
    StoreBe32(p + 8, o.timestamps->echo);
    p += 12;
  } else if (o.sack_permitted) {
    p[0] = kTcpOptNop;
    p[1] = kTcpOptNop;
    p[2] = kTcpOptSackPermitted;
    p[3] = 2;
    p += 4;
  }
  if (o.window_scale) {
    p[0] = kTcpOptNop;
    p[1] = kTcpOptWindowScale;
    p[2] = 3;
    p[3] = *o.window_scale;
    p += 4;
  }
  if (blocks > 0) {
    p[0] = kTcpOptNop;
    p[1] = kTcpOptNop;
    p[2] = kTcpOptSack;
    p[3] = static_cast<uint8_t>(2 + 8 * blocks);
    p += 4;
    for (size_t i = 0; i < blocks; ++i, p += 8) {
      StoreBe32(p, o.sack[i].left);
      StoreBe32(p + 4, o.sack[i].right);
    }
  }
}

// Applies one option of `kind` whose body (after kind and length) is `body`. False when the
// length is wrong for a known kind.
bool ApplyOption(uint8_t kind, std::span<const uint8_t> body, TcpOptions* out) {
  switch (kind) {
    case kTcpOptMss:  // RFC 9293 3.2: kind 2, length 4
      if (body.size() != 2) return false;
      out->mss = LoadBe16(body.data());
      return true;
    case kTcpOptWindowScale:  // RFC 7323 2.2: kind 3, length 3
      if (body.size() != 1) return false;
      out->window_scale = body[0];
      return true;
    case kTcpOptSackPermitted:  // RFC 2018 2: kind 4, length 2
      if (!body.empty()) return false;
      out->sack_permitted = true;
      return true;
    case kTcpOptSack: {  // RFC 2018 3: kind 5, length 2 + 8n
      if (body.empty() || body.size() % 8 != 0 || body.size() / 8 > kTcpMaxSackBlocks) {
        return false;
      }
      out->sack = {};
      out->sack_count = static_cast<uint8_t>(body.size() / 8);
      for (size_t i = 0; i < out->sack_count; ++i) {
        out->sack[i].left = LoadBe32(body.data() + 8 * i);
        out->sack[i].right = LoadBe32(body.data() + 8 * i + 4);
      }
      return true;
    }
    case kTcpOptTimestamps:  // RFC 7323 3.2: kind 8, length 10
      if (body.size() != 8) return false;
      out->timestamps = TcpTimestamps{LoadBe32(body.data()), LoadBe32(body.data() + 4)};
      return true;
    default:  // RFC 9293 3.2: unknown options are skipped by their length
      return true;
  }
}

}  // namespace

size_t TcpOptions::SackBlocksThatFit() const {
  return SackBlocksAfter(BaseOptionsLength(*this), sack_count);
}

size_t TcpOptions::EncodedLength() const {
  const size_t base = BaseOptionsLength(*this);
  return base + SackLength(SackBlocksAfter(base, sack_count));
}

bool ParseTcpOptions(std::span<const uint8_t> bytes, TcpOptions* out) {
  *out = TcpOptions{};
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t kind = bytes[i];
    if (kind == kTcpOptEol) break;  // RFC 9293 3.2: end of option list
    if (kind == kTcpOptNop) {
      ++i;
      continue;
    }
    // RFC 9293 3.2: every other option has a length byte covering kind and length.
    if (bytes.size() - i < 2) return false;
    const size_t len = bytes[i + 1];
    if (len < 2 || len > bytes.size() - i) return false;
    if (!ApplyOption(kind, bytes.subspan(i + 2, len - 2), out)) return false;
    i += len;
  }
  return true;
}

size_t EmitTcpOptions(const TcpOptions& o, std::span<uint8_t> out) {
  const size_t base = BaseOptionsLength(o);
  const size_t blocks = SackBlocksAfter(base, o.sack_count);
  const size_t total = base + SackLength(blocks);
  if (out.size() < total) return 0;
  WriteOptions(o, blocks, out.data());
  return total;
}

std::optional<TcpView> TcpView::Parse(std::span<const uint8_t> bytes) {
  if (bytes.size() < kTcpHeaderLen) return std::nullopt;
  const size_t header_len = static_cast<size_t>(bytes[12] >> 4) * 4;
  // RFC 9293 3.1: data offset counts 32-bit words, at least 5, within the segment.
  if (header_len < kTcpHeaderLen || header_len > bytes.size()) return std::nullopt;
  return TcpView(bytes, header_len);
}

uint16_t TcpView::src_port() const { return LoadBe16(bytes_.data()); }
uint16_t TcpView::dst_port() const { return LoadBe16(bytes_.data() + 2); }
uint32_t TcpView::seq() const { return LoadBe32(bytes_.data() + 4); }
uint32_t TcpView::ack() const { return LoadBe32(bytes_.data() + 8); }
uint16_t TcpView::window() const { return LoadBe16(bytes_.data() + 14); }
uint16_t TcpView::checksum() const { return LoadBe16(bytes_.data() + kTcpChecksumOffset); }
uint16_t TcpView::urgent() const { return LoadBe16(bytes_.data() + 18); }

std::optional<TcpRepr> TcpRepr::Parse(const TcpView& v) {
  TcpRepr r;
  if (!ParseTcpOptions(v.options(), &r.options)) return std::nullopt;
  r.src_port = v.src_port();
  r.dst_port = v.dst_port();
  r.seq = v.seq();
  r.ack = v.ack();
  r.flags = v.flags();
  r.window = v.window();
  r.urgent = v.urgent();
  return r;
}

bool TcpRepr::Emit(std::span<uint8_t> out) const {
  const size_t base = BaseOptionsLength(options);
  const size_t blocks = SackBlocksAfter(base, options.sack_count);
  const size_t len = kTcpHeaderLen + base + SackLength(blocks);
  if (out.size() < len) return false;
  uint8_t* p = out.data();
  StoreBe16(p, src_port);
  StoreBe16(p + 2, dst_port);
  StoreBe32(p + 4, seq);
  StoreBe32(p + 8, ack);
  p[12] = static_cast<uint8_t>((len / 4) << 4);
  p[13] = flags;
  StoreBe16(p + 14, window);
  StoreBe16(p + kTcpChecksumOffset, 0);
  StoreBe16(p + 18, urgent);
  WriteOptions(options, blocks, p + kTcpHeaderLen);
  return true;
}

uint16_t TcpChecksumV4(Ipv4Addr src, Ipv4Addr dst, uint32_t length, uint64_t segment_sum) {
  return ChecksumFinish(PseudoHeaderSumV4(src.v, dst.v, 6, length) + segment_sum);
}

bool TcpChecksumValidV4(Ipv4Addr src, Ipv4Addr dst, uint32_t length, uint64_t segment_sum) {
  return ChecksumFold(PseudoHeaderSumV4(src.v, dst.v, 6, length) + segment_sum) == 0xffff;
}

void FillTcpChecksumV4(std::span<uint8_t> segment, Ipv4Addr src, Ipv4Addr dst) {
  if (segment.size() < kTcpHeaderLen) return;
  StoreBe16(segment.data() + kTcpChecksumOffset, 0);
  const uint16_t c =
      TcpChecksumV4(src, dst, static_cast<uint32_t>(segment.size()), ChecksumAdd(0, segment));
  StoreBe16(segment.data() + kTcpChecksumOffset, c);
}

}  // namespace ustack
