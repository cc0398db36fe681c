// Connection output: segmentation to the MSS, Nagle and sender SWS avoidance, the receive
// window we advertise (receiver SWS avoidance, RFC 7323 scaling), ACK coalescing, limited
// transmit (RFC 3042), TCP_CORK, and the segment builder (options from options.cc, ECN).
// Data leaves from Flush (Output), from timers (retransmission, persist) and, for SYN, RST
// and immediate ACKs, directly from input.
#include <algorithm>

#include "base/byte_order.h"
#include "base/checksum.h"
#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {
namespace {
constexpr uint32_t kMaxUnscaledWindow = 65535;  // the 16-bit window field
}  // namespace

void EmitSegment(IpOutput& ip, TcpCounters& counters, const FourTuple& t, const TcpRepr& hdr,
                 Packet pkt, const SendBuffer* data, uint32_t data_off, uint32_t data_len,
                 Instant now, uint8_t tos) {
  // Ring bytes (up to two spans: the ring may wrap) are copied and summed in one pass; other
  // payloads (zero-copy extents) are appended and summed with the header afterwards.
  std::span<const uint8_t> spans[2];
  uint64_t payload_sum = 0;
  const bool one_pass =
      data_len > 0 && data_len <= UINT16_MAX && data->RingSpans(data_off, data_len, spans);
  if (one_pass) {
    uint8_t* d = pkt.Append(static_cast<uint16_t>(data_len));
    if (!d) {
      ++counters.drop_no_memory;
      return;
    }
    payload_sum = ChecksumCopy(d, spans[0], 0);
    payload_sum =
        ChecksumCopy(d + spans[0].size(), spans[1], payload_sum, spans[0].size() % 2 == 1);
  } else if (data_len > 0 && !data->AppendTo(pkt, data_off, data_len)) {
    ++counters.drop_no_memory;
    return;
  }
  const size_t hl = hdr.HeaderLength();
  uint8_t* h = pkt.Prepend(static_cast<uint16_t>(hl));
  if (!h) {
    ++counters.drop_no_memory;
    return;
  }
  hdr.Emit({h, hl});
  const uint32_t total = pkt.length();
  // RFC 9293 3.1: checksum over the pseudo header, header and data. The header's length is a
  // multiple of 4, so the payload starts at an even offset and its sum simply adds.
  const uint64_t sum = one_pass ? ChecksumAdd(payload_sum, {h, hl}) : pkt.ChecksumSum(0, total);
  StoreBe16(h + kTcpChecksumOffset, TcpChecksumV4(t.local, t.remote, total, sum));
  ++counters.segs_out;
  if (hdr.flags & kTcpRst) ++counters.resets_out;
  Ipv4SendOptions opts;
  opts.tos = tos;
  ip.SendIpv4(std::move(pkt), t.local, t.remote, kIpProtoTcp, opts, now);
}

// Flush-time output: as much data (and FIN) as the windows and Nagle allow, then a pure ACK
// if one is still owed. At most one pure ACK per connection per Flush.
void Connection::Output(Instant now) {
  switch (state_) {
    case TcpState::kClosed:
    case TcpState::kListen:
    case TcpState::kSynSent:
      return;
    case TcpState::kSynReceived:
      if (ack_now_) SendAck(now);
      return;
    default:
      break;
  }
  if (in_recovery_) {
    RecoveryOutput(now);  // RFC 6675 / RFC 6937: PRR decides how much goes out
  } else {
    if (sent_log_.lost_bytes() > 0) RetransmitLostOpen(now);
    while (SendNext(false, now)) {
    }
  }
  if (ack_now_) SendAck(now);
  EnsureTimer(now);
}

bool Connection::SendNext(bool force, Instant now) {
  bool fin = false;
  const uint32_t len = NextSegmentLength(force, &fin);
  if (len == 0 && !fin) return false;
  const uint32_t off = static_cast<uint32_t>(snd_nxt_ - snd_una_);
  uint8_t flags = kTcpAck;
  if (fin) flags |= kTcpFin;
  // RFC 9293 3.9.1.2: PSH on the segment that empties the send queue.
  if (len > 0 && off + len == snd_buf_.size()) flags |= kTcpPsh;
  return SendSegment(snd_nxt_, flags, off, len, now);
}

