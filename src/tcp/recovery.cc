// Connection loss recovery: duplicate ACK counting (RFC 5681 2), limited transmit
// (RFC 3042), fast retransmit and NewReno recovery with partial ACKs (RFC 5681 3.2,
// RFC 6582), SACK-based recovery (RFC 6675) and Proportional Rate Reduction (RFC 6937) for
// how much to send while recovering; Eifel undo of spurious retransmissions (RFC 3522) and
// D-SACK-based undo (RFC 3708).
// The RTO path (timers.cc) ends any recovery.
#include <algorithm>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {

// RFC 5681 2 "DUPLICATE ACKNOWLEDGMENT": acknowledges nothing new, data outstanding, no data,
// no SYN/FIN, same window. RFC 6675 2: with SACK, an ACK carrying new SACK data counts too.
bool Connection::IsDupAck(const Segment& seg, uint32_t sacked_new) const {
  if (seg.ack != snd_una_ || snd_max_ == snd_una_) return false;
  if (seg.payload_len > 0 || seg.has(kTcpSyn) || seg.has(kTcpFin)) return false;
  // Answers to zero-window probes repeat the ACK by design; they signal no loss.
  if (timer_kind_ == TimerKind::kPersist || PeerWindow(seg) == 0) return false;
  if (sacked_new > 0) return true;
  return PeerWindow(seg) == snd_wnd_;
}

uint32_t Connection::PipeEstimate() const {
  const uint32_t outstanding = static_cast<uint32_t>(snd_max_ - snd_una_);
  if (UseRack()) return sent_log_.InFlight();  // RFC 6675 4 SetPipe with RACK's marks
  if (sack_ok_) return sack_board_.Pipe(snd_una_, snd_max_, high_rxt_, MaxPayload());
  // RFC 6937 / RFC 5681 3.2: without SACK each duplicate ACK stands for a segment that left.
  const uint32_t left = std::min(outstanding, dup_acks_ * MaxPayload());
  return outstanding - left;
}

// Called for every acceptable ACK after SND.UNA and the scoreboard moved.
void Connection::OnAckRecovery(uint32_t acked, uint32_t sacked_new, bool dup, Instant now) {
  const uint32_t mss = MaxPayload();
  if (UseRack()) RackDetect(now);  // RFC 8985 6.2 step 5
  if (!in_recovery_) {
    if (dup) {
      ++dup_acks_;
      ++engine_.stats().dup_acks_in;
    } else if (acked > 0) {
      dup_acks_ = 0;
    }
    bool lost;
    if (UseRack()) {
      lost = sent_log_.lost_bytes() > 0;  // RFC 8985 6: RACK marked a segment lost
    } else {
      if (!dup) return;
      // RFC 5681 3.2 / RFC 6675 5: three duplicate ACKs, or SACK showing the first segment
      // lost.
      lost = dup_acks_ >= SackScoreboard::kDupThresh ||
             (sack_ok_ && sack_board_.IsLost(snd_una_, mss));
    }
    // RFC 6582 3.2 step 1 / 4.1: no second reduction for data sent before the last one.
    if (lost && MayEnterRecovery()) {
      // RFC 6937 3: PRR counts the data delivered by the ACK that starts recovery too.
      EnterRecovery(acked + sacked_new + (sack_ok_ ? 0 : mss), now);
    } else if (lost || (dup && dup_acks_ <= 2)) {
      // Lost data of an answered episode goes again within cwnd; RFC 3042: limited
      // transmit of new data.
      engine_.ScheduleFlush(this);
    }
    return;
  }
  // RFC 6937 3: DeliveredData = change in SND.UNA plus newly SACKed bytes (one SMSS per
  // duplicate ACK without SACK).
  uint32_t delivered = acked + sacked_new;
  if (!sack_ok_ && dup) {
    delivered += mss;
    ++dup_acks_;
    ++engine_.stats().dup_acks_in;
  }
  prr_delivered_ += delivered;
  prr_last_delivered_ += delivered;
  if (snd_una_ >= recover_) {
    ExitRecovery();  // RFC 6582 3.2 step 3: a full acknowledgment ends recovery
    return;
  }
  if (acked > 0 && !sack_ok_) {
    // RFC 6582 3.2 step 3 (partial acknowledgment): retransmit the first unacknowledged
    // segment; the duplicate-ACK count restarts.
    high_rxt_ = snd_una_;
    dup_acks_ = 0;
    prr_out_ += RetransmitHole(now);  // at once, whatever PRR would allow
  }
  engine_.ScheduleFlush(this);
}

