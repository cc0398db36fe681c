// Connection timers. One shared timer per connection runs the retransmission timeout
// (RFC 6298), the persist timer (RFC 9293 3.8.6.1), TIME-WAIT (2 MSL) or the orphaned
// FIN-WAIT-2 limit, as timer_kind_ says; a second one runs the delayed ACK
// (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2); a third one runs keepalive (RFC 9293 3.8.4,
// RFC 1122 4.2.3.6). TCP_USER_TIMEOUT (RFC 5482) is checked when retransmissions or persist
// probes fire. Callbacks reap retired connections before returning.
#include <algorithm>
#include <cerrno>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {
namespace {

// RFC 9293 3.8.3: R1 SHOULD correspond to at least 3 retransmissions (Linux's tcp_retries1).
constexpr int kRetriesR1 = 3;

}  // namespace

void Connection::ArmTimer(TimerKind kind, Duration after, Instant now) {
  timer_kind_ = kind;
  Instant at = now + after;
  // RFC 5482 / as Linux: a retransmission or probe never waits past the user timeout, so
  // the abort comes when the limit is reached, not at the next backed-off timeout.
  const bool user_limited = kind != TimerKind::kTimeWait && kind != TimerKind::kFinWait2;
  if (user_limited && user_timeout_.nanos() > 0 && snd_max_ != snd_una_) {
    at = std::max(now, std::min(at, una_since_ + user_timeout_));
  }
  engine_.timers().Arm(&main_timer_, at);
}

void Connection::StopTimer(TimerKind kind) {
  if (timer_kind_ != kind) return;
  engine_.timers().Cancel(&main_timer_);
  timer_kind_ = TimerKind::kNone;
}

void Connection::MainTimerFired(void* ctx, Instant now) {
  auto* c = static_cast<Connection*>(ctx);
  TcpEngine& engine = c->engine_;
  const TimerKind kind = c->timer_kind_;
  c->timer_kind_ = TimerKind::kNone;
  switch (kind) {
    case TimerKind::kRetransmit:
      c->OnRetransmitTimeout(now);
      break;
    case TimerKind::kLossProbe:
      c->OnLossProbe(now);
      break;
    case TimerKind::kReorder:
      c->OnReorderTimeout(now);
      break;
    case TimerKind::kPersist:
      c->OnPersistTimeout(now);
      break;
    case TimerKind::kTimeWait:  // RFC 9293 3.10.8: TIME-WAIT timeout deletes the TCB
    case TimerKind::kFinWait2:  // an orphaned FIN-WAIT-2 gives up on the peer's FIN
      c->EnterClosed(0);
      break;
    case TimerKind::kNone:
      break;
  }
  c->DeliverEvents();
  engine.Reap();
}

void Connection::DelackTimerFired(void* ctx, Instant now) {
  auto* c = static_cast<Connection*>(ctx);
  if (!c->ack_pending_) return;
  c->ack_now_ = true;
  c->SendAck(now);
}

// RFC 9293 3.8.6.3 / RFC 1122 4.2.3.2: delay ACKs (under 0.5 s), but ACK at least every
// second full-size segment. The ACK itself leaves at the next Flush.
void Connection::ScheduleAck(uint32_t bytes, Instant now) {
  ack_pending_ = true;
  unacked_bytes_ += bytes;
  if (quick_acks_ > 0) {
    --quick_acks_;
    ack_now_ = true;
  } else if (unacked_bytes_ >= 2 * rcv_mss_) {
    ack_now_ = true;
  } else if (!delack_timer_.armed()) {
    engine_.timers().Arm(&delack_timer_, now + engine_.config().delayed_ack);
  }
  if (ack_now_) engine_.ScheduleFlush(this);
}

// RFC 6298 5.4-5.7 and RFC 9293 3.8.3 (R2): retransmit the earliest unacknowledged
// segment, back off, and give up after syn_retries / max_retries with ETIMEDOUT.
void Connection::OnRetransmitTimeout(Instant now) {
  const TcpConfig& cfg = engine_.config();
  ++engine_.stats().rto_expired;
  const bool syn = state_ == TcpState::kSynSent || state_ == TcpState::kSynReceived;
  if (++retries_ > (syn ? cfg.syn_retries : cfg.max_retries) || UserTimedOut(now)) {
    if (UserTimedOut(now)) ++engine_.stats().user_timeouts;
    ++engine_.stats().connections_aborted;
    EnterClosed(soft_error_ != 0 ? soft_error_ : ETIMEDOUT);  // RFC 1122 4.2.3.9
    return;
  }
  // RFC 9293 3.8.3 (MUST-20): from R1 retransmissions of the same segment on, pass negative
  // advice to IP (a stale or wrong link address of the next hop gets asked for again).
  if (retries_ >= kRetriesR1) engine_.ip().AdviseDeliveryProblem(tuple_.remote, now);
  rtt_.Backoff();                            // RFC 6298 5.5
  rtt_timing_ = false;                       // Karn: nothing retransmitted is timed
  if (!syn && retries_ == 1) SaveUndo(now);  // RFC 3522: an RTO may be spurious too
  cc_->OnRetransmitTimeout(static_cast<uint32_t>(snd_max_ - snd_una_), now);
  // RFC 6582 4.1 / RFC 6675 5.1: the timeout ends any recovery; "recover" = highest sent,
  // and the SACK scoreboard is dropped (the receiver may have reneged, RFC 2018 8).
  in_recovery_ = false;
  tlp_in_flight_ = false;  // RFC 8985 7: an RTO ends the probe's episode
  dup_acks_ = 0;
  recover_ = snd_max_;
  recover_valid_ = true;
  sack_board_.Clear();
  sent_log_.ClearMarks();
  high_rxt_ = snd_una_;
  if (syn) {
    syn_retransmitted_ = true;
    SendSyn(now);  // RFC 6298 5.4 for the SYN (or SYN-ACK)
    return;
  }
  snd_nxt_ = snd_una_;  // RFC 6298 5.4: resend from the first unacknowledged byte
  Output(now);          // cwnd is one segment now: go-back-N as ACKs return
}

