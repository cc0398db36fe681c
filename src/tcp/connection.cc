// Connection: the user calls (RFC 9293 3.10.1-3.10.6), opens, state changes and teardown.
// Segment arrival is in input.cc, output in output.cc, timers in timers.cc.
#include "tcp/connection.h"

#include <algorithm>
#include <cerrno>

#include "tcp/engine.h"
#include "tcp/listener.h"

namespace ustack {
namespace {
// Smallest bound on held out-of-order segments (see OooSegmentLimit).
constexpr size_t kMaxOooSegments = 256;
// Timer wheel granularity (G of RFC 6298 2.3).
constexpr Duration kClockGranularity = Duration::Millis(1);
}  // namespace

Connection::Connection(TcpEngine& engine, const FourTuple& tuple, EventSink* sink,
                       const TcpSockSettings& settings, Instant now)
    : engine_(engine),
      tuple_(tuple),
      sink_(sink),
      rcv_buf_(InitialReceiveBuffer(engine.config(), settings)),
      rcv_buf_locked_(settings.rcvbuf != 0),
      snd_buf_locked_(settings.sndbuf != 0),
      snd_buf_(InitialSendBuffer(engine.config(), settings), engine.config().zero_copy_attach,
               &engine.blocks()),
      rcv_q_(&engine.blocks()),
      ooo_(kMaxOooSegments),
      main_timer_(&Connection::MainTimerFired, this),
      delack_timer_(&Connection::DelackTimerFired, this),
      rtt_(engine.config().rto_initial, engine.config().rto_min, engine.config().rto_max,
           kClockGranularity),
      cc_(engine.config().congestion, 536),
      sent_log_(&engine.blocks()),
      keepalive_timer_(&Connection::KeepaliveTimerFired, this) {
  our_mss_ = ClampMss(engine.MssFor(tuple.remote), settings);  // TCP_MAXSEG
  snd_mss_ = std::min<uint16_t>(536, our_mss_);
  rcv_mss_ = snd_mss_;
  // RFC 9293 3.4.1 / RFC 6528: clock-driven ISN plus a keyed hash of the 4-tuple.
  iss_ = engine.isn().Generate(tuple, now);
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  // RFC 7323 2.3: our shift comes from the largest receive buffer this connection may grow
  // to, since the shift is fixed at the SYN (offered only when enabled).
  const uint32_t rcv_max = MaxReceiveBuffer(engine.config(), settings);
  rcv_wscale_ = engine.config().window_scaling ? WindowShiftFor(rcv_max) : 0;
  // RFC 7323 7.1: a keyed, per-address-pair offset for the timestamp clock.
  ts_offset_ = engine.isn().TsOffset(tuple);
  last_recv_ = last_data_recv_ = last_data_sent_ = last_ack_recv_ = una_since_ = now;
}

Connection::~Connection() { CancelTimers(); }

void Connection::CancelTimers() {
  engine_.timers().Cancel(&main_timer_);
  engine_.timers().Cancel(&delack_timer_);
  engine_.timers().Cancel(&keepalive_timer_);
  timer_kind_ = TimerKind::kNone;
}

// RFC 9293 3.10.1: active OPEN sends <SEQ=ISS><CTL=SYN> and enters SYN-SENT.
void Connection::ActiveOpen(Instant now) {
  SetState(TcpState::kSynSent);
  SendSyn(now);
}

// RFC 9293 3.10.7.2: a SYN to a LISTEN endpoint: RCV.NXT = SEG.SEQ+1, IRS = SEG.SEQ, send
// <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and enter SYN-RECEIVED. Data on the SYN is not kept
// (the peer retransmits it).
void Connection::PassiveOpen(const Segment& syn, Instant now) {
  irs_ = syn.seq;
  rcv_nxt_ = syn.seq + 1;
  rcv_adv_ = rcv_nxt_;
  ApplySynOptions(syn, now);
  SetState(TcpState::kSynReceived);
  SendSyn(now);
}

// RFC 4987 3.6: the TCB is rebuilt from the cookie ACK: ISS = SEG.ACK - 1, IRS = SEG.SEQ - 1,
// the MSS from the cookie, window scaling and SACK from the echoed TSval bits.
void Connection::CookieOpen(const Segment& ack, uint16_t mss, bool ts, const CookieOptions& o,
                            Instant now) {
  const TcpConfig& cfg = engine_.config();
  iss_ = ack.ack - 1;
  snd_una_ = snd_nxt_ = snd_max_ = ack.ack;
  irs_ = ack.seq - 1;
  rcv_nxt_ = last_ack_sent_ = ack.seq;
  snd_mss_ = std::min(mss, our_mss_);
  ws_ok_ = cfg.window_scaling && o.wscale_ok;
  snd_wscale_ = ws_ok_ ? o.wscale : 0;
  if (!ws_ok_) rcv_wscale_ = 0;
  ts_ok_ = ts;
  if (ts) {
    ts_recent_ = ack.options.timestamps->value;
    ts_recent_at_ = now;
    ts_last_ = ack.options.timestamps->echo;  // TsNow continues from the SYN-ACK's TSval
    ts_started_ = true;
  }
  sack_ok_ = cfg.sack && o.sack_ok;
  cc_->SetMss(MaxPayload());
  rcv_adv_ = rcv_nxt_ + std::min<uint32_t>(ReceiveSpace(), 65535);  // the SYN-ACK's offer
  snd_wnd_ = PeerWindow(ack);
  max_snd_wnd_ = snd_wnd_;
  snd_wl1_ = ack.seq;
  snd_wl2_ = ack.ack;
  OnEstablished(now);
}

void Connection::SetState(TcpState s) {
  state_ = s;
  Notify();
}

void Connection::OnEstablished(Instant now) {
  SetState(TcpState::kEstablished);
  retries_ = 0;
  // RFC 6298 5.7: a SYN that timed out leaves the data RTO at 3 s at least.
  if (syn_retransmitted_) rtt_.ResetAfterSynTimeout();
  if (listener_) listener_->MoveToAcceptQueue(this);
  last_recv_ = now;
  rcv_auto_.Start(CopiedSeq(), now);  // receive autosizing measures from here
  if (keepalive_) ArmKeepalive(now);
  if (fin_queued_) {  // close or shutdown while the handshake ran (RFC 9293 3.10.4)
    SetState(TcpState::kFinWait1);
    engine_.ScheduleFlush(this);
  }
}

void Connection::EnterClosed(int error) {
  SetState(TcpState::kClosed);
  CancelTimers();
  snd_buf_.Clear();
  ooo_.Clear();
  flush_node_.Unlink();
  if (error != 0) {
    pending_error_ = error;
    write_error_ = true;
    rcv_q_.Clear();  // RFC 9293 3.10.7.4: on reset all segment queues are flushed
  }
  engine_.Unhash(this);
  if (listener_) {
    listener_->Remove(this);
    listener_ = nullptr;
  }
  if (!user_holds_) engine_.Retire(this);
}

void Connection::EnterTimeWait(Instant now) {
  SetState(TcpState::kTimeWait);
  engine_.timers().Cancel(&delack_timer_);
  // RFC 9293 3.10.7.4: TIME-WAIT lasts 2 MSL.
  ArmTimer(TimerKind::kTimeWait, engine_.config().time_wait, now);
}

void Connection::QueueFin() {
  if (fin_queued_) return;
  fin_queued_ = true;
  fin_seq_ = (SynAcked() ? snd_una_ : iss_ + 1) + snd_buf_.size();
}

void Connection::DeliverEvents() {
  if (!notify_) return;
  notify_ = false;
  if (sink_) sink_->OnEvents(events());
}

Result<size_t> Connection::Send(std::span<const uint8_t> data, Instant now) {
  if (pending_error_ != 0) return Error{TakeError()};
  if (write_error_ || fin_queued_) return Error{EPIPE};
  if (state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived) return Error{ENOTCONN};
  if (state_ != TcpState::kEstablished && state_ != TcpState::kCloseWait) return Error{EPIPE};
  if (data.empty()) return size_t{0};
  const size_t n = snd_buf_.Append(data);
  if (n == 0) return Error{EAGAIN};
  engine_.ScheduleFlush(this);  // RFC 9293 3.10.2: segmentized and sent by Flush
  engine_.OutputEarly(this, now);
  return n;
}

Result<size_t> Connection::SendRefs(std::span<const Packet> bufs, size_t offset, size_t len,
                                    Instant now) {
  // An empty Send reports the same errors for the connection's state, or 0.
  if (auto r = Send({}, now); !r || len == 0) return r;
  size_t taken = 0;
  for (const Packet& b : bufs) {
    if (taken == len) break;
    const size_t have = b.head().size();
    if (offset >= have) {
      offset -= have;
      continue;
    }
    const auto want = static_cast<uint32_t>(std::min(have - offset, len - taken));
    const uint32_t got = snd_buf_.AppendRef(b, static_cast<uint32_t>(offset), want);
    taken += got;
    offset = 0;
    if (got < want) break;  // the send buffer is full
  }
  if (taken == 0) return Error{EAGAIN};
  engine_.ScheduleFlush(this);  // RFC 9293 3.10.2: segmentized and sent by Flush
  engine_.OutputEarly(this, now);
  return taken;
}

Result<size_t> Connection::Recv(std::span<uint8_t> out, Instant now) {
  if (!rcv_q_.empty() && !read_shutdown_) {
    const size_t n = rcv_q_.Read(out);
    RcvSpaceAdjust(now);  // receive-buffer autosizing (buffers.cc)
    MaybeWindowUpdate();
    return n;
  }
  if (pending_error_ != 0 && !fin_received_) return Error{TakeError()};  // after FIN: EOF
  if (read_shutdown_ || ReceiveClosed()) return size_t{0};               // end of stream
  return Error{EAGAIN};
}

Result<size_t> Connection::Peek(std::span<uint8_t> out) {
  if (!rcv_q_.empty() && !read_shutdown_) return rcv_q_.Peek(out);
  if (pending_error_ != 0 && !fin_received_) return Error{TakeError()};  // after FIN: EOF
  if (read_shutdown_ || ReceiveClosed()) return size_t{0};
  return Error{EAGAIN};
}

Result<size_t> Connection::RecvChunks(std::vector<RecvChunk>* out, size_t max_chunks) {
  if (!rcv_q_.empty() && !read_shutdown_) {
    size_t n = 0;
    RecvChunk c;
    while (max_chunks-- > 0 && rcv_q_.PopChunk(&c)) {
      n += c.len;
      out->push_back(std::move(c));
    }
    MaybeWindowUpdate();  // the lent bytes no longer count against the window
    return n;
  }
  if (pending_error_ != 0 && !fin_received_) return Error{TakeError()};  // after FIN: EOF
  if (read_shutdown_ || ReceiveClosed()) return size_t{0};
  return Error{EAGAIN};
}

size_t Connection::writable_bytes() const {
  const bool open = state_ == TcpState::kEstablished || state_ == TcpState::kCloseWait;
  return open && !fin_queued_ && !write_error_ ? snd_buf_.free_space() : 0;
}

uint32_t Connection::events() const {
  uint32_t ev = 0;
  const bool rcv_shut = ReceiveClosed() || read_shutdown_;
  const bool snd_shut = fin_queued_ || write_error_ || state_ == TcpState::kClosed;
  if (rcv_q_.size() > 0 || rcv_shut) ev |= kEventIn;
  if (rcv_shut) ev |= kEventRdHup;
  if (pending_error_ != 0) ev |= kEventErr;
  if (writable_bytes() > 0) ev |= kEventOut;
  // Like Linux: once sending is shut, report writable so writers see EPIPE at once.
  const bool connecting = state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived;
  if (snd_shut && !connecting) ev |= kEventOut;
  if ((rcv_shut && snd_shut) || state_ == TcpState::kClosed) ev |= kEventHup;
  return ev;
}

int Connection::TakeError() {
  const int e = pending_error_;
  pending_error_ = 0;
  return e;
}

void Connection::set_nodelay(bool on) {
  nodelay_ = on;
  if (on && !snd_buf_.empty()) engine_.ScheduleFlush(this);
}

// RFC 9293 3.10.4 (CLOSE) semantics for the sending half; reading is local state only.
void Connection::Shutdown(bool read, bool write, Instant now) {
  (void)now;
  if (read) read_shutdown_ = true;
  if (!write || fin_queued_ || write_error_) return;
  switch (state_) {
    case TcpState::kEstablished:  // RFC 9293 3.10.4: queue FIN, enter FIN-WAIT-1
      QueueFin();
      SetState(TcpState::kFinWait1);
      engine_.ScheduleFlush(this);
      break;
    case TcpState::kCloseWait:  // RFC 9293 3.10.4: queue FIN, enter LAST-ACK
      QueueFin();
      SetState(TcpState::kLastAck);
      engine_.ScheduleFlush(this);
      break;
    case TcpState::kSynSent:
    case TcpState::kSynReceived:  // RFC 9293 3.10.4: FIN after entering ESTABLISHED
      QueueFin();
      break;
    default:
      break;
  }
}

void Connection::Close(Instant now) {
  if (!user_holds_) return;
  user_holds_ = false;
  sink_ = nullptr;
  switch (state_) {
    case TcpState::kClosed:
      engine_.Retire(this);
      return;
    case TcpState::kSynSent:  // RFC 9293 3.10.4: CLOSE in SYN-SENT deletes the TCB
      EnterClosed(0);
      return;
    default:
      break;
  }
  // SO_LINGER with a zero timeout: abort (RFC 9293 3.10.5) instead of an orderly close.
  if (linger_zero_) {
    ResetAndClose(now);
    return;
  }
  // RFC 9293 3.10.4 / RFC 2525 2.17: closing with unread data resets the connection.
  if (!rcv_q_.empty()) {
    ResetAndClose(now);
    return;
  }
  Shutdown(false, true, now);
  // An orphaned FIN-WAIT-2 must not wait for the peer forever.
  if (state_ == TcpState::kFinWait2)
    ArmTimer(TimerKind::kFinWait2, engine_.config().time_wait, now);
}

void Connection::Abort(Instant now) {
  user_holds_ = false;
  sink_ = nullptr;
  ResetAndClose(now);
}

// RFC 9293 3.10.5 ABORT: synchronized states send <SEQ=SND.NXT><CTL=RST>; all delete the TCB.
void Connection::ResetAndClose(Instant now) {
  switch (state_) {
    case TcpState::kEstablished:
    case TcpState::kCloseWait:
      ++engine_.stats().established_resets;
      [[fallthrough]];
    case TcpState::kSynReceived:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      SendRst(ControlSeq(), now);
      break;
    default:
      break;
  }
  rcv_q_.Clear();
  EnterClosed(0);
  if (user_holds_) {
    pending_error_ = ECONNRESET;
    write_error_ = true;
  }
}

}  // namespace ustack