void Connection::EnterRecovery(uint32_t delivered, Instant now) {
  TcpCounters& st = engine_.stats();
  ++st.fast_retransmits;
  if (sack_ok_) ++st.sack_recoveries;
  // RFC 3522 2: remember the window and the retransmission's timestamp for a later undo.
  SaveUndo(now);
  // RFC 3522 2: the acceptable ACK is the first to acknowledge the retransmitted segment;
  // with RACK that need not be the one at SND.UNA (which may be an earlier retransmission).
  if (const SentSeg* lost = UseRack() ? sent_log_.FirstLost() : nullptr) undo_una_ = lost->start;
  dsack_undo_.Begin();  // RFC 3708 2: the episode's retransmissions are recorded from here
  in_recovery_ = true;
  if (timer_kind_ == TimerKind::kLossProbe) ArmTimer(TimerKind::kRetransmit, rtt_.rto(), now);
  recover_ = snd_max_;  // RFC 6582 3.2 step 2 / RFC 6675 5 step 2: RecoveryPoint = HighData
  recover_valid_ = true;
  high_rxt_ = snd_una_;
  const uint32_t flight = static_cast<uint32_t>(snd_max_ - snd_una_);
  // RFC 5681 3.2 eq. 4 (or the controller's beta): ssthresh from FlightSize.
  cc_->OnLoss(flight, now);
  // RFC 6937 3: prr_out = 0, RecoverFS = pipe at the start; prr_delivered starts with
  // what the entering ACK delivered.
  prr_delivered_ = delivered;
  prr_out_ = 0;
  prr_last_delivered_ = delivered;
  recover_fs_ = std::max(flight, 1u);
  // RFC 5681 3.2 step 2 / RFC 6675 5 step 3: retransmit the first presumed-lost segment now.
  const uint32_t sent = RetransmitHole(now);
  prr_out_ += sent;
  engine_.ScheduleFlush(this);
}

void Connection::ExitRecovery() {
  in_recovery_ = false;
  if (UseRack()) rack_.OnRecoveryExit();
  dup_acks_ = 0;
  dsack_undo_.CloseAt(snd_max_);  // D-SACKs for the retransmissions may still come
  // RFC 6937 3 / RFC 6582 3.2 step 3: at the end of recovery cwnd = ssthresh.
  cc_->SetWindow(cc_->ssthresh(), cc_->ssthresh());
}

// Retransmits the next hole at or after HighRxt that is lost (RFC 6675 NextSeg rule 1, or
// the segment at SND.UNA for NewReno). Returns the sequence space sent (0 when none).
uint32_t Connection::RetransmitHole(Instant now) {
  const uint32_t mss = MaxPayload();
  SeqRange hole;
  Seq32 from = SeqMax(high_rxt_, snd_una_);
  if (UseRack()) {
    // RFC 8985 6: what RACK marked lost, lowest sequence first.
    const SentSeg* lost = sent_log_.FirstLost();
    if (lost == nullptr) return 0;
    hole = SeqRange{lost->start, lost->end};
  } else if (sack_ok_) {
    if (!sack_board_.NextHole(from, snd_max_, &hole)) return 0;
    // The first hole at SND.UNA goes at once on entry; later ones only when judged lost.
    if (hole.left != snd_una_ && !sack_board_.IsLost(hole.left, mss)) return 0;
  } else {
    if (from != snd_una_) return 0;  // NewReno: one retransmission per partial ACK
    hole = SeqRange{snd_una_, snd_max_};
  }
  const uint32_t off = static_cast<uint32_t>(hole.left - snd_una_);
  const uint32_t avail = snd_buf_.size() > off ? snd_buf_.size() - off : 0;
  uint32_t len = std::min({hole.len(), mss, avail});
  uint8_t flags = kTcpAck;
  // Our FIN right after the data (or alone) goes again too.
  if (fin_queued_ && hole.left + len == fin_seq_ && fin_seq_ < snd_max_ && hole.right > fin_seq_)
    flags |= kTcpFin;
  if (len == 0 && !(flags & kTcpFin)) return 0;
  if (!SendSegment(hole.left, flags, off, len, now)) return 0;
  rtt_timing_ = false;  // RFC 6298 3 (Karn): a retransmitted segment is never timed
  ++engine_.stats().sack_retransmits;
  const uint32_t used = len + ((flags & kTcpFin) ? 1 : 0);
  dsack_undo_.OnRetransmit(hole.left, hole.left + used);
  high_rxt_ = hole.left + used;
  return used;
}

