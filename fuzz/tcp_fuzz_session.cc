// Session setup, step loop, peer segments and the end, see tcp_fuzz_session.h.
#include "tcp_fuzz_session.h"

#include <rte_mempool.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace ustack::fuzz {
namespace {

constexpr uint16_t kListenPort = 80;
constexpr size_t kHistory = 16;  // injected packets kept for replay
// Segment ranges a D-SACK may report: every one of an input (it waits for the next ACK).
constexpr size_t kRecent = 8192;
constexpr int kMaxSteps = 2000;                  // operations per input
constexpr int kDrainRounds = 400;                // cooperative ACK rounds at the end
constexpr int64_t kSaneSpan = int64_t{1} << 30;  // stream offsets the model tracks
// Enough for every timer an orphaned connection can run: TIME-WAIT and FIN-WAIT-2 (60 s),
// 15 retransmissions or persist probes backed off to at most 60 s each.
constexpr Duration kTeardown = Duration::Seconds(3600);
constexpr uint32_t kFarAway = 0x60000000;  // beyond any receive window

TcpConfig DecodeConfig(FuzzedDataProvider& in) {
  static constexpr uint32_t kBuffers[] = {256 * 1024, 64 * 1024, 16 * 1024, 4096};
  static constexpr TcpEcnMode kEcn[] = {TcpEcnMode::kPassive, TcpEcnMode::kOn, TcpEcnMode::kOff,
                                        TcpEcnMode::kOn};
  TcpConfig c;
  c.send_buffer = kBuffers[in.ConsumeIntegralInRange(0, 3)];
  c.receive_buffer = kBuffers[in.ConsumeIntegralInRange(0, 3)];
  const uint8_t f = in.ConsumeIntegral<uint8_t>();
  c.window_scaling = !(f & 1);
  c.timestamps = !(f & 2);
  c.sack = !(f & 4);
  c.ecn = kEcn[(f >> 3) & 3];
  c.congestion = (f & 0x20) ? TcpCongestionAlgo::kNewReno : TcpCongestionAlgo::kCubic;
  return c;
}

SynOffer DecodeOffer(FuzzedDataProvider& in) {
  SynOffer o;
  const uint8_t f = in.ConsumeIntegral<uint8_t>();
  if (!(f & 1)) {
    const uint16_t mss = in.ConsumeIntegral<uint16_t>();
    o.mss = mss == 0 ? 1460 : mss;
  }
  if (!(f & 2)) o.ws = (7 + in.ConsumeIntegralInRange(0, 15)) % 16;
  o.sack = !(f & 4);
  o.ts = !(f & 8);
  o.ecn = (f & 16) != 0;
  o.window = static_cast<uint16_t>(65535 - in.ConsumeIntegral<uint16_t>());
  return o;
}

TcpOptions SynOptions(const SynOffer& o, uint32_t tsval, uint32_t tsecr) {
  TcpOptions opts;
  opts.mss = o.mss;
  if (o.ws >= 0) opts.window_scale = static_cast<uint8_t>(o.ws);
  opts.sack_permitted = o.sack;
  if (o.ts) opts.timestamps = TcpTimestamps{tsval, tsecr};
  return opts;
}

SynOffer OfferOf(const OutSeg& s) {
  SynOffer o;
  o.mss = s.tcp.options.mss;
  o.ws = s.tcp.options.window_scale ? *s.tcp.options.window_scale : -1;
  o.sack = s.tcp.options.sack_permitted;
  o.ts = s.tcp.options.timestamps.has_value();
  o.ecn = s.has(kTcpEce);
  o.window = s.tcp.window;
  return o;
}

unsigned InUse(rte_mempool* pool) { return rte_mempool_in_use_count(pool); }

}  // namespace

void Session::Run() {
  const unsigned before = InUse(pool_);
  Setup();
  for (int i = 0; i < kMaxSteps && in_.remaining_bytes() > 0; ++i) Step();
  Drain();
  Teardown();
  conn_ = nullptr;
  h_.reset();
  FUZZ_CHECK(InUse(pool_) == before, "%u mbufs in use after the stack is gone, %u before",
             InUse(pool_), before);
}

