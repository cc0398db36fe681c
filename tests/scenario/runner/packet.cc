// Inbound packet construction and outbound packet matching, see packet.h.
#include "packet.h"

#include <algorithm>
#include <sstream>

#include "base/byte_order.h"
#include "wire/ipv4.h"
#include "wire/tcp.h"

namespace ustack::scenario {
namespace {

constexpr uint8_t kIpProtoTcpNumber = 6;

std::string FlagString(uint8_t f) {
  std::string s;
  if (f & kTcpSyn) s += 'S';
  if (f & kTcpFin) s += 'F';
  if (f & kTcpRst) s += 'R';
  if (f & kTcpPsh) s += 'P';
  if (f & kTcpUrg) s += 'U';
  if (f & kTcpEce) s += 'E';
  if (f & kTcpCwr) s += 'W';
  if (f & kTcpAck) s += '.';
  return s.empty() ? "-" : s;
}

void PutOptions(const PacketSpec& spec, const FlowState& flow, std::vector<uint8_t>* o) {
  for (const OptionSpec& op : spec.options) {
    if (op.kind == "nop") {
      o->push_back(kTcpOptNop);
    } else if (op.kind == "eol") {
      o->push_back(kTcpOptEol);
    } else if (op.kind == "mss") {
      o->insert(o->end(),
                {kTcpOptMss, 4, static_cast<uint8_t>(op.a >> 8), static_cast<uint8_t>(op.a)});
    } else if (op.kind == "wscale") {
      o->insert(o->end(), {kTcpOptWindowScale, 3, static_cast<uint8_t>(op.a)});
    } else if (op.kind == "sackOK") {
      o->insert(o->end(), {kTcpOptSackPermitted, 2});
    } else if (op.kind == "TS") {
      uint8_t b[10] = {kTcpOptTimestamps, 10};
      StoreBe32(b + 2, op.a);
      // An ACK's TSecr echoes one of the stack's TSvals, written in the script's numbers.
      const bool echo = (spec.flags & kTcpAck) && flow.ts_offset;
      StoreBe32(b + 6, echo ? op.b + *flow.ts_offset : op.b);
      o->insert(o->end(), b, b + 10);
    } else if (op.kind == "sack") {
      o->push_back(kTcpOptSack);
      o->push_back(static_cast<uint8_t>(2 + 8 * op.blocks.size()));
      for (auto [l, r] : op.blocks) {  // inbound SACK blocks cover the stack's data
        uint8_t b[8];
        StoreBe32(b, flow.local_isn + l);
        StoreBe32(b + 4, flow.local_isn + r);
        o->insert(o->end(), b, b + 8);
      }
    }
  }
  while (o->size() % 4 != 0) o->push_back(kTcpOptEol);
}

// Options of a received segment, as (kind, values), NOP and EOL left out, in a stable order.
struct SeenOption {
  uint8_t kind;
  std::vector<uint32_t> v;
  bool operator<(const SeenOption& o) const { return kind < o.kind; }
  bool operator==(const SeenOption&) const = default;
};

bool ReadOptions(std::span<const uint8_t> b, std::vector<SeenOption>* out) {
  size_t i = 0;
  while (i < b.size()) {
    const uint8_t kind = b[i];
    if (kind == kTcpOptEol) break;
    if (kind == kTcpOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= b.size() || b[i + 1] < 2 || i + b[i + 1] > b.size()) return false;
    const uint8_t len = b[i + 1];
    SeenOption s{kind, {}};
    const uint8_t* p = b.data() + i + 2;
    if (kind == kTcpOptMss && len == 4) s.v = {LoadBe16(p)};
    if (kind == kTcpOptWindowScale && len == 3) s.v = {p[0]};
    if (kind == kTcpOptTimestamps && len == 10) s.v = {LoadBe32(p), LoadBe32(p + 4)};
    if (kind == kTcpOptSack)
      for (size_t k = 0; k + 8 <= size_t{len} - 2u; k += 8)
        s.v.insert(s.v.end(), {LoadBe32(p + k), LoadBe32(p + k + 4)});
    out->push_back(std::move(s));
    i += len;
  }
  std::stable_sort(out->begin(), out->end());
  return true;
}

std::vector<SeenOption> ExpectedOptions(const PacketSpec& spec, const FlowState& flow) {
  std::vector<SeenOption> out;
  for (const OptionSpec& op : spec.options) {
    if (op.kind == "mss") out.push_back({kTcpOptMss, {op.a}});
    if (op.kind == "wscale") out.push_back({kTcpOptWindowScale, {op.a}});
    if (op.kind == "sackOK") out.push_back({kTcpOptSackPermitted, {}});
    if (op.kind == "TS") out.push_back({kTcpOptTimestamps, {op.a, op.b}});
    if (op.kind == "sack") {
      SeenOption s{kTcpOptSack, {}};
      for (auto [l, r] : op.blocks)
        s.v.insert(s.v.end(), {flow.remote_isn + l, flow.remote_isn + r});
      out.push_back(s);
    }
  }
  std::stable_sort(out.begin(), out.end());
  return out;
}

std::string OptionsText(const std::vector<SeenOption>& opts, const FlowState& flow) {
  std::ostringstream s;
  s << "<";
  for (size_t i = 0; i < opts.size(); ++i) {
    const SeenOption& o = opts[i];
    if (i) s << ",";
    switch (o.kind) {
      case kTcpOptMss:
        s << "mss " << (o.v.empty() ? 0 : o.v[0]);
        break;
      case kTcpOptWindowScale:
        s << "wscale " << (o.v.empty() ? 0 : o.v[0]);
        break;
      case kTcpOptSackPermitted:
        s << "sackOK";
        break;
      case kTcpOptTimestamps:
        s << "TS val " << (o.v.size() > 1 ? o.v[0] : 0) << " ecr " << (o.v.size() > 1 ? o.v[1] : 0);
        break;
      case kTcpOptSack:
        s << "sack";
        for (size_t k = 0; k + 1 < o.v.size(); k += 2)
          s << " " << o.v[k] - flow.remote_isn << ":" << o.v[k + 1] - flow.remote_isn;
        break;
      default:
        s << "kind " << int{o.kind};
    }
  }
  s << ">";
  return s.str();
}

struct Parsed {
  Ipv4Addr src, dst;
  uint16_t sport = 0, dport = 0;
  uint32_t seq = 0, ack = 0, len = 0;
  uint8_t flags = 0;
  uint8_t ecn = 0;  // the IP header's ECN field
  uint16_t win = 0, urg = 0;
  std::vector<SeenOption> opts;
};

const char* EcnName(uint8_t ecn) {
  static const char* const kNames[] = {"noecn", "ect1", "ect0", "ce"};
  return kNames[ecn & 3];
}

std::optional<Parsed> ParseOut(std::span<const uint8_t> ipv4) {
  auto ip = Ipv4View::Parse(ipv4);
  if (!ip || ip->protocol() != kIpProtoTcpNumber) return std::nullopt;
  auto tcp = TcpView::Parse(ip->payload());
  if (!tcp) return std::nullopt;
  Parsed p;
  p.src = Ipv4Addr{LoadBe32(ip->header().data() + 12)};
  p.dst = Ipv4Addr{LoadBe32(ip->header().data() + 16)};
  p.ecn = ip->tos() & 3;
  p.sport = tcp->src_port();
  p.dport = tcp->dst_port();
  p.seq = tcp->seq();
  p.ack = tcp->ack();
  p.flags = tcp->flags();
  p.win = tcp->window();
  p.urg = tcp->urgent();
  p.len = static_cast<uint32_t>(tcp->payload().size());
  if (!ReadOptions(tcp->options(), &p.opts)) return std::nullopt;
  return p;
}

std::string Describe(const Parsed& p, const FlowState& flow) {
  std::ostringstream s;
  const uint32_t seq = p.seq - flow.local_isn;
  if (p.ecn != 0) s << "[" << EcnName(p.ecn) << "] ";
  s << FlagString(p.flags) << " " << seq << ":" << seq + p.len << "(" << p.len << ")";
  if (p.flags & kTcpAck) s << " ack " << p.ack - flow.remote_isn;
  s << " win " << p.win;
  if (!p.opts.empty()) s << " " << OptionsText(p.opts, flow);
  s << "  [" << p.src.ToString() << ":" << p.sport << " > " << p.dst.ToString() << ":" << p.dport
    << "]";
  return s.str();
}

// The first matched outbound packet whose TS option the script spells out fixes the offset
// between the stack's timestamp clock and the script's TS val numbers.
void LearnTsOffset(const PacketSpec& spec, const Parsed& p, FlowState& flow) {
  if (spec.options_any) return;
  for (const OptionSpec& want : spec.options) {
    if (want.kind != "TS") continue;
    for (const SeenOption& got : p.opts)
      if (got.kind == kTcpOptTimestamps && got.v.size() == 2) flow.ts_offset = got.v[0] - want.a;
  }
}

}  // namespace

std::vector<uint8_t> BuildInbound(const PacketSpec& spec, FlowState& flow) {
  std::vector<uint8_t> opts;
  PutOptions(spec, flow, &opts);
  const size_t tcp_len = kTcpHeaderLen + opts.size() + spec.len;
  std::vector<uint8_t> pkt(kIpv4MinHeaderLen + tcp_len, 0);
  Ipv4Repr ip;
  ip.src = flow.remote_ip;
  ip.dst = flow.local_ip;
  ip.protocol = kIpProtoTcpNumber;
  ip.ttl = 64;
  ip.ident = flow.next_ip_id++;
  ip.tos = spec.ecn.value_or(0);
  ip.payload_len = static_cast<uint16_t>(tcp_len);
  ip.Emit(pkt);
  uint8_t* t = pkt.data() + kIpv4MinHeaderLen;
  StoreBe16(t, flow.remote_port);
  StoreBe16(t + 2, flow.local_port);
  StoreBe32(t + 4, flow.remote_isn + spec.seq);
  const bool ack = (spec.flags & kTcpAck) != 0;
  StoreBe32(t + 8, ack ? flow.local_isn + spec.ack.value_or(0) : 0);
  t[12] = static_cast<uint8_t>(((kTcpHeaderLen + opts.size()) / 4) << 4);
  t[13] = spec.flags;
  const uint32_t def_win = (spec.flags & kTcpRst) ? 0 : 65535;
  StoreBe16(t + 14, static_cast<uint16_t>(spec.win.value_or(def_win)));
  StoreBe16(t + 18, static_cast<uint16_t>(spec.urg.value_or(0)));
  std::copy(opts.begin(), opts.end(), t + kTcpHeaderLen);
  FillTcpChecksumV4({t, tcp_len}, flow.remote_ip, flow.local_ip);
  return pkt;
}

std::string MatchOutbound(const PacketSpec& spec, std::span<const uint8_t> ipv4, FlowState& flow) {
  auto p = ParseOut(ipv4);
  if (!p) return "not a well-formed TCP/IPv4 packet";
  // Every SYN the stack sends carries its ISS (a new connection on the same ports gets a new
  // one; a retransmission repeats it).
  if (p->flags & kTcpSyn) {
    flow.local_isn = p->seq;
    flow.local_isn_known = true;
  }
  if (!flow.local_port_known) {
    flow.local_port = p->sport;
    flow.local_port_known = true;
  }
  std::vector<std::string> diffs;
  auto diff = [&](const std::string& field, uint64_t want, uint64_t got) {
    if (want != got)
      diffs.push_back(field + " expected " + std::to_string(want) + " got " + std::to_string(got));
  };
  if (p->src != flow.local_ip || p->dst != flow.remote_ip)
    diffs.push_back("addresses " + p->src.ToString() + " > " + p->dst.ToString());
  diff("source port", flow.local_port, p->sport);
  diff("destination port", flow.remote_port, p->dport);
  if (spec.ecn) {
    const bool ok = spec.ecn_any_ect ? (p->ecn == 1 || p->ecn == 2) : p->ecn == *spec.ecn;
    if (!ok)
      diffs.push_back(std::string("IP ECN expected ") +
                      (spec.ecn_any_ect ? "ect01" : EcnName(*spec.ecn)) + " got " +
                      EcnName(p->ecn));
  }
  if (p->flags != spec.flags)
    diffs.push_back("flags expected " + FlagString(spec.flags) + " got " + FlagString(p->flags));
  diff("seq", spec.seq, p->seq - flow.local_isn);
  diff("length", spec.len, p->len);
  if ((spec.flags & kTcpAck) && spec.ack) diff("ack", *spec.ack, p->ack - flow.remote_isn);
  if (spec.win) diff("win", *spec.win, p->win);
  if (spec.urg) diff("urg", *spec.urg, p->urg);
  if (!spec.options_any) {
    auto want = ExpectedOptions(spec, flow);
    auto got = p->opts;
    // A TS val is the stack's clock: only its echo (ecr) is checked.
    for (auto* list : {&want, &got})
      for (auto& o : *list)
        if (o.kind == kTcpOptTimestamps && o.v.size() == 2) o.v[0] = 0;
    if (want != got)
      diffs.push_back("options expected " + OptionsText(ExpectedOptions(spec, flow), flow) +
                      " got " + OptionsText(p->opts, flow));
  }
  if (diffs.empty() && !flow.ts_offset) LearnTsOffset(spec, *p, flow);
  std::string out;
  for (const auto& d : diffs) out += (out.empty() ? "" : "; ") + d;
  return out;
}

std::string DescribeOutbound(std::span<const uint8_t> ipv4, const FlowState& flow) {
  auto p = ParseOut(ipv4);
  return p ? Describe(*p, flow) : "(non-TCP packet of " + std::to_string(ipv4.size()) + " bytes)";
}

}  // namespace ustack::scenario