// Sends what PRR allows during recovery: lost holes first, then new data (RFC 6675 NextSeg).
void Connection::RecoveryOutput(Instant now) {
  const uint32_t mss = MaxPayload();
  const uint32_t ssthresh = cc_->ssthresh();
  const uint32_t pipe = PipeEstimate();
  int64_t sndcnt;
  if (pipe > ssthresh) {
    // RFC 6937 3: proportional part, sndcnt = CEIL(prr_delivered * ssthresh / RecoverFS)
    // - prr_out.
    const uint64_t target = (uint64_t{prr_delivered_} * ssthresh + recover_fs_ - 1) / recover_fs_;
    sndcnt = static_cast<int64_t>(target) - prr_out_;
  } else {
    // RFC 6937 3 PRR-SSRB: slow start back up to ssthresh, at most one MSS beyond the data
    // delivered.
    const int64_t limit =
        std::max<int64_t>(int64_t{prr_delivered_} - prr_out_, prr_last_delivered_) + mss;
    sndcnt = std::min<int64_t>(int64_t{ssthresh} - pipe, limit);
  }
  prr_last_delivered_ = 0;
  while (sndcnt > 0) {
    uint32_t sent = RetransmitHole(now);
    if (sent == 0) sent = SendNewDataInRecovery(now);
    if (sent == 0) break;
    prr_out_ += sent;
    sndcnt -= sent;
  }
}

// New data within the peer's window during recovery (cwnd is PRR's business here).
uint32_t Connection::SendNewDataInRecovery(Instant now) {
  if (snd_nxt_ != snd_max_) return 0;
  if (fin_queued_ && snd_nxt_ > fin_seq_) return 0;
  const uint32_t off = static_cast<uint32_t>(snd_nxt_ - snd_una_);
  if (off > snd_buf_.size()) return 0;
  const uint32_t unsent = snd_buf_.size() - off;
  const uint32_t usable = snd_wnd_ > off ? snd_wnd_ - off : 0;
  const uint32_t len = std::min({unsent, usable, MaxPayload()});
  const bool fin = fin_queued_ && len == unsent;
  if (len == 0 && !fin) return 0;
  uint8_t flags = kTcpAck;
  if (fin) flags |= kTcpFin;
  if (len > 0 && off + len == snd_buf_.size()) flags |= kTcpPsh;
  const Seq32 before = snd_nxt_;
  if (!SendSegment(snd_nxt_, flags, off, len, now)) return 0;
  return static_cast<uint32_t>(snd_nxt_ - before);
}

// RFC 3522 2: before a retransmission that reduces the window, keep what to restore.
void Connection::SaveUndo(Instant now) {
  dsack_undo_.Cancel();  // a new reduction (fast recovery or RTO): the last one stays
  undo_valid_ = ts_ok_;
  undo_cwnd_ = cc_->cwnd();
  undo_ssthresh_ = cc_->ssthresh();
  undo_tsval_ = TsNow(now);
  undo_una_ = snd_una_;
}

// RFC 3522 2/3: the first ACK for the retransmitted data echoes a timestamp older than the
// retransmission: the original arrived, the retransmission was spurious: restore the window.
void Connection::CheckSpurious(const Segment& seg) {
  if (!undo_valid_ || seg.ack <= undo_una_) return;
  undo_valid_ = false;
  if (!seg.options.timestamps) return;
  const uint32_t echo = seg.options.timestamps->echo;
  if (echo == 0 || static_cast<int32_t>(echo - undo_tsval_) >= 0) return;
  ++engine_.stats().spurious_undos;
  UndoReduction();
}

// RFC 3708 2 with RFC 2883 4: a D-SACK reports data the peer received twice. Once every
// retransmission of the last episode has been reported so, the originals all arrived and
// the window reduction was unnecessary: undo it as Eifel does.
void Connection::CheckDsackUndo(const Segment& seg, bool dsack) {
  if (dsack && seg.options.sack_count > 0 &&
      dsack_undo_.OnDsack(Seq32(seg.options.sack[0].left), Seq32(seg.options.sack[0].right))) {
    ++engine_.stats().dsack_undos;
    undo_valid_ = false;
    UndoReduction();
  }
  dsack_undo_.OnAck(snd_una_);
}

// RFC 3522 2 step 5 / RFC 3708: back to the open state with the window of before the
// reduction (never below the current one); RFC 9438 4.9: CUBIC restores its state too.
void Connection::UndoReduction() {
  dsack_undo_.Cancel();
  if (in_recovery_) {
    in_recovery_ = false;
    dup_acks_ = 0;
    if (UseRack()) rack_.OnRecoveryExit();
  }
  cc_->Undo(std::max(undo_cwnd_, cc_->cwnd()), std::max(undo_ssthresh_, cc_->ssthresh()));
}

}  // namespace ustack