// ---------------------------------------------------------------------------------------------
// Setup.

void Session::Setup() {
  cfg_ = DecodeConfig(in_);
  h_ = std::make_unique<FuzzNet>(pool_, cfg_);
  baseline_in_use_ = InUse(pool_);
  const bool active = in_.ConsumeBool();
  peer_.offer = DecodeOffer(in_);
  peer_.irs = Seq32(in_.ConsumeIntegral<uint32_t>());
  ts_base_ = in_.ConsumeIntegral<uint32_t>();
  rport_ = in_.ConsumeIntegralInRange<uint16_t>(1024, 65535);
  teardown_ = in_.ConsumeIntegralInRange<uint8_t>(0, 2);
  // RFC 7323 2.2: both SYNs must carry the option; RFC 7323 2.3: shifts above 14 count as 14.
  peer_.shift = cfg_.window_scaling && peer_.offer.ws >= 0 ? std::min(peer_.offer.ws, 14) : 0;
  if (active) {
    OpenActive();
  } else {
    OpenPassive();
  }
  FUZZ_CHECK(conn_ && conn_->state() == TcpState::kEstablished, "handshake did not establish");
  CheckNegotiation();
  StartModels();
}

OutSeg Session::ExpectOne(const char* what) {
  FUZZ_CHECK(h_->output_count() == 1, "%zu packets instead of the %s", h_->output_count(), what);
  return ParseOutbound(h_->PopOutput());
}

void Session::OpenPassive() {
  lport_ = kListenPort;
  auto l = h_->stack().tcp().Listen(Ipv4Addr::Any(), kListenPort, 4, &listen_sink_);
  FUZZ_CHECK(l.ok(), "listen failed");
  SegSpec syn = Sane();
  syn.seq = peer_.irs.raw();
  syn.ack = 0;
  syn.flags = kTcpSyn | (peer_.offer.ecn ? kTcpEce | kTcpCwr : 0);
  syn.window = peer_.offer.window;
  syn.options = SynOptions(peer_.offer, ts_base_, 0);
  Inject(syn);
  const OutSeg synack = ExpectOne("SYN-ACK");
  FUZZ_CHECK(synack.has(kTcpSyn) && synack.has(kTcpAck) && synack.tcp.ack == syn.seq + 1,
             "bad SYN-ACK (flags 0x%02x)", synack.tcp.flags);
  seen_.iss = Seq32(synack.tcp.seq);
  seen_.offer = OfferOf(synack);
  SegSpec ack = Sane();
  ack.seq = syn.seq + 1;
  ack.ack = synack.tcp.seq + 1;
  ack.window = peer_.offer.window;
  if (synack.tcp.options.timestamps) {
    ack.options.timestamps = TcpTimestamps{ts_base_, synack.tcp.options.timestamps->value};
  }
  Inject(ack);
  FUZZ_CHECK(!h_->has_output(), "the handshake's ACK was answered");
  conn_ = static_cast<Connection*>(h_->stack().tcp().Accept(l.value(), &sink_));
  FUZZ_CHECK(conn_ != nullptr, "no connection to accept");
  h_->stack().tcp().CloseListener(l.value(), now());
  peer_.max_ack = seen_.iss + 1;
  peer_.max_wnd = uint32_t{ack.window} << peer_.shift;
  SeenTimestamps(synack);
}

