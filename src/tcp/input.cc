// Connection input: "SEGMENT ARRIVES" of RFC 9293 3.10.7.3 (SYN-SENT) and 3.10.7.4 (all other
// states), step by step: PAWS (RFC 7323 5), sequence check, RST, SYN, ACK (with RFC 5961
// challenge ACKs), text, FIN; SACK blocks feed the scoreboard and D-SACK reports (RFC 2018,
// RFC 2883). LISTEN and CLOSED (no TCB) are handled by the engine.
#include <algorithm>
#include <cerrno>

#include "tcp/connection.h"
#include "tcp/engine.h"
#include "tcp/listener.h"

namespace ustack {
void Connection::OnSegment(Segment& seg, Instant now) {
  last_recv_ = now;
  if (state_ == TcpState::kSynSent) {
    InputSynSent(seg, now);
  } else if (state_ != TcpState::kClosed && state_ != TcpState::kListen) {
    InputSynchronized(seg, now);
  }
  DeliverEvents();
}

// RFC 9293 3.10.7.3: SEGMENT ARRIVES in SYN-SENT.
void Connection::InputSynSent(Segment& seg, Instant now) {
  const bool ack = seg.has(kTcpAck);
  // First: an ACK outside (ISS, SND.NXT] is unacceptable: RST it unless it is a RST.
  if (ack && (seg.ack <= iss_ || seg.ack > snd_max_)) {
    ++engine_.stats().drop_out_of_window;
    if (!seg.has(kTcpRst)) SendRst(seg.ack, now);
    return;
  }
  // Second: a RST with an acceptable ACK refuses the connection; without ACK it is dropped.
  if (seg.has(kTcpRst)) {
    if (ack) {
      ++engine_.stats().resets_in;
      EnterClosed(ECONNREFUSED);
    }
    return;
  }
  // Fourth: without SYN, drop.
  if (!seg.has(kTcpSyn)) return;
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  rcv_adv_ = rcv_nxt_ + std::min<uint32_t>(ReceiveSpace(), 65535);  // what our SYN offered
  ApplySynOptions(seg, now);
  snd_wnd_ = seg.window;  // RFC 7323 2.2: the window in a SYN is never scaled
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  if (!ack) {
    // Simultaneous open: enter SYN-RECEIVED and send <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
    rtt_timing_ = false;  // Karn: the SYN-ACK repeats ISS, so its ACK is ambiguous
    SetState(TcpState::kSynReceived);
    SendSyn(now);
    return;
  }
  ProcessAck(seg, now);  // SND.UNA = SEG.ACK: our SYN is acknowledged
  OnEstablished(now);
  // Sixth onwards: data or FIN that came with the SYN-ACK.
  seg.seq = seg.seq + 1;
  seg.flags = static_cast<uint8_t>(seg.flags & ~kTcpSyn);
  TrimToWindow(seg);
  ProcessText(seg, now);
  SendAck(now);  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
}

// RFC 2883 4.1.1: a duplicate of data already received (wholly below RCV.NXT) is reported in
// a D-SACK block; a dropped segment above RCV.NXT is not data we hold and is not reported.
void Connection::NoteDuplicateData(const Segment& seg) {
  const Seq32 first = seg.seq + (seg.has(kTcpSyn) ? 1 : 0);  // a SYN precedes the data
  const Seq32 end = first + seg.payload_len;
  if (seg.payload_len > 0 && end <= rcv_nxt_) sack_rep_.NoteDuplicate(first, end);
}

// RFC 9293 3.10.7.4: SEGMENT ARRIVES in SYN-RECEIVED and the synchronized states.
void Connection::InputSynchronized(Segment& seg, Instant now) {
  // RFC 9293 3.5 Figure 7 (simultaneous open): the peer's SYN-ACK repeats the SYN we already
  // took; the acceptability table would refuse it, the figure accepts it. Strip the old SYN.
  if (state_ == TcpState::kSynReceived && seg.has(kTcpSyn) && seg.has(kTcpAck) && seg.seq == irs_ &&
      !seg.has(kTcpRst)) {
    seg.seq = seg.seq + 1;
    seg.flags = static_cast<uint8_t>(seg.flags & ~kTcpSyn);
  }
  // RFC 7323 5.3 R1 (PAWS): a segment whose TSval is older than TS.Recent is an old
  // duplicate: ACK and drop.
  if (!PawsAccept(seg, now)) {
    ++engine_.stats().paws_drops;
    NoteDuplicateData(seg);
    SendAck(now);
    return;
  }
  // First: check the sequence number.
  if (!Acceptable(seg)) {
    ++engine_.stats().drop_out_of_window;
    if (seg.has(kTcpRst)) return;  // RFC 9293 3.10.7.4: an unacceptable RST is dropped
    NoteDuplicateData(seg);
    // RFC 9293 3.10.7.4: TIME-WAIT restarts 2 MSL on a retransmitted FIN.
    if (state_ == TcpState::kTimeWait && seg.has(kTcpFin)) {
      ArmTimer(TimerKind::kTimeWait, engine_.config().time_wait, now);
    }
    SendAck(now);  // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> (a SYN-ACK in SYN-RECEIVED)
    return;
  }
  // RFC 7323 4.3: TS.Recent follows acceptable segments.
  UpdateTsRecent(seg, now);
  ka_probes_ = 0;
  // Second: RST. RFC 5961 3.2: only an exact match resets; in-window ones get a challenge.
  if (seg.has(kTcpRst)) {
    if (RstAcceptable(seg)) {
      OnRst(now);
    } else {
      SendChallengeAck(now);
    }
    return;
  }
  // Fourth: SYN in a synchronized state.
  if (seg.has(kTcpSyn)) {
    OnUnexpectedSyn(now);
    return;
  }
  TrimToWindow(seg);
  EcnOnInput(seg, now);
  // Fifth: a segment without ACK is dropped.
  if (!seg.has(kTcpAck)) return;
  if (!CheckAck(seg, now)) return;
  // Sixth: URG. The urgent pointer is ignored; urgent bytes stay inline (RFC 6093 6).
  // Seventh and eighth: segment text and FIN.
  ProcessText(seg, now);
}

// RFC 9293 3.10.7.4, the acceptability table (with RCV.WND = the window we advertised).
bool Connection::Acceptable(const Segment& seg) const {
  const uint32_t wnd = rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
  const uint32_t len = seg.seg_len();
  const Seq32 right = rcv_nxt_ + wnd;
  if (wnd == 0) {
    // Zero window: only SEG.SEQ = RCV.NXT; RFC 9293 3.10.7.4 asks to still take valid ACKs,
    // URGs and RSTs from segments that carry data (the data is trimmed away below).
    return seg.seq == rcv_nxt_;
  }
  // A pure ACK from a sender that filled our window carries SEG.SEQ = RCV.NXT+RCV.WND; the
  // "special allowance for valid ACKs" (same section) takes it rather than dropping its ACK.
  if (len == 0)
    return SeqInRange(seg.seq, rcv_nxt_, right) || (seg.seq == right && !seg.has(kTcpRst));
  return SeqInRange(seg.seq, rcv_nxt_, right) || SeqInRange(seg.seq + (len - 1), rcv_nxt_, right);
}

// RFC 9293 3.10.7.4: trim the segment to the window: bytes before RCV.NXT and beyond the
// right edge are dropped (a FIN beyond the edge with them).
void Connection::TrimToWindow(Segment& seg) {
  if (seg.seq < rcv_nxt_) {
    uint32_t skip = static_cast<uint32_t>(rcv_nxt_ - seg.seq);
    // RFC 2883 4.1.1: the already received part is reported as a D-SACK.
    if (seg.payload_len > 0 && !seg.has(kTcpSyn))
      sack_rep_.NoteDuplicate(seg.seq, SeqMin(seg.seq + seg.payload_len, rcv_nxt_));
    if (seg.has(kTcpSyn)) {
      seg.flags = static_cast<uint8_t>(seg.flags & ~kTcpSyn);
      --skip;
      seg.seq = seg.seq + 1;
    }
    const uint32_t data_skip = std::min(skip, seg.payload_len);
    seg.payload_off += data_skip;
    seg.payload_len -= data_skip;
    seg.seq = seg.seq + data_skip;
    if (skip > data_skip) {  // the FIN too was old
      seg.flags = static_cast<uint8_t>(seg.flags & ~kTcpFin);
      seg.seq = rcv_nxt_;
    }
  }
  const Seq32 right = SeqMax(rcv_adv_, rcv_nxt_);
  if (seg.seq + seg.payload_len > right) {
    seg.payload_len = static_cast<uint32_t>(right - seg.seq);
    seg.flags = static_cast<uint8_t>(seg.flags & ~kTcpFin);
    ack_now_ = true;  // tell the sender where the window ends (e.g. a zero-window probe)
    engine_.ScheduleFlush(this);
  }
  // A FIN right at the edge needs no buffer space and is kept (even with a zero window).
}

// RFC 5961 3.2: a RST resets only when SEG.SEQ = RCV.NXT exactly; any other in-window RST
// gets a challenge ACK. (In SYN-RECEIVED after our SYN-ACK, too, RCV.NXT is known.)
bool Connection::RstAcceptable(const Segment& seg) const { return seg.seq == rcv_nxt_; }

// RFC 5961 7: challenge ACKs are rate limited per stack.
void Connection::SendChallengeAck(Instant now) {
  if (!engine_.AllowChallengeAck(now)) {
    ++engine_.stats().challenge_acks_limited;
    return;
  }
  ++engine_.stats().challenge_acks;
  SendAck(now);
}

void Connection::OnRst(Instant now) {
  (void)now;
  ++engine_.stats().resets_in;
  switch (state_) {
    case TcpState::kSynReceived:
      // RFC 9293 3.10.7.4: passive open returns to LISTEN (the half-open TCB goes); an active
      // (simultaneous) open is refused.
      EnterClosed(listener_ ? 0 : ECONNREFUSED);
      return;
    case TcpState::kCloseWait:
      // RFC 9293 3.10.7.4 "connection reset", reported as Linux does after the peer's FIN:
      // reads keep ending the stream, the next write fails with EPIPE.
      ++engine_.stats().established_resets;
      EnterClosed(EPIPE);
      return;
    case TcpState::kEstablished:
      ++engine_.stats().established_resets;
      [[fallthrough]];
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
      EnterClosed(ECONNRESET);  // RFC 9293 3.10.7.4: "connection reset"
      return;
    default:  // CLOSING, LAST-ACK, TIME-WAIT: enter CLOSED, delete the TCB
      EnterClosed(0);
      return;
  }
}

// RFC 9293 3.10.7.4 fourth check / RFC 5961 4.2: a SYN in a synchronized state gets a
// challenge ACK <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>, whatever its sequence number. In
// SYN-RECEIVED the "ACK" is our SYN-ACK again (the peer's SYN was retransmitted).
void Connection::OnUnexpectedSyn(Instant now) {
  if (state_ == TcpState::kSynReceived) {
    SendAck(now);
    return;
  }
  SendChallengeAck(now);
}

// RFC 9293 3.10.7.4 fifth check. Returns false when the segment is to be dropped.
bool Connection::CheckAck(Segment& seg, Instant now) {
  if (state_ == TcpState::kSynReceived) {
    // SND.UNA < SEG.ACK =< SND.NXT enters ESTABLISHED; otherwise <SEQ=SEG.ACK><CTL=RST>.
    if (!(snd_una_ < seg.ack && seg.ack <= snd_max_)) {
      SendRst(seg.ack, now);
      return false;
    }
    if (listener_ && listener_->AcceptQueueFull()) {
      ++engine_.stats().drop_listen_overflow;  // stay half-open; the SYN-ACK is retried
      return false;
    }
    snd_wnd_ = PeerWindow(seg);  // RFC 7323 2.2: scaled from the first non-SYN segment
    max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    ProcessAck(seg, now);
    OnEstablished(now);
    return true;
  }
  // If the ACK acknowledges something not yet sent, send an ACK and drop the segment.
  if (seg.ack > snd_max_) {
    ++engine_.stats().drop_out_of_window;
    SendAck(now);
    return false;
  }
  // RFC 5961 5.2: an ACK older than SND.UNA - MAX.SND.WND is dropped with a challenge ACK.
  if (seg.ack < snd_una_ - std::max(max_snd_wnd_, 1u)) {
    ++engine_.stats().drop_out_of_window;
    SendChallengeAck(now);
    return false;
  }
  ProcessAck(seg, now);
  AfterAckStateChanges(now);
  return state_ != TcpState::kClosed;
}

// RFC 9293 3.10.7.4 (ESTABLISHED under the fifth check): SND.UNA < SEG.ACK =< SND.NXT
// advances SND.UNA and frees acknowledged bytes; then the send window update.
void Connection::ProcessAck(const Segment& seg, Instant now) {
  probes_unanswered_ = 0;
  last_ack_recv_ = now;
  // RFC 2018 / RFC 6675: fold SACK blocks into the scoreboard before judging the ACK.
  uint32_t sacked_new = 0;
  bool dsack = false;
  if (sack_ok_ && seg.options.sack_count > 0) {
    sacked_new =
        sack_board_.Update(seg.options, seg.ack, SeqMax(snd_una_, seg.ack), snd_max_, &dsack);
    if (dsack) ++engine_.stats().dsacks_in;
  }
  const bool dup = IsDupAck(seg, sacked_new);
  uint32_t acked = 0;
  if (seg.ack > snd_una_) {
    const uint32_t in_flight = static_cast<uint32_t>(snd_max_ - snd_una_);
    acked = static_cast<uint32_t>(seg.ack - snd_una_);
    uint32_t data = acked;
    if (!SynAcked()) --data;  // the SYN occupies one sequence number
    if (fin_queued_ && snd_una_ <= fin_seq_ && seg.ack > fin_seq_) --data;  // and the FIN
    snd_buf_.Discard(data);
    // RFC 8985 6.2 step 1: RACK's minimum RTT from the timed segment, at clock precision.
    if (rtt_timing_ && seg.ack > rtt_seq_) rack_.OnRttSample(now - rtt_start_);
    // RFC 7323 4.1: timestamps give samples even for retransmissions; else RFC 6298 / Karn.
    if (TimestampRttSample(seg, now)) {
      rtt_timing_ = false;
    } else {
      TakeRttSample(seg.ack, now);
    }
    CheckSpurious(seg);
    snd_una_ = seg.ack;
    una_since_ = now;
    sack_board_.AdvanceTo(snd_una_);
    if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
    high_rxt_ = SeqMax(high_rxt_, snd_una_);
    // RFC 5681 3.2 / RFC 6937: during recovery cwnd is PRR's, not the controller's.
    if (!in_recovery_) cc_->OnAck(data, in_flight, now);
    SndBufExpand();  // the send buffer follows cwnd (buffers.cc)
    retries_ = 0;
    // RFC 6298 5.2/5.3: stop the timer when all is acknowledged, else restart it.
    if (timer_kind_ == TimerKind::kRetransmit || timer_kind_ == TimerKind::kLossProbe ||
        timer_kind_ == TimerKind::kReorder || timer_kind_ == TimerKind::kNone) {
      if (snd_una_ == snd_max_) {
        StopTimer(timer_kind_);
      } else {
        ArmSendTimer(now);  // RFC 8985 7.2: or the probe timeout
      }
    }
    if (data > 0) Notify();  // send buffer space freed
    engine_.ScheduleFlush(this);
  }
  UpdateSendWindow(seg);
  if (UseRack()) RackOnAck(seg, dsack, now);
  TlpOnAck(seg, acked > 0, dsack, now);
  if (sack_ok_) CheckDsackUndo(seg, dsack);  // RFC 3708: D-SACK-based undo
  if (SynAcked()) OnAckRecovery(acked, sacked_new, dup, now);
}

// RFC 9293 3.10.7.4: update the send window when SND.UNA =< SEG.ACK =< SND.NXT and the
// segment is newer (SND.WL1 < SEG.SEQ, or SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK).
void Connection::UpdateSendWindow(const Segment& seg) {
  if (seg.ack < snd_una_ || seg.ack > snd_max_) return;
  if (!(snd_wl1_ < seg.seq || (snd_wl1_ == seg.seq && snd_wl2_ <= seg.ack))) return;
  const uint32_t old = snd_wnd_;
  snd_wnd_ = PeerWindow(seg);  // RFC 7323 2.3: SND.WND = SEG.WND << Snd.Wind.Shift
  snd_wl1_ = seg.seq;
  snd_wl2_ = seg.ack;
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  if (snd_wnd_ > 0 && timer_kind_ == TimerKind::kPersist) {
    // RFC 9293 3.8.6.1: the window opened: stop probing and resend from SND.UNA.
    StopTimer(TimerKind::kPersist);
    persist_shift_ = 0;
    snd_nxt_ = snd_una_;
    engine_.ScheduleFlush(this);  // Output sends, or EnsureTimer re-arms the persist timer
  }
  if (snd_wnd_ > old) engine_.ScheduleFlush(this);
}

// RFC 6298 3 with Karn's rule: only the timed, never retransmitted segment gives a sample.
void Connection::TakeRttSample(Seq32 ack, Instant now) {
  if (rtt_timing_ && ack > rtt_seq_) {
    rtt_.Sample(now - rtt_start_);
    rtt_timing_ = false;
  }
}

// RFC 9293 3.10.7.4 fifth check, per state, once our FIN is acknowledged.
void Connection::AfterAckStateChanges(Instant now) {
  if (!FinAcked()) return;
  switch (state_) {
    case TcpState::kFinWait1:  // enter FIN-WAIT-2
      SetState(TcpState::kFinWait2);
      if (!user_holds_) ArmTimer(TimerKind::kFinWait2, engine_.config().time_wait, now);
      break;
    case TcpState::kClosing:  // enter TIME-WAIT
      EnterTimeWait(now);
      break;
    case TcpState::kLastAck:  // enter CLOSED, delete the TCB
      EnterClosed(0);
      break;
    default:
      break;
  }
}

// RFC 9293 3.10.7.4 seventh (segment text) and eighth (FIN) steps. The segment is already
// trimmed so that seg.seq >= RCV.NXT.
void Connection::ProcessText(Segment& seg, Instant now) {
  const bool receiving = state_ == TcpState::kEstablished || state_ == TcpState::kFinWait1 ||
                         state_ == TcpState::kFinWait2;
  const uint32_t len = seg.payload_len;
  const bool fin = seg.has(kTcpFin);
  if (!receiving) {  // text after a FIN "should not occur": ignore it; a FIN is re-ACKed
    if (fin && seg.seq + len == rcv_nxt_) ProcessFin(now);
    return;
  }
  // RFC 1122 4.2.2.13: new data after close() (or shutdown for reading, as Linux) can never be
  // read: send a RST to show that it was lost, and drop the connection.
  if (len > 0 && state_ != TcpState::kEstablished && (!user_holds_ || read_shutdown_)) {
    ++engine_.stats().connections_aborted;
    ResetAndClose(now);
    return;
  }
  if (seg.seq != rcv_nxt_ && (len > 0 || fin)) {
    // Out of order: hold it (bounded by the window and entry count) and send a duplicate
    // ACK at once (RFC 5681 4.2, RFC 9293 3.10.7.4).
    RecvChunk chunk;
    if (len > 0) chunk = RecvChunk{std::move(*seg.pkt), seg.payload_off, len};
    // A window's worth of full segments (twice as many half-full ones) may be held; an
    // autosized window of several MiB holds thousands.
    ooo_.set_max_entries(OooSegmentLimit(rcv_buf_, our_mss_));
    const auto r = ooo_.Add(seg.seq, std::move(chunk), fin);
    if (r == ReassemblyQueue::Insert::kQueued) {
      ++engine_.stats().ooo_segments;
      sack_rep_.NoteReceived(seg.seq, seg.seq + len);  // RFC 2018 4: reported first
    }
    if (r == ReassemblyQueue::Insert::kDuplicate && len > 0) {
      sack_rep_.NoteDuplicate(seg.seq, seg.seq + len);  // RFC 2883 4.1.2
    }
    if (r == ReassemblyQueue::Insert::kNoRoom) ++engine_.stats().drop_no_memory;
    SendAck(now);
    return;
  }
  bool fin_in_order = fin;
  if (len > 0) {
    last_data_recv_ = now;
    rcv_q_.Push(RecvChunk{std::move(*seg.pkt), seg.payload_off, len});
    rcv_nxt_ = rcv_nxt_ + len;
    rcv_mss_ = std::clamp<uint32_t>(len, rcv_mss_, our_mss_);
    RcvRttOnData(seg, now);  // receive-buffer autosizing (buffers.cc)
    RcvSpaceAdjust(now);
    if (!ooo_.empty()) {
      // RFC 5681 4.2: ACK at once when a segment fills (part of) a gap; held data past a
      // FIN on this segment is never the peer's (taken care of in ProcessFin).
      if (!fin) fin_in_order = ooo_.Drain(rcv_nxt_, rcv_q_);
      ack_now_ = true;
      engine_.ScheduleFlush(this);
    }
    ScheduleAck(len, now);
    Notify();
  }
  if (fin_in_order) ProcessFin(now);
}

// RFC 9293 3.10.7.4 eighth step: advance RCV.NXT over the FIN, ACK it, change state.
void Connection::ProcessFin(Instant now) {
  if (!fin_received_) {
    rcv_nxt_ = rcv_nxt_ + 1;
    fin_received_ = true;
    // RFC 9293 3.10.7.4 (eighth): nothing after the FIN is data: drop what was held there.
    ooo_.Clear();
  }
  ack_now_ = true;
  engine_.ScheduleFlush(this);
  Notify();
  switch (state_) {
    case TcpState::kSynReceived:
    case TcpState::kEstablished:
      SetState(TcpState::kCloseWait);
      break;
    case TcpState::kFinWait1:
      if (FinAcked()) {
        EnterTimeWait(now);
      } else {
        SetState(TcpState::kClosing);
      }
      break;
    case TcpState::kFinWait2:
      EnterTimeWait(now);
      break;
    case TcpState::kTimeWait:  // restart the 2 MSL timeout
      ArmTimer(TimerKind::kTimeWait, engine_.config().time_wait, now);
      break;
    default:  // CLOSE-WAIT, CLOSING, LAST-ACK remain
      break;
  }
}

}  // namespace ustack
