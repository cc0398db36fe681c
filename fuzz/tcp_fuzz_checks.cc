// tcp_stateful_fuzz invariants, see tcp_fuzz_checks.h.
#include "tcp_fuzz_checks.h"

#include <algorithm>
#include <cstdarg>
#include <cstdlib>
#include <vector>

namespace ustack::fuzz {

void Fail(const char* fmt, ...) {
  std::fprintf(stderr, "tcp_stateful_fuzz: invariant violated: ");
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fprintf(stderr, "\n");
  std::fflush(stderr);
  __builtin_trap();
}

void RangeSet::Add(int64_t lo, int64_t hi) {
  if (lo >= hi) return;
  auto it = ranges_.upper_bound(lo);
  if (it != ranges_.begin() && std::prev(it)->second >= lo) {
    --it;
    lo = it->first;
  }
  while (it != ranges_.end() && it->first <= hi) {
    hi = std::max(hi, it->second);
    it = ranges_.erase(it);
  }
  ranges_[lo] = hi;
}

bool RangeSet::Covers(int64_t lo, int64_t hi) const {
  if (lo >= hi) return true;
  auto it = ranges_.upper_bound(lo);
  if (it == ranges_.begin()) return false;
  --it;
  return it->first <= lo && it->second >= hi;
}

int64_t RangeSet::RunEnd(int64_t from) const {
  auto it = ranges_.upper_bound(from);
  if (it == ranges_.begin()) return from;
  --it;
  return it->second > from ? it->second : from;
}

StepStart Snapshot(const Connection& c) {
  StepStart s{c.state(), c.snd_una(), c.rcv_nxt(), c.events(), c.snd_una() + c.snd_wnd(), {}};
  c.reassembly().Ranges(&s.ooo);
  return s;
}

bool FinReceived(TcpState s) {
  return s == TcpState::kCloseWait || s == TcpState::kLastAck || s == TcpState::kClosing ||
         s == TcpState::kTimeWait;
}

bool TransitionAllowed(TcpState from, TcpState to) {
  using S = TcpState;
  if (from == to || to == S::kClosed) return true;
  switch (from) {
    case S::kEstablished:
      return to == S::kFinWait1 || to == S::kCloseWait;
    case S::kFinWait1:
      return to == S::kFinWait2 || to == S::kClosing || to == S::kTimeWait;
    case S::kFinWait2:
    case S::kClosing:
      return to == S::kTimeWait;
    case S::kCloseWait:
      return to == S::kLastAck;
    default:
      return false;
  }
}

void Checker::SetTuple(Ipv4Addr local, uint16_t lport, Ipv4Addr remote, uint16_t rport) {
  local_ = local;
  lport_ = lport;
  remote_ = remote;
  rport_ = rport;
}

// ---- Outbound segments.

void Checker::OnOutbound(const OutSeg& s, const Connection* held) {
  FUZZ_CHECK(s.src == local_ && s.dst == remote_, "segment between unexpected addresses");
  if (s.tcp.src_port != lport_ || s.tcp.dst_port != rport_ || s.has(kTcpRst)) {
    // Replies to segments for no connection, and resets of this one (RFC 9293 3.10.7.1).
    FUZZ_CHECK(s.has(kTcpRst) || s.tcp.src_port == lport_, "segment to port %u that is not a RST",
               s.tcp.dst_port);
    FUZZ_CHECK(s.payload.empty(), "RST with %zu payload bytes", s.payload.size());
    return;
  }
  FUZZ_CHECK(!s.has(kTcpSyn), "SYN after the handshake (flags 0x%02x)", s.tcp.flags);
  FUZZ_CHECK(s.has(kTcpAck), "segment without ACK after the handshake");
  CheckSequence(s);
  if (held && held->state() != TcpState::kClosed) CheckNewData(s, *held);
  CheckAck(s);
  CheckWindow(s);
  CheckOptions(s, held);
  CheckEcn(s);
  Fold(s);
}

// New data goes only into the window the stack itself has (RFC 9293 3.8.6.2.1): at most
// SND.UNA + SND.WND, or one byte into a zero window (a persist probe, RFC 9293 3.8.6.1).
// The window is the one after the step's input, or before it (timers run first in a poll).
// Retransmissions may lie beyond a window the peer shrank since.
void Checker::CheckNewData(const OutSeg& s, const Connection& c) const {
  const Seq32 seq(s.tcp.seq);
  const uint32_t len = static_cast<uint32_t>(s.payload.size());
  if (len == 0 || seq < seen_.snd_max) return;
  const Seq32 edge = SeqMax(c.snd_una() + c.snd_wnd(), step_edge_);
  FUZZ_CHECK(seq + len <= edge || (len == 1 && seq == edge),
             "new data [%u, %u) beyond the send window's edge %u (SND.WND %u)", s.tcp.seq,
             s.tcp.seq + len, edge.raw(), c.snd_wnd());
}

void Checker::CheckSequence(const OutSeg& s) const {
  const Seq32 seq(s.tcp.seq);
  const int64_t off = Offset(seq, seen_.stream0());
  const int64_t limit = static_cast<int64_t>(app_.written);
  const size_t len = s.payload.size();
  if (len > 0) {
    CheckPayload(s, off);
  } else {
    // Pure ACKs carry SND.NXT, SND.UNA while probing, or SND.UNA - 1 (keepalive).
    FUZZ_CHECK(seq >= seen_.snd_una_floor - 1, "control segment at %u below SND.UNA %u", s.tcp.seq,
               seen_.snd_una_floor.raw());
    FUZZ_CHECK(off <= limit + (app_.shut_wr ? 1 : 0), "control segment at offset %lld past %lld",
               static_cast<long long>(off), static_cast<long long>(limit));
  }
  if (s.has(kTcpFin)) {
    FUZZ_CHECK(app_.shut_wr, "FIN before the application shut down writing");
    FUZZ_CHECK(off + static_cast<int64_t>(len) == limit, "FIN at offset %lld, written %lld",
               static_cast<long long>(off + static_cast<int64_t>(len)),
               static_cast<long long>(limit));
  }
}

void Checker::CheckPayload(const OutSeg& s, int64_t off) const {
  const int64_t len = static_cast<int64_t>(s.payload.size());
  FUZZ_CHECK(off >= 0 && off + len <= static_cast<int64_t>(app_.written),
             "data [%lld, %lld) outside the %llu bytes written", static_cast<long long>(off),
             static_cast<long long>(off + len), static_cast<unsigned long long>(app_.written));
  FUZZ_CHECK(Seq32(s.tcp.seq) >= seen_.snd_una_floor, "data at %u below SND.UNA %u", s.tcp.seq,
             seen_.snd_una_floor.raw());
  for (int64_t i = 0; i < len; ++i) {
    FUZZ_CHECK(s.payload[static_cast<size_t>(i)] == AppByte(static_cast<uint64_t>(off + i)),
               "sent byte at stream offset %lld is not what the application wrote",
               static_cast<long long>(off + i));
  }
  // RFC 9293 3.8.6.1: at most one byte beyond the window (a zero-window probe).
  FUZZ_CHECK(Seq32(s.tcp.seq) + static_cast<uint32_t>(len) <= peer_.max_right + 1,
             "data up to %u beyond the peer's window edge %u",
             s.tcp.seq + static_cast<uint32_t>(len), peer_.max_right.raw());
  // RFC 6691: data plus options within the MSS.
  FUZZ_CHECK(static_cast<size_t>(len) + s.options_len <= seen_.snd_mss,
             "%lld data + %zu option bytes exceed the MSS %u", static_cast<long long>(len),
             s.options_len, seen_.snd_mss);
}

void Checker::CheckAck(const OutSeg& s) const {
  const int64_t a = Offset(Seq32(s.tcp.ack), peer_.stream0());
  const int64_t run = peer_.sent.RunEnd(0);
  // Everything acknowledged was sent by the peer: data up to a gap, plus a FIN right there.
  const bool ok = a >= 0 && (a <= run || (peer_.fins.count(a - 1) && a - 1 <= run));
  FUZZ_CHECK(ok, "ACK of stream offset %lld, but the peer's data runs to %lld",
             static_cast<long long>(a), static_cast<long long>(run));
  if (seen_.acked) {
    FUZZ_CHECK(Seq32(s.tcp.ack) >= seen_.last_ack, "ACK went back from %u to %u",
               seen_.last_ack.raw(), s.tcp.ack);
  }
}

void Checker::CheckWindow(const OutSeg& s) const {
  // RFC 9293 3.8.6.2.2 / RFC 7323 2.3: the right edge of the offered window never recedes.
  const Seq32 right = Seq32(s.tcp.ack) + (uint32_t{s.tcp.window} << seen_.rcv_shift);
  FUZZ_CHECK(right >= seen_.max_adv_right, "window edge receded from %u to %u",
             seen_.max_adv_right.raw(), right.raw());
}

void Checker::CheckOptions(const OutSeg& s, const Connection* held) const {
  const TcpOptions& o = s.tcp.options;
  FUZZ_CHECK(!o.mss && !o.window_scale && !o.sack_permitted, "SYN option on a non-SYN segment");
  if (seen_.ts_ok) {
    // RFC 7323 3.2: every segment carries TSopt once negotiated; TSval is monotone.
    FUZZ_CHECK(o.timestamps.has_value(), "segment without timestamps");
    FUZZ_CHECK(!seen_.ts_seen || static_cast<int32_t>(o.timestamps->value - seen_.last_tsval) >= 0,
               "TSval went back from %u to %u", seen_.last_tsval, o.timestamps->value);
    FUZZ_CHECK(peer_.tsvals.count(o.timestamps->echo) > 0, "TSecr %u echoes no TSval the peer sent",
               o.timestamps->echo);
  } else {
    FUZZ_CHECK(!o.timestamps, "timestamps that were not negotiated");
  }
  FUZZ_CHECK(o.sack_count == 0 || seen_.sack_ok, "SACK blocks that were not negotiated");
  for (size_t i = 0; i < o.sack_count; ++i) {
    if (i == 0 && IsDsack(o, Seq32(s.tcp.ack))) {
      CheckDsack(o.sack[0]);
      continue;
    }
    CheckSack(o.sack[i], Seq32(s.tcp.ack), held);
  }
}

// RFC 2018 4: a SACK block reports out-of-order data the receiver holds: above the ACK,
// within the window, sent by the peer, and in the reassembly queue.
void Checker::CheckSack(const TcpSackBlock& b, Seq32 ack, const Connection* held) const {
  const int64_t lo = Offset(Seq32(b.left), peer_.stream0());
  const int64_t hi = Offset(Seq32(b.right), peer_.stream0());
  FUZZ_CHECK(lo >= 0 && lo < hi && peer_.sent.Covers(lo, hi),
             "SACK block [%lld, %lld) is not data the peer sent", static_cast<long long>(lo),
             static_cast<long long>(hi));
  FUZZ_CHECK(Seq32(b.left) > ack, "SACK block [%lld, %lld) not above the ACK %lld",
             static_cast<long long>(lo), static_cast<long long>(hi),
             static_cast<long long>(Offset(ack, peer_.stream0())));
  FUZZ_CHECK(Seq32(b.right) <= seen_.max_adv_right, "SACK block [%lld, %lld) beyond the window",
             static_cast<long long>(lo), static_cast<long long>(hi));
  if (!held || held->state() == TcpState::kClosed) return;
  std::vector<SeqRange> ranges;
  held->reassembly().Ranges(&ranges);  // held now, or when the step began
  ranges.insert(ranges.end(), step_ooo_.begin(), step_ooo_.end());
  for (const SeqRange& r : ranges) {
    if (Seq32(b.left) >= r.left && Seq32(b.right) <= r.right) return;
  }
  Fail("SACK block [%lld, %lld) is not held out of order (%zu ranges held)",
       static_cast<long long>(lo), static_cast<long long>(hi), ranges.size());
}

// RFC 2883 4: a first block below the cumulative ACK, or inside the second block.
bool Checker::IsDsack(const TcpOptions& o, Seq32 ack) {
  const Seq32 l(o.sack[0].left), r(o.sack[0].right);
  if (r <= ack) return true;
  return o.sack_count > 1 && l >= Seq32(o.sack[1].left) && r <= Seq32(o.sack[1].right);
}

// A D-SACK reports (part of) a segment that arrived, whatever its sequence numbers were.
void Checker::CheckDsack(const TcpSackBlock& b) const {
  const Seq32 l(b.left), r(b.right);
  FUZZ_CHECK(l < r, "empty D-SACK block");
  for (const auto& [lo, hi] : peer_.recent) {
    if (l >= lo && r <= hi) return;
  }
  Fail("D-SACK block [%u, %u) is not part of a recent segment", b.left, b.right);
}

void Checker::CheckEcn(const OutSeg& s) const {
  const uint8_t ect = s.tos & 3;
  if (!seen_.ecn_ok) {
    FUZZ_CHECK(ect == 0 && !s.has(kTcpEce) && !s.has(kTcpCwr), "ECN marks without ECN");
    return;
  }
  // RFC 3168 6.1.4 / 6.1.5: no ECT on pure ACKs or retransmissions.
  if (ect != 0) {
    FUZZ_CHECK(!s.payload.empty(), "ECT on a pure ACK");
    FUZZ_CHECK(Seq32(s.tcp.seq) >= seen_.snd_max, "ECT on a retransmission");
  }
}

void Checker::Fold(const OutSeg& s) {
  const Seq32 end = Seq32(s.tcp.seq) + s.seq_len();
  seen_.snd_max = SeqMax(seen_.snd_max, end);
  seen_.last_ack = seen_.acked ? SeqMax(seen_.last_ack, Seq32(s.tcp.ack)) : Seq32(s.tcp.ack);
  seen_.acked = true;
  const Seq32 right = Seq32(s.tcp.ack) + (uint32_t{s.tcp.window} << seen_.rcv_shift);
  seen_.max_adv_right = SeqMax(seen_.max_adv_right, right);
  if (s.tcp.options.timestamps) {
    seen_.ts_seen = true;
    seen_.last_tsval = s.tcp.options.timestamps->value;
    seen_.last_tsecr = s.tcp.options.timestamps->echo;
  }
}

// ---- Connection state.

void Checker::CheckConnection(const Connection& c, const StepStart& start) const {
  FUZZ_CHECK(TransitionAllowed(start.state, c.state()), "state went from %s to %s",
             TcpStateName(start.state), TcpStateName(c.state()));
  if (c.state() == TcpState::kClosed) return;
  FUZZ_CHECK(c.snd_mss() == seen_.snd_mss, "send MSS changed to %u", c.snd_mss());
  CheckSendSide(c, start);
  CheckReceiveSide(c, start);
  CheckScoreboard(c);
  CheckTimers(c);
  CheckEstimators(c);
}

void Checker::CheckSendSide(const Connection& c, const StepStart& start) const {
  const Seq32 una = c.snd_una();
  FUZZ_CHECK(una <= c.snd_nxt(), "SND.UNA %u after SND.NXT %u", una.raw(), c.snd_nxt().raw());
  FUZZ_CHECK(una >= start.snd_una, "SND.UNA went back");
  FUZZ_CHECK(una <= seen_.snd_max, "SND.UNA %u beyond anything sent (%u)", una.raw(),
             seen_.snd_max.raw());
  const int64_t acked = Offset(una, seen_.stream0());
  const int64_t limit = static_cast<int64_t>(app_.written) + (app_.shut_wr ? 1 : 0);
  FUZZ_CHECK(acked >= 0 && acked <= limit, "acknowledged offset %lld of %lld",
             static_cast<long long>(acked), static_cast<long long>(limit));
  FUZZ_CHECK(Offset(c.snd_nxt(), seen_.stream0()) <= limit, "SND.NXT beyond the written data");
  const TcpState st = c.state();
  if ((st == TcpState::kEstablished || st == TcpState::kCloseWait) && !app_.shut_wr) {
    // The send buffer autosizes (tcp/autosize.h): its capacity now, within the configured range.
    FUZZ_CHECK(c.send_buffer() >= cfg_.send_buffer &&
                   c.send_buffer() <= std::max(cfg_.send_buffer, cfg_.send_buffer_max),
               "send buffer capacity %u outside [%u, %u]", c.send_buffer(), cfg_.send_buffer,
               cfg_.send_buffer_max);
    const int64_t queued = int64_t{c.send_buffer()} - static_cast<int64_t>(c.writable_bytes());
    FUZZ_CHECK(queued == static_cast<int64_t>(app_.written) - acked,
               "send buffer holds %lld bytes; written %llu, acknowledged %lld",
               static_cast<long long>(queued), static_cast<unsigned long long>(app_.written),
               static_cast<long long>(acked));
  }
  FUZZ_CHECK(una + c.snd_wnd() <= peer_.max_right, "send window to %u beyond the peer's %u",
             (una + c.snd_wnd()).raw(), peer_.max_right.raw());
}

void Checker::CheckReceiveSide(const Connection& c, const StepStart& start) const {
  const Seq32 nxt = c.rcv_nxt();
  FUZZ_CHECK(nxt >= start.rcv_nxt, "RCV.NXT went back");
  const bool fin = FinReceived(c.state());
  if (fin && FinReceived(start.state)) FUZZ_CHECK(nxt == start.rcv_nxt, "RCV.NXT moved after FIN");
  const int64_t got = Offset(nxt, peer_.stream0()) - (fin ? 1 : 0);
  FUZZ_CHECK(got >= 0 && got <= peer_.sent.RunEnd(0),
             "RCV.NXT at offset %lld, but the peer's data runs to %lld",
             static_cast<long long>(got), static_cast<long long>(peer_.sent.RunEnd(0)));
  FUZZ_CHECK(!fin || peer_.fins.count(got) > 0, "FIN taken at offset %lld where none was sent",
             static_cast<long long>(got));
  FUZZ_CHECK(static_cast<int64_t>(c.readable_bytes() + app_.read) == got,
             "readable %zu + read %llu != received %lld", c.readable_bytes(),
             static_cast<unsigned long long>(app_.read), static_cast<long long>(got));
  FUZZ_CHECK(Offset(nxt, c.rcv_adv()) <= 1, "RCV.NXT %u beyond the advertised edge %u", nxt.raw(),
             c.rcv_adv().raw());
  // The receive buffer autosizes (tcp/autosize.h) within the configured range.
  FUZZ_CHECK(c.rcv_buf() >= cfg_.receive_buffer &&
                 c.rcv_buf() <= std::max(cfg_.receive_buffer, cfg_.receive_buffer_max),
             "receive buffer %u outside [%u, %u]", c.rcv_buf(), cfg_.receive_buffer,
             cfg_.receive_buffer_max);
  const uint64_t bound = uint64_t{c.rcv_buf()} + (uint64_t{1} << seen_.rcv_shift);
  FUZZ_CHECK(c.readable_bytes() < bound, "%zu readable bytes over a %u byte buffer",
             c.readable_bytes(), c.rcv_buf());
}

void Checker::CheckScoreboard(const Connection& c) const {
  const auto& blocks = c.scoreboard().blocks();
  for (size_t i = 0; i < blocks.size(); ++i) {
    const SeqRange& b = blocks[i];
    FUZZ_CHECK(b.left < b.right && b.left >= c.snd_una() && b.right <= seen_.snd_max,
               "scoreboard block [%u, %u) outside [SND.UNA %u, SND.MAX %u]", b.left.raw(),
               b.right.raw(), c.snd_una().raw(), seen_.snd_max.raw());
    FUZZ_CHECK(i == 0 || b.left > blocks[i - 1].right, "scoreboard blocks unsorted or adjacent");
  }
  FUZZ_CHECK(c.scoreboard().sacked_bytes() <= static_cast<uint32_t>(seen_.snd_max - c.snd_una()),
             "more bytes SACKed than outstanding");
}

void Checker::CheckTimers(const Connection& c) const {
  const TcpState st = c.state();
  const TimerKind k = c.timer_kind();
  if (st == TcpState::kTimeWait) {
    FUZZ_CHECK(k == TimerKind::kTimeWait, "TIME-WAIT without its timer");
    return;
  }
  const bool sending = st == TcpState::kEstablished || st == TcpState::kCloseWait ||
                       st == TcpState::kFinWait1 || st == TcpState::kClosing ||
                       st == TcpState::kLastAck;
  if (!sending) return;
  // Whenever something is owed a timer runs (RFC 6298 5.1, RFC 9293 3.8.6.1), else a lost
  // segment or a closed window stalls the connection for good.
  const bool outstanding = seen_.snd_max > c.snd_una();
  const int64_t limit = static_cast<int64_t>(app_.written) + (app_.shut_wr ? 1 : 0);
  const bool unsent = Offset(c.snd_nxt(), seen_.stream0()) < limit;
  if (outstanding || unsent) {
    FUZZ_CHECK(
        k == TimerKind::kRetransmit || k == TimerKind::kLossProbe || k == TimerKind::kPersist,
        "%s owes %s but no retransmission or persist timer runs", TcpStateName(st),
        outstanding ? "an acknowledgement" : "unsent data");
  }
}

void Checker::CheckEstimators(const Connection& c) const {
  const Duration rto = c.rtt().rto();
  FUZZ_CHECK(rto >= cfg_.rto_min && rto <= cfg_.rto_max, "RTO %lld ms outside its bounds",
             static_cast<long long>(rto.millis()));
  FUZZ_CHECK(c.cc().cwnd() > 0, "congestion window is zero");
}

}  // namespace ustack::fuzz