void Session::OpenActive() {
  auto c = h_->stack().tcp().Connect(kLocalIp, 0, kRemoteIp, rport_, &sink_, now());
  FUZZ_CHECK(c.ok(), "connect failed: %d", c.error());
  conn_ = static_cast<Connection*>(c.value());
  lport_ = conn_->local_port();
  h_->Settle();
  const OutSeg syn = ExpectOne("SYN");
  FUZZ_CHECK(syn.has(kTcpSyn) && !syn.has(kTcpAck), "bad SYN (flags 0x%02x)", syn.tcp.flags);
  seen_.iss = Seq32(syn.tcp.seq);
  seen_.offer = OfferOf(syn);
  SegSpec synack = Sane();
  synack.seq = peer_.irs.raw();
  synack.ack = syn.tcp.seq + 1;
  synack.flags = kTcpSyn | kTcpAck | (peer_.offer.ecn ? kTcpEce : 0);
  synack.window = peer_.offer.window;
  const uint32_t echo = syn.tcp.options.timestamps ? syn.tcp.options.timestamps->value : 0;
  synack.options = SynOptions(peer_.offer, ts_base_, echo);
  Inject(synack);
  const OutSeg ack = ExpectOne("handshake ACK");
  FUZZ_CHECK(ack.has(kTcpAck) && !ack.has(kTcpSyn) && ack.tcp.ack == synack.seq + 1 &&
                 ack.tcp.seq == synack.ack,
             "bad handshake ACK");
  peer_.max_ack = seen_.iss + 1;
  peer_.max_wnd = peer_.offer.window;  // RFC 7323 2.2: a SYN's window is not scaled
  SeenTimestamps(ack);
}

// The stack's timestamps on its last handshake segment.
void Session::SeenTimestamps(const OutSeg& s) {
  if (!s.tcp.options.timestamps) return;
  seen_.ts_seen = true;
  seen_.last_tsval = s.tcp.options.timestamps->value;
  seen_.last_tsecr = s.tcp.options.timestamps->echo;
}

void Session::CheckNegotiation() const {
  const Connection& c = *conn_;
  const SynOffer& p = peer_.offer;
  FUZZ_CHECK(c.ts_ok() == (cfg_.timestamps && p.ts), "timestamps negotiated wrongly");
  FUZZ_CHECK(c.sack_ok() == (cfg_.sack && p.sack), "SACK negotiated wrongly");
  FUZZ_CHECK(c.ws_ok() == (cfg_.window_scaling && p.ws >= 0), "window scaling negotiated wrongly");
  FUZZ_CHECK(c.snd_wscale() == peer_.shift, "peer shift %u, expected %u", c.snd_wscale(),
             peer_.shift);
  const bool passive = lport_ == kListenPort;
  const bool ecn =
      passive ? cfg_.ecn != TcpEcnMode::kOff && p.ecn : cfg_.ecn == TcpEcnMode::kOn && p.ecn;
  FUZZ_CHECK(c.ecn_ok() == ecn, "ECN negotiated wrongly");
  // RFC 9293 3.7.1: 536 without the option; the stack refuses less than 64.
  const uint32_t mss = std::min<uint32_t>(std::max<uint32_t>(p.mss.value_or(536), 64), 1460);
  FUZZ_CHECK(c.snd_mss() == mss, "send MSS %u, expected %u", c.snd_mss(), mss);
  if (c.ws_ok()) {
    FUZZ_CHECK(seen_.offer.ws == c.rcv_wscale(), "our shift %u, offered %d", c.rcv_wscale(),
               seen_.offer.ws);
  }
}

void Session::StartModels() {
  const Connection& c = *conn_;
  seen_.ts_ok = c.ts_ok();
  seen_.sack_ok = c.sack_ok();
  seen_.ecn_ok = c.ecn_ok();
  seen_.rcv_shift = c.ws_ok() ? c.rcv_wscale() : 0;
  seen_.snd_mss = c.snd_mss();
  seen_.snd_max = seen_.iss + 1;
  seen_.snd_una_floor = seen_.iss + 1;
  seen_.acked = true;
  seen_.last_ack = peer_.stream0();
  // The SYN or SYN-ACK offered this much (RFC 7323 2.2: unscaled).
  seen_.max_adv_right = peer_.stream0() + seen_.offer.window;
  peer_.nxt = peer_.stream0();
  peer_.wl1 = peer_.stream0();
  peer_.max_right = peer_.max_ack + peer_.max_wnd;
  peer_.window = peer_.offer.window;
  checker_.SetTuple(kLocalIp, lport_, kRemoteIp, rport_);
  checker_.BeginStep(Snapshot(*conn_));
}

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Steps.

