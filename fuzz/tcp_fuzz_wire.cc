// Segment building and parsing for tcp_stateful_fuzz, see tcp_fuzz_wire.h.
#include "tcp_fuzz_wire.h"

#include <algorithm>

#include "base/byte_order.h"
#include "base/checksum.h"
#include "tcp_fuzz_model.h"
#include "wire/ipv4.h"

namespace ustack::fuzz {
namespace {

// Writes the TCP header with `raw` option bytes (padded with NOPs to a multiple of 4).
size_t EmitRawOptions(const TcpRepr& t, std::span<const uint8_t> raw, std::span<uint8_t> out) {
  const size_t opt_len = std::min((raw.size() + 3) / 4 * 4, kTcpMaxOptionsLen);
  TcpRepr bare = t;
  bare.options = TcpOptions{};
  bare.Emit(out);
  std::fill(out.begin() + kTcpHeaderLen, out.begin() + kTcpHeaderLen + opt_len, kTcpOptNop);
  std::copy_n(raw.begin(), std::min(raw.size(), opt_len), out.begin() + kTcpHeaderLen);
  out[12] = static_cast<uint8_t>(((kTcpHeaderLen + opt_len) / 4) << 4);
  return kTcpHeaderLen + opt_len;
}

size_t HeaderLength(const SegSpec& s) {
  if (s.raw_options.empty()) return kTcpHeaderLen + s.options.EncodedLength();
  return kTcpHeaderLen + std::min((s.raw_options.size() + 3) / 4 * 4, kTcpMaxOptionsLen);
}

void Damage(const SegSpec& s, std::vector<uint8_t>& pkt) {
  switch (s.corrupt) {
    case Corruption::kTcpChecksum:
      pkt[kIpv4MinHeaderLen + kTcpChecksumOffset] ^= 0x5a;
      break;
    case Corruption::kIpChecksum:
      pkt[10] ^= 0x5a;
      break;
    case Corruption::kTruncated:  // the IP total length claims more than is there
      pkt.resize(std::max(kIpv4MinHeaderLen + 4, pkt.size() / 2));
      break;
    case Corruption::kNone:
    case Corruption::kOtherPort:  // applied to the ports before the checksum
      break;
  }
}

}  // namespace

std::vector<uint8_t> BuildSegment(const SegSpec& s) {
  const size_t hl = HeaderLength(s);
  std::vector<uint8_t> pkt(kIpv4MinHeaderLen + hl + s.payload_len, 0);
  Ipv4Repr ip;
  ip.src = s.src;
  ip.dst = s.dst;
  ip.protocol = 6;
  ip.tos = s.tos;
  ip.payload_len = static_cast<uint16_t>(hl + s.payload_len);
  ip.Emit(pkt);
  TcpRepr t;
  t.src_port = s.sport;
  t.dst_port =
      s.corrupt == Corruption::kOtherPort ? static_cast<uint16_t>(s.dport ^ 0x100) : s.dport;
  t.seq = s.seq;
  t.ack = s.ack;
  t.flags = s.flags;
  t.window = s.window;
  t.urgent = s.urgent;
  t.options = s.options;
  std::span<uint8_t> seg(pkt.data() + kIpv4MinHeaderLen, hl + s.payload_len);
  if (s.raw_options.empty()) {
    t.Emit(seg);
  } else {
    EmitRawOptions(t, s.raw_options, seg);
  }
  for (uint32_t i = 0; i < s.payload_len; ++i) seg[hl + i] = PeerByte(s.data_seq() + i);
  FillTcpChecksumV4(seg, s.src, s.dst);
  Damage(s, pkt);
  return pkt;
}

OutSeg ParseOutbound(std::span<const uint8_t> bytes) {
  auto ip = Ipv4View::Parse(bytes);
  FUZZ_CHECK(ip.has_value(), "stack sent a malformed IPv4 packet (%zu bytes)", bytes.size());
  FUZZ_CHECK(ip->checksum_valid(), "stack sent an IPv4 header with a bad checksum");
  FUZZ_CHECK(ip->protocol() == 6, "stack sent IP protocol %u", ip->protocol());
  FUZZ_CHECK(!ip->is_fragment(), "stack fragmented a TCP segment");
  FUZZ_CHECK(ip->total_length() <= 1500, "stack sent %u bytes over a 1500 MTU", ip->total_length());
  const auto seg = ip->payload();
  const uint64_t sum = ChecksumAdd(0, seg);
  FUZZ_CHECK(TcpChecksumValidV4(ip->src(), ip->dst(), static_cast<uint32_t>(seg.size()), sum),
             "stack sent a TCP segment with a bad checksum");
  auto v = TcpView::Parse(seg);
  FUZZ_CHECK(v.has_value(), "stack sent a TCP header with a bad data offset");
  auto r = TcpRepr::Parse(*v);
  FUZZ_CHECK(r.has_value(), "stack sent malformed TCP options");
  OutSeg out;
  out.src = ip->src();
  out.dst = ip->dst();
  out.tos = ip->tos();
  out.tcp = *r;
  out.options_len = v->header_length() - kTcpHeaderLen;
  out.payload.assign(v->payload().begin(), v->payload().end());
  return out;
}

}  // namespace ustack::fuzz