// How many bytes the next segment at SND.NXT carries; *fin when our FIN rides on it.
uint32_t Connection::NextSegmentLength(bool force, bool* fin) const {
  *fin = false;
  if (!SynAcked()) return 0;
  if (fin_queued_ && snd_nxt_ > fin_seq_) return 0;  // everything, FIN included, is out
  const uint32_t off = static_cast<uint32_t>(snd_nxt_ - snd_una_);
  if (off > snd_buf_.size()) return 0;
  const uint32_t unsent = snd_buf_.size() - off;
  if (unsent == 0) {  // nothing new to send (the FIN alone, if queued, takes no window)
    *fin = fin_queued_;
    return 0;
  }
  // The usable window starts at SND.UNA: min(peer window, cwnd) minus what is in flight. A
  // forced send (persist timer) may put one byte into a zero window (RFC 9293 3.8.6.1).
  // RFC 3042: the first two duplicate ACKs each let one new segment beyond cwnd go out.
  const uint32_t mss = MaxPayload();
  const uint32_t limited = std::min(dup_acks_, 2u) * mss;
  const uint32_t wnd = force ? std::max(snd_wnd_, 1u) : std::min(snd_wnd_, cc_->cwnd() + limited);
  const uint32_t usable = wnd > off ? wnd - off : 0;
  const uint32_t len = std::min({unsent, usable, mss});
  // A FIN takes no buffer space at the receiver: it goes once all data is in this segment.
  *fin = fin_queued_ && len == unsent;
  if (len == 0 || force) return len;
  if (snd_nxt_ < snd_max_ || len == mss || *fin) return len;  // retransmit, full, closing
  // TCP_CORK: partial segments wait (the persist timer eventually sends them).
  if (cork_) {
    *fin = false;
    return 0;
  }
  // RFC 9293 3.7.4 (Nagle, RFC 896): while data is unacknowledged, hold a short segment.
  if (!nodelay_ && snd_max_ != snd_una_) {
    *fin = false;
    return 0;
  }
  // RFC 9293 3.8.6.2.1 (sender SWS): a short segment only if it carries all queued data or at
  // least half the largest window the peer offered; the persist timer overrides later.
  if (len < unsent && len < max_snd_wnd_ / 2) {
    *fin = false;
    return 0;
  }
  return len;
}

// RFC 9293 3.10.1/3.10.7.2: <SEQ=ISS><CTL=SYN>, or <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>.
bool Connection::SendSyn(Instant now) {
  const uint8_t flags = state_ == TcpState::kSynReceived ? (kTcpSyn | kTcpAck) : kTcpSyn;
  return SendSegment(iss_, flags, 0, 0, now);
}

// <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; in SYN-RECEIVED our "ACK" is the SYN-ACK again.
// RFC 9293's SND.NXT is our snd_max_: snd_nxt_ rewinds for retransmission, and a pure ACK
// carrying a rewound sequence number would be unacceptable to the peer (and two such ACKs
// would bounce forever).
void Connection::SendAck(Instant now) {
  if (state_ == TcpState::kSynReceived) {
    SendSyn(now);
    return;
  }
  if (state_ == TcpState::kSynSent || state_ == TcpState::kClosed) return;
  SendSegment(ControlSeq(), kTcpAck, 0, 0, now);
}

// While a zero-window probe byte is out, the peer's RCV.NXT is still SND.UNA and its window
// is zero: only SEG.SEQ = SND.UNA is acceptable there. Otherwise SND.NXT (our snd_max_).
Seq32 Connection::ControlSeq() const {
  return timer_kind_ == TimerKind::kPersist ? snd_una_ : snd_max_;
}

void Connection::SendRst(Seq32 seq, Instant now) { SendSegment(seq, kTcpRst, 0, 0, now); }

// Builds one segment and does the sender bookkeeping: SND.NXT/SND.MAX, retransmission
// counting, RTT timing (RFC 6298 3, Karn), the retransmission timer (RFC 6298 5.1).
bool Connection::SendSegment(Seq32 seq, uint8_t flags, uint32_t data_off, uint32_t data_len,
                             Instant now) {
  Packet pkt = engine_.ip().AllocTx();
  if (!pkt) {
    ++engine_.stats().drop_no_memory;
    return false;
  }
  if (data_len > pkt.tailroom()) {  // one mbuf per segment: never more than its room
    data_len = pkt.tailroom();
    flags = static_cast<uint8_t>(flags & ~(kTcpFin | kTcpPsh));
  }
  TcpRepr h;
  h.src_port = tuple_.local_port;
  h.dst_port = tuple_.remote_port;
  h.seq = seq.raw();
  const bool new_data = data_len > 0 && seq >= snd_max_;
  flags = EcnFlags(flags, new_data);
  h.flags = flags;
  if (flags & kTcpAck) h.ack = rcv_nxt_.raw();
  if (!(flags & kTcpRst)) h.window = WindowToAdvertise((flags & kTcpSyn) != 0);
  BuildOptions(flags, data_len, &h.options, now);
  // RFC 6691: data plus options stay within the MSS.
  const uint32_t opt_len = static_cast<uint32_t>(h.options.EncodedLength());
  const uint32_t room = snd_mss_ > opt_len ? snd_mss_ - opt_len : 0;
  if (!(flags & kTcpSyn) && data_len > room && room > 0) {
    data_len = room;
    flags = static_cast<uint8_t>(flags & ~(kTcpFin | kTcpPsh));
    h.flags = flags;
  }
  if (flags & kTcpAck) last_ack_sent_ = rcv_nxt_;
  if (data_len > 0) {
    if (snd_una_ == snd_max_) una_since_ = now;  // user timeout runs from here
    last_data_sent_ = now;
  }
  // RFC 3168 6.1.5: ECT(0) on new data only (not on retransmissions or pure ACKs).
  const uint8_t tos = ecn_ok_ && new_data ? 2 : 0;
  EmitSegment(engine_.ip(), engine_.stats(), tuple_, h, std::move(pkt), &snd_buf_, data_off,
              data_len, now, tos);
  const uint32_t seq_len = data_len + ((flags & kTcpSyn) ? 1 : 0) + ((flags & kTcpFin) ? 1 : 0);
  if (seq_len > 0 && !(flags & kTcpRst)) {
    const Seq32 end = seq + seq_len;
    if (seq < snd_max_) {
      ++engine_.stats().retrans_segs;
      ++total_retrans_;
    } else if (!rtt_timing_) {
      rtt_timing_ = true;
      rtt_seq_ = seq;
      rtt_start_ = now;
    }
    // RFC 8985 6.1: every data segment's (re)transmission time, for RACK.
    if (UseRack() && !(flags & kTcpSyn)) sent_log_.OnSend(seq, end, now);
    if (seq == snd_nxt_) snd_nxt_ = end;
    if (end > snd_max_) snd_max_ = end;
    // RFC 8985 7.2: new data moves the probe timeout along (the RTO stays put).
    if (!main_timer_.armed() || (new_data && timer_kind_ == TimerKind::kLossProbe)) {
      ArmSendTimer(now);
    }
  }
  if (flags & kTcpAck) AckSent();
  return true;
}