// With TCP_FUZZ_TRACE set in the environment, one line per step and per segment on stderr
// (for replays). Sequence numbers are relative to the ISNs.
bool TraceOn() {
  static const bool on = std::getenv("TCP_FUZZ_TRACE") != nullptr;
  return on;
}

void Session::TraceSegment(const char* dir, const TcpRepr& t, uint32_t len) const {
  if (!TraceOn()) return;
  const bool in = dir[0] == 'i';
  const Seq32 seq0 = in ? peer_.irs : seen_.iss;
  const Seq32 ack0 = in ? seen_.iss : peer_.irs;
  std::fprintf(stderr, "    %-3s flags=%02x seq=%lld ack=%lld len=%u win=%u", dir, t.flags,
               static_cast<long long>(Offset(Seq32(t.seq), seq0)),
               static_cast<long long>(Offset(Seq32(t.ack), ack0)), len, t.window);
  if (t.options.timestamps) {
    std::fprintf(stderr, " ts=%u/%u", t.options.timestamps->value, t.options.timestamps->echo);
  }
  for (size_t i = 0; i < t.options.sack_count; ++i) {
    std::fprintf(stderr, " sack=[%lld,%lld)",
                 static_cast<long long>(Offset(Seq32(t.options.sack[i].left), ack0)),
                 static_cast<long long>(Offset(Seq32(t.options.sack[i].right), ack0)));
  }
  std::fprintf(stderr, "\n");
}

void Session::Trace(Op op) const {
  if (!TraceOn()) return;
  static constexpr const char* kNames[] = {"segment",  "data",    "ack",   "fin",
                                           "replay",   "advance", "write", "read",
                                           "shutdown", "setopt",  "close", "abort"};
  std::fprintf(stderr, "t=%lldms %-8s", static_cast<long long>(h_->elapsed_ms()),
               kNames[static_cast<int>(op)]);
  if (conn_) {
    std::fprintf(stderr, " %s una=+%lld nxt=+%lld rcv=+%lld wnd=%u", TcpStateName(conn_->state()),
                 static_cast<long long>(Offset(conn_->snd_una(), seen_.stream0())),
                 static_cast<long long>(Offset(conn_->snd_nxt(), seen_.stream0())),
                 static_cast<long long>(Offset(conn_->rcv_nxt(), peer_.stream0())),
                 conn_->snd_wnd());
  }
  std::fprintf(stderr, " written=%llu read=%llu\n", static_cast<unsigned long long>(app_.written),
               static_cast<unsigned long long>(app_.read));
}

// Readiness that appeared during input or timer processing must have been reported to the
// socket layer (edge-triggered epoll depends on it).
void Session::CheckEvents(const StepStart& start, uint64_t notes) const {
  const uint32_t fresh = conn_->events() & ~start.events;
  if (fresh == 0) return;
  FUZZ_CHECK(sink_.count > notes && (fresh & ~sink_.last) == 0,
             "readiness 0x%x appeared without a notification", fresh);
}

// ---------------------------------------------------------------------------------------------
// Segments from the peer.

// The peer's timestamp clock; never behind the TS.Recent the stack last echoed, so that sane
// segments pass PAWS (RFC 7323 5.3) even after wild TSvals.
uint32_t Session::PeerTsNow() const {
  const uint32_t t = ts_base_ + static_cast<uint32_t>(h_->elapsed_ms());
  if (seen_.ts_seen && static_cast<int32_t>(t - seen_.last_tsecr) < 0) return seen_.last_tsecr;
  return t;
}

