// Connection option handling: negotiation on SYN / SYN-ACK of window scaling (RFC 7323 2),
// timestamps (RFC 7323 3) and SACK-permitted (RFC 2018 2); the options every outgoing
// segment carries; timestamp RTT samples (RFC 7323 4), TS.Recent upkeep (RFC 7323 4.3) and
// PAWS (RFC 7323 5).
#include <algorithm>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {
namespace {
constexpr uint32_t kDefaultPeerMss = 536;  // RFC 9293 3.7.1: MSS when the option is absent
constexpr uint32_t kMinPeerMss = 64;       // refuse absurdly small segments
constexpr uint8_t kMaxWindowShift = 14;    // RFC 7323 2.3
constexpr uint32_t kTsOptionLen = 12;      // NOP, NOP, kind 8 length 10
// RFC 7323 5.5: TS.Recent is invalid after 24 days of idleness.
constexpr Duration kPawsIdle = Duration::Seconds(24 * 24 * 3600);
}  // namespace

// RFC 7323 2.3: the smallest shift that lets the 16-bit field cover the buffer, at most 14.
uint8_t WindowShiftFor(uint32_t buffer) {
  uint8_t s = 0;
  while (s < kMaxWindowShift && (uint64_t{65535} << s) < buffer) ++s;
  return s;
}

uint32_t Connection::TsNow(Instant now) {
  // RFC 7323 5.4: a 1 ms clock, offset per connection (RFC 7323 7.1 randomisation).
  uint32_t v = static_cast<uint32_t>(now.nanos() / 1'000'000) + ts_offset_;
  // RFC 7323 5.4: TSval must be monotone. Should callers' clocks step back, re-base the
  // offset so the timestamp clock continues from its last value.
  if (ts_started_ && static_cast<int32_t>(v - ts_last_) < 0) {
    ts_offset_ += ts_last_ - v;
    v = ts_last_;
  }
  ts_started_ = true;
  ts_last_ = v;
  return v;
}

uint32_t Connection::MaxPayload() const {
  // RFC 6691 / RFC 7323 3.2: the MSS covers data and options; timestamps ride on every segment.
  const uint32_t opt = ts_ok_ ? kTsOptionLen : 0;
  return snd_mss_ > opt + kMinPeerMss ? snd_mss_ - opt : snd_mss_;
}

uint32_t Connection::PeerWindow(const Segment& seg) const {
  // RFC 7323 2.2: the window field of a SYN is never scaled; all others are.
  if (seg.has(kTcpSyn)) return seg.window;
  return uint32_t{seg.window} << snd_wscale_;
}

void Connection::ApplySynOptions(const Segment& seg, Instant now) {
  const TcpConfig& cfg = engine_.config();
  // RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS, our MMS_S-derived MSS); 536 without the option.
  const uint32_t peer = std::max(uint32_t{seg.options.mss.value_or(kDefaultPeerMss)}, kMinPeerMss);
  snd_mss_ = static_cast<uint16_t>(std::min<uint32_t>(peer, our_mss_));
  // RFC 7323 2.2: scaling is on only when both SYNs carry the option; otherwise both shifts
  // are zero. RFC 7323 2.3: a shift above 14 is used as 14.
  ws_ok_ = cfg.window_scaling && seg.options.window_scale.has_value();
  snd_wscale_ = ws_ok_ ? std::min(*seg.options.window_scale, kMaxWindowShift) : 0;
  if (!ws_ok_) rcv_wscale_ = 0;
  // RFC 7323 3.2: timestamps are on when both SYNs carry TSopt.
  ts_ok_ = cfg.timestamps && seg.options.timestamps.has_value();
  if (ts_ok_) {
    ts_recent_ = seg.options.timestamps->value;
    ts_recent_at_ = now;
  }
  // RFC 2018 2: SACK only when both SYNs carry SACK-permitted.
  sack_ok_ = cfg.sack && seg.options.sack_permitted;
  EcnOnSyn(seg);
  cc_->SetMss(MaxPayload());
}