void Connection::AckSent() {
  ack_pending_ = false;
  ack_now_ = false;
  unacked_bytes_ = 0;
  engine_.timers().Cancel(&delack_timer_);
}

uint32_t Connection::ReceiveSpace() const {
  const uint32_t buf = rcv_buf_;  // autosized (buffers.cc) or fixed by SO_RCVBUF
  const uint32_t used = rcv_q_.size();
  // RFC 7323 2.3: the largest window the field can express with our shift.
  return std::min(buf > used ? buf - used : 0, kMaxUnscaledWindow << RcvShift());
}

// The window for an outgoing segment. RFC 9293 3.8.6.2.2 (receiver SWS avoidance): the right
// edge moves only by min(RCV.BUFF/2, MSS) or more, and never moves left. RFC 7323 2.3: the
// field carries the window shifted right by our shift (never on a SYN), rounded up so that
// the right edge does not recede.
uint16_t Connection::WindowToAdvertise(bool syn) {
  const uint8_t shift = syn ? 0 : RcvShift();
  uint32_t space = ReceiveSpace();
  if (syn) space = std::min(space, kMaxUnscaledWindow);  // RFC 7323 2.2: SYN windows unscaled
  if (state_ == TcpState::kSynSent) return static_cast<uint16_t>(space);  // RCV.NXT unknown
  const uint32_t cur = rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
  uint32_t wnd = cur;
  const uint32_t step = std::min(rcv_buf_ / 2, uint32_t{our_mss_});
  if (space > cur && space - cur >= step) wnd = space;
  const uint32_t field =
      std::min<uint32_t>((uint64_t{wnd} + (1u << shift) - 1) >> shift, kMaxUnscaledWindow);
  rcv_adv_ = SeqMax(rcv_adv_, rcv_nxt_ + (field << shift));
  return static_cast<uint16_t>(field);
}

// After the application reads: send a window update once the window can open by a useful
// amount (RFC 9293 3.8.6.2.2, RFC 1122 4.2.3.3), so a sender facing a closed window resumes.
void Connection::MaybeWindowUpdate() {
  if (state_ != TcpState::kEstablished && state_ != TcpState::kFinWait1 &&
      state_ != TcpState::kFinWait2) {
    return;
  }
  const uint32_t space = ReceiveSpace();
  const uint32_t cur = rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
  const uint32_t mss = our_mss_;
  const uint32_t step = std::min(rcv_buf_ / 2, cur < mss ? mss : 2 * mss);
  if (space > cur && space - cur >= step) {
    ack_now_ = true;
    engine_.ScheduleFlush(this);
  }
}

// Whenever something is owed, a timer must run: the retransmission timer for data in flight
// (RFC 6298 5.1), else the persist timer for data the window (or SWS avoidance) holds back
// (RFC 9293 3.8.6.1).
void Connection::EnsureTimer(Instant now) {
  if (main_timer_.armed() || !SynAcked()) return;
  const bool unsent = (snd_nxt_ - snd_una_) < static_cast<int32_t>(snd_buf_.size()) ||
                      (fin_queued_ && snd_nxt_ <= fin_seq_);
  if (snd_nxt_ == snd_una_ && unsent) {
    ArmTimer(TimerKind::kPersist, PersistInterval(), now);
  } else if (snd_max_ > snd_una_) {
    ArmSendTimer(now);
  }
}

}  // namespace ustack