// In-order, acknowledging everything sent, with the current window and timestamps.
SegSpec Session::Sane() const {
  SegSpec s;
  s.src = kRemoteIp;
  s.dst = kLocalIp;
  s.sport = rport_;
  s.dport = lport_;
  s.seq = peer_.nxt.raw();
  s.ack = seen_.snd_max.raw();
  s.flags = kTcpAck;
  s.window = peer_.window;
  if (seen_.ts_ok) s.options.timestamps = TcpTimestamps{PeerTsNow(), seen_.last_tsval};
  return s;
}

void Session::Inject(const SegSpec& s) {
  TcpRepr t;
  t.seq = s.seq;
  t.ack = s.ack;
  t.flags = s.flags;
  t.window = s.window;
  t.options = s.options;
  TraceSegment(s.corrupt == Corruption::kNone ? "in" : "in*", t, s.payload_len);
  RecordSent(s);
  h_->Inject(BuildSegment(s));
  if ((s.flags & kTcpAck) && s.corrupt != Corruption::kOtherPort) RecordWindow(s);
  history_.push_back(s);
  if (history_.size() > kHistory) history_.pop_front();
}

// Folds a segment into the peer model before the stack sees it, over-approximating what the
// stack may take from it (a damaged segment still counts as sent).
void Session::RecordSent(const SegSpec& s) {
  if (s.corrupt == Corruption::kOtherPort) return;
  TcpOptions opts = s.options;
  if (!s.raw_options.empty() && !ParseTcpOptions(s.raw_options, &opts)) opts = TcpOptions{};
  if (opts.timestamps) peer_.tsvals.insert(opts.timestamps->value);
  const uint32_t seg_len =
      s.payload_len + ((s.flags & kTcpSyn) ? 1 : 0) + ((s.flags & kTcpFin) ? 1 : 0);
  peer_.recent.emplace_back(Seq32(s.seq), Seq32(s.seq) + seg_len);
  if (peer_.recent.size() > kRecent) peer_.recent.pop_front();
  const int64_t off = Offset(Seq32(s.data_seq()), peer_.stream0());
  const int64_t end = off + s.payload_len;
  if (end > 0 && end < kSaneSpan) {
    peer_.sent.Add(std::max<int64_t>(off, 0), end);
    if (s.flags & kTcpFin) peer_.fins.insert(end);
    const Seq32 next = Seq32(s.data_seq()) + s.payload_len + ((s.flags & kTcpFin) ? 1 : 0);
    peer_.nxt = SeqMax(peer_.nxt, next);
  } else if (end == 0 && (s.flags & kTcpFin)) {
    peer_.fins.insert(0);
    peer_.nxt = SeqMax(peer_.nxt, peer_.stream0() + 1);
  }
  if (s.flags & kTcpAck) RecordWl1(s);
}

// RFC 9293 3.10.7.4 (SND.WL1): the segment is in the window, so it may update the send
// window. Judged before the stack sees the segment.
void Session::RecordWl1(const SegSpec& s) {
  if (conn_ && Seq32(s.seq) >= conn_->rcv_nxt() && Seq32(s.seq) <= conn_->rcv_adv()) {
    peer_.wl1 = SeqMax(peer_.wl1, Seq32(s.seq));
  }
}

// The window the stack may take from the ACK (RFC 9293 3.10.7.4: SND.UNA =< SEG.ACK =<
// SND.NXT). Judged after the stack saw it: timers that ran first in the same poll (a loss
// probe) may have sent what the ACK acknowledges.
void Session::RecordWindow(const SegSpec& s) {
  Seq32 snd_max = seen_.snd_max;
  for (size_t i = 0; i < h_->output_count(); ++i) {
    const OutSeg o = ParseOutbound(h_->output(i));
    if (o.tcp.dst_port == rport_ && !o.has(kTcpRst)) {
      snd_max = SeqMax(snd_max, Seq32(o.tcp.seq) + o.seq_len());
    }
  }
  const Seq32 ack(s.ack);
  if (ack < seen_.snd_una_floor || ack > snd_max) return;
  peer_.max_ack = SeqMax(peer_.max_ack, ack);
  peer_.max_wnd = std::max(peer_.max_wnd, uint32_t{s.window} << peer_.shift);
  peer_.max_right = SeqMax(peer_.max_right, peer_.max_ack + peer_.max_wnd);
}

