// RACK (RFC 8985 6): time-based loss detection. A segment is lost when a segment sent
// sufficiently later has been delivered: "sufficiently" is one round trip plus a reordering
// window that starts at a quarter of the minimum RTT, is zero until reordering is seen (once
// DupThresh segments are SACKed, or during recovery), and grows with D-SACKs.
// Ownership: a plain value inside a Connection; it reads and marks the connection's SentLog.
// The caller feeds it each ACK: BeginAck, OnDelivered per newly delivered segment, EndAck,
// then DetectLoss. Clock values come in as arguments.
#pragma once

#include <algorithm>
#include <cstdint>

#include "base/seq32.h"
#include "base/time.h"
#include "tcp/sent_log.h"

namespace ustack {

class Rack {
 public:
  static constexpr uint32_t kDupThresh = 3;       // RFC 8985 6.2 step 4 (from RFC 6675)
  static constexpr int kReoWndPersist = 16;       // RFC 8985 6.2 step 4: recoveries to keep
  static constexpr int kMaxReoWndMult = 1 << 10;  // bounds the D-SACK growth

  void BeginAck();
  // RFC 8985 6.2 steps 1-3 for one segment this ACK delivered (cumulatively or by SACK).
  void OnDelivered(const SentSeg& s, Instant now);
  // RFC 8985 6.2 step 2 conclusion and step 4: D-SACK rounds widen the window.
  void EndAck(Instant now, bool dsack, Seq32 snd_una, Seq32 snd_nxt);
  // RFC 8985 6.2 step 4: a recovery episode ended (fast or RTO).
  void OnRecoveryExit();
  // RFC 8985 6.2 step 4 RACK_update_reo_wnd's result.
  Duration ReoWnd(bool in_recovery, uint32_t segs_sacked, Duration srtt) const;
  // RFC 8985 6.2 step 5: marks every segment sent more than RACK.rtt + reo_wnd before the
  // most recently delivered one as lost. Returns how long until the next one would be
  // (zero when none waits): the reordering timer (RFC 8985 6.3).
  // *marked counts the segments newly marked.
  Duration DetectLoss(SentLog& log, Instant now, Duration reo_wnd, uint32_t* marked) const;

  bool has_rtt() const { return has_xmit_; }
  bool reordering_seen() const { return reordering_seen_; }
  Duration min_rtt() const { return min_rtt_; }
  Duration rtt() const { return rtt_; }
  int reo_wnd_mult() const { return reo_wnd_mult_; }
  // RFC 8985 6.2 step 1: a Karn-clean round-trip sample from elsewhere (the handshake).
  void OnRttSample(Duration rtt) { min_rtt_ = std::min(min_rtt_, rtt); }

 private:
  // RFC 8985 6.2 RACK_sent_after(t1, seq1, t2, seq2). Ties in time are broken by the order
  // of transmission rather than by end sequence: a retransmission at the same instant as an
  // original transmission is still the later one.
  static bool SentAfter(Instant t1, uint32_t order1, Instant t2, uint32_t order2) {
    return t1 > t2 || (t1 == t2 && static_cast<int32_t>(order1 - order2) > 0);
  }

  // RACK.xmit_ts / RACK.end_seq (as a transmission order) / RACK.rtt: the most recently
  // sent delivered segment.
  bool has_xmit_ = false;
  Instant xmit_ts_;
  uint32_t order_ = 0;
  Duration rtt_;
  Duration min_rtt_ = Duration::Max();
  // RACK.fack and the value it had when the current ACK began (step 3).
  bool has_fack_ = false;
  Seq32 fack_;
  Seq32 fack_before_;
  bool fack_before_valid_ = false;
  bool reordering_seen_ = false;
  // The latest-sent candidate among this ACK's deliveries.
  bool has_candidate_ = false;
  Instant cand_xmit_;
  uint32_t cand_order_ = 0;
  // RFC 8985 6.2 step 4.
  int reo_wnd_mult_ = 1;
  int reo_wnd_persist_ = kReoWndPersist;
  bool dsack_round_valid_ = false;
  Seq32 dsack_round_;
};

}  // namespace ustack