// RFC 9293 3.8.6.1: probe a zero window with one byte (or, under SWS avoidance, send what
// the window takes), backing off; the connection stays open as long as probes are answered.
void Connection::OnPersistTimeout(Instant now) {
  if (++probes_unanswered_ > engine_.config().max_retries || UserTimedOut(now)) {
    ++engine_.stats().connections_aborted;
    EnterClosed(ETIMEDOUT);
    return;
  }
  if (snd_wnd_ == 0) snd_nxt_ = snd_una_;  // the probe is always the byte at SND.UNA
  SendNext(true, now);
  persist_shift_ = std::min(persist_shift_ + 1, 16);
  if (snd_wnd_ == 0) {
    ArmTimer(TimerKind::kPersist, PersistInterval(), now);  // probes are not timed out
  } else {
    EnsureTimer(now);
  }
}

// RFC 9293 3.8.6.1: the persist interval backs off exponentially like the RTO.
Duration Connection::PersistInterval() const {
  const TcpConfig& cfg = engine_.config();
  Duration d = std::max(rtt_.base_rto(), cfg.rto_min);
  for (int i = 0; i < persist_shift_ && d < cfg.rto_max; ++i) d = d * 2;
  return std::min(d, cfg.rto_max);
}

// RFC 5482 / RFC 9293 3.8.3: data unacknowledged for longer than the user timeout.
bool Connection::UserTimedOut(Instant now) const {
  return user_timeout_.nanos() > 0 && snd_max_ != snd_una_ && now - una_since_ >= user_timeout_;
}

void Connection::SetKeepalive(bool on, Duration idle, Duration intvl, int cnt, Instant now) {
  keepalive_ = on;
  if (idle.nanos() > 0) ka_idle_ = idle;
  if (intvl.nanos() > 0) ka_intvl_ = intvl;
  if (cnt > 0) ka_cnt_ = cnt;
  ka_probes_ = 0;
  if (on) {
    ArmKeepalive(now);
  } else {
    engine_.timers().Cancel(&keepalive_timer_);
  }
}

void Connection::ArmKeepalive(Instant now) {
  const Instant due = ka_probes_ > 0 ? now + ka_intvl_ : last_recv_ + ka_idle_;
  engine_.timers().Arm(&keepalive_timer_, due > now ? due : now + Duration::Millis(1));
}

// RFC 9293 3.8.4 / RFC 1122 4.2.3.6: after `idle` without input, send <SEQ=SND.UNA-1>
// <ACK=RCV.NXT> (no data) every `intvl`; `cnt` unanswered probes abort the connection. Any
// acceptable segment (input.cc) clears the probe count.
void Connection::KeepaliveTimerFired(void* ctx, Instant now) {
  auto* c = static_cast<Connection*>(ctx);
  TcpEngine& engine = c->engine_;
  const TcpState st = c->state_;
  if (!c->keepalive_ || st == TcpState::kClosed || st == TcpState::kTimeWait) return;
  const bool eligible =
      st == TcpState::kEstablished || st == TcpState::kCloseWait || st == TcpState::kFinWait2;
  if (!eligible || (c->ka_probes_ == 0 && now - c->last_recv_ < c->ka_idle_)) {
    if (!eligible) c->last_recv_ = now;
    c->ArmKeepalive(now);
    return;
  }
  if (c->ka_probes_ >= c->ka_cnt_) {
    ++engine.stats().keepalive_timeouts;
    ++engine.stats().connections_aborted;
    // Like Linux: tell a peer that may still be there (RFC 9293 3.10.7.1 reset generation).
    c->SendRst(c->snd_nxt_, now);
    c->EnterClosed(ETIMEDOUT);
    c->DeliverEvents();
    engine.Reap();
    return;
  }
  ++c->ka_probes_;
  // With data in flight the retransmission timer already checks the peer.
  if (c->snd_max_ == c->snd_una_) {
    ++engine.stats().keepalive_probes;
    c->SendSegment(c->snd_una_ - 1, kTcpAck, 0, 0, now);
  }
  c->ArmKeepalive(now);
}

}  // namespace ustack