void Session::Collect() {
  while (h_->has_output()) {
    const OutSeg s = ParseOutbound(h_->PopOutput());
    TraceSegment("out", s.tcp, static_cast<uint32_t>(s.payload.size()));
    checker_.OnOutbound(s, conn_);
  }
}

// ---------------------------------------------------------------------------------------------
// The end: deliver everything, close, let every timer run out.

// Is the connection still sending, with data or a FIN unacknowledged?
bool Session::Owed() const {
  const TcpState st = conn_->state();
  const bool sending = st == TcpState::kEstablished || st == TcpState::kCloseWait ||
                       st == TcpState::kFinWait1 || st == TcpState::kClosing ||
                       st == TcpState::kLastAck;
  const int64_t limit = static_cast<int64_t>(app_.written) + (app_.shut_wr ? 1 : 0);
  return sending && Offset(conn_->snd_una(), seen_.stream0()) < limit;
}

void Session::ReadAll() {
  while (conn_ && conn_->readable_bytes() > 0 && !app_.shut_rd) ReadChecked(kMaxIo);
}

// An out-of-window segment makes the stack ACK at once (RFC 9293 3.10.7.4), echoing its
// TS.Recent, which the drain's segments then use as their TSval.
void Session::ElicitAck() {
  SegSpec s = Sane();
  s.seq = (conn_->rcv_nxt() + kFarAway).raw();
  Inject(s);
  Collect();
}

void Session::Drain() {
  if (!conn_) return;
  checker_.BeginStep(Snapshot(*conn_));
  conn_->SetCork(false);
  ReadAll();
  h_->Settle();
  Collect();
  if (!Owed()) return;
  ElicitAck();
  peer_.window = 65535;
  for (int i = 0; i < kDrainRounds && conn_ && Owed(); ++i) {
    const StepStart start = Snapshot(*conn_);
    seen_.snd_una_floor = conn_->snd_una();
    checker_.BeginStep(start);
    SegSpec s = Sane();
    // Newest in the window update rule, so the open window is taken (RFC 9293 3.10.7.4).
    s.seq = SeqMax(conn_->rcv_nxt(), peer_.wl1).raw();
    const Seq32 before = seen_.snd_max;
    Inject(s);
    Collect();
    if (seen_.snd_max == before) {
      h_->StepTowards(now() + Duration::Seconds(120));
      Collect();
    }
    ReadAll();
    checker_.CheckConnection(*conn_, start);
  }
  FUZZ_CHECK(!Owed(), "%s stalled: SND.UNA %u, %llu bytes written, window %u, cwnd %u",
             TcpStateName(conn_->state()), conn_->snd_una().raw(),
             static_cast<unsigned long long>(app_.written), conn_->snd_wnd(), conn_->cc().cwnd());
}

// The peer acknowledges everything and sends its FIN at the stack's RCV.NXT.
void Session::PeerCloses() {
  SegSpec s = Sane();
  s.seq = seen_.last_ack.raw();
  s.flags |= kTcpFin;
  Inject(s);
  Collect();
}

void Session::Teardown() {
  if (conn_) OpClose(teardown_ == 2);
  h_->Settle();
  Collect();
  if (teardown_ == 0) PeerCloses();
  const Instant until = now() + kTeardown;
  while (h_->stack().tcp().connection_count() > 0 && h_->StepTowards(until)) Collect();
  FUZZ_CHECK(h_->stack().tcp().connection_count() == 0, "%zu connections left an hour after close",
             h_->stack().tcp().connection_count());
  ReleaseLent();  // chunks may outlive their connection
  FUZZ_CHECK(InUse(pool_) == baseline_in_use_, "%u mbufs in use after teardown, %u before",
             InUse(pool_), baseline_in_use_);
}

}  // namespace ustack::fuzz