// The options of one outgoing segment.
void Connection::BuildOptions(uint8_t flags, uint32_t data_len, TcpOptions* o, Instant now) {
  const TcpConfig& cfg = engine_.config();
  if (flags & kTcpRst) return;
  if (flags & kTcpSyn) {
    const bool offer = state_ == TcpState::kSynSent;  // a SYN offers, a SYN-ACK answers
    o->mss = our_mss_;                                // RFC 9293 3.7.1: MSS only on SYNs
    if (offer ? cfg.window_scaling : ws_ok_) o->window_scale = rcv_wscale_;  // RFC 7323 2.2
    if (offer ? cfg.sack : sack_ok_) o->sack_permitted = true;               // RFC 2018 2
    if (offer ? cfg.timestamps : ts_ok_) {
      // RFC 7323 3.2: TSecr is zero unless ACK is set.
      o->timestamps = TcpTimestamps{TsNow(now), (flags & kTcpAck) ? ts_recent_ : 0};
    }
    return;
  }
  // RFC 7323 3.2: once negotiated, every segment carries TSopt echoing TS.Recent.
  if (ts_ok_) o->timestamps = TcpTimestamps{TsNow(now), ts_recent_};
  // RFC 2018 4: ACKs carry SACK blocks while out-of-order data is held (and for D-SACK).
  if (sack_ok_ && (flags & kTcpAck) && (!ooo_.empty() || sack_rep_.has_dsack())) {
    std::vector<SeqRange> ranges;
    ooo_.Ranges(&ranges);
    // RFC 2018 3: at most 3 blocks next to timestamps, 4 without; data shares the MSS.
    TcpOptions probe = *o;
    probe.sack_count = kTcpMaxSackBlocks;
    size_t fit = probe.SackBlocksThatFit();
    while (fit > 0) {
      probe.sack_count = static_cast<uint8_t>(fit);
      if (data_len == 0 || data_len + probe.EncodedLength() <= snd_mss_) break;
      --fit;
    }
    if (fit > 0) sack_rep_.Fill(ranges, fit, o);
  }
}

// RFC 7323 5.3 R1 (PAWS) for a segment in a synchronized state. False: drop (and ACK).
bool Connection::PawsAccept(const Segment& seg, Instant now) {
  if (!ts_ok_ || !seg.options.timestamps || seg.has(kTcpRst)) return true;
  // RFC 7323 5.5: after 24 days idle TS.Recent is no longer trusted.
  if (now - ts_recent_at_ > kPawsIdle) return true;
  const uint32_t tsval = seg.options.timestamps->value;
  if (static_cast<int32_t>(tsval - ts_recent_) >= 0) return true;
  return DisorderedAck(seg, ts_recent_ - tsval);
}

// As Linux does: a pure duplicate ACK overtaken by a later one is not an old duplicate: it
// can change nothing but the SACK scoreboard (SEG.SEQ = RCV.NXT, SEG.ACK = SND.UNA, same
// window), and its SACK blocks are news to RACK. Accepted while its TSval is at most about an
// RTO behind TS.Recent (in 1 ms ticks, the common timestamp clock).
bool Connection::DisorderedAck(const Segment& seg, uint32_t behind) const {
  if (seg.payload_len != 0 || seg.has(kTcpSyn) || seg.has(kTcpFin)) return false;
  if (seg.seq != rcv_nxt_ || seg.ack != snd_una_ || PeerWindow(seg) != snd_wnd_) return false;
  const int64_t replay_ticks = rtt_.rto().nanos() / 1000000 * 6 / 5;
  return int64_t{behind} <= replay_ticks;
}

// RFC 7323 4.3: TS.Recent takes SEG.TSval when SEG.TSval >= TS.Recent and
// SEG.SEQ <= Last.ACK.sent (the segment starts at or before the left edge we acknowledged).
void Connection::UpdateTsRecent(const Segment& seg, Instant now) {
  if (!ts_ok_ || !seg.options.timestamps) return;
  const uint32_t tsval = seg.options.timestamps->value;
  const bool idle = now - ts_recent_at_ > kPawsIdle;
  if ((idle || static_cast<int32_t>(tsval - ts_recent_) >= 0) && seg.seq <= last_ack_sent_) {
    ts_recent_ = tsval;
    ts_recent_at_ = now;
  }
}

// RFC 7323 4.1: an ACK that advances SND.UNA gives an RTT sample from its TSecr; valid even
// for retransmitted data (the echo names the transmission that was acknowledged).
bool Connection::TimestampRttSample(const Segment& seg, Instant now) {
  if (!ts_ok_ || !seg.options.timestamps || seg.options.timestamps->echo == 0) return false;
  const uint32_t delta = TsNow(now) - seg.options.timestamps->echo;
  if (delta > 0x7fffffffu) return false;  // echo from the future: ignore
  rtt_.Sample(Duration::Millis(delta));
  cc_->SetRtt(rtt_.srtt());
  return true;
}

}  // namespace ustack
