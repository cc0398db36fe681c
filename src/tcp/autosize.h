// Buffer sizing: the sizes a connection's buffers start at and may grow to (config maxima, or
// the fixed sizes SO_RCVBUF / SO_SNDBUF chose), and receive-buffer autosizing.
// Receive autosizing is dynamic right-sizing (Fisk and Feng, "Dynamic Right-Sizing in TCP",
// 2001): the receiver measures how many bytes the application consumed during one round trip
// and keeps its buffer (so the window it can advertise) at about twice that, so a sender that
// the window limits can double its rate every round trip, as slow start would. The round trip
// is estimated by the receiver itself: from the TS echo of data segments (RFC 7323 4.1, the
// time since we sent the TSval they echo), else from the time one window of data takes to
// arrive, else from the sender-side estimate. Buffers only grow; RFC 9293 3.8.6 / RFC 7323
// 2.4 forbid moving the right edge of an advertised window left, and the caller's window code
// keeps that rule. Memory: nothing here allocates; the buffers themselves fill on demand.
#pragma once

#include <cstdint>

#include "base/seq32.h"
#include "base/time.h"
#include "tcp/tcp.h"

namespace ustack {

// Sizes for one connection from the stack's config and the socket's settings.
uint32_t InitialReceiveBuffer(const TcpConfig& cfg, const TcpSockSettings& s);
uint32_t MaxReceiveBuffer(const TcpConfig& cfg, const TcpSockSettings& s);
uint32_t InitialSendBuffer(const TcpConfig& cfg, const TcpSockSettings& s);
uint32_t MaxSendBuffer(const TcpConfig& cfg, const TcpSockSettings& s);
// TCP_MAXSEG: the MSS we advertise and send with is at most the user's value.
uint16_t ClampMss(uint16_t mss, const TcpSockSettings& s);
// Bound on held out-of-order segments, beyond the window bound, so that a peer sending many
// tiny segments cannot pin an unbounded number of mbufs: twice a window of full segments,
// within [256, 4096].
size_t OooSegmentLimit(uint32_t rcv_buf, uint16_t mss);
// Send buffer autosizing: room for twice the congestion window (the bytes in flight plus as
// many again queued behind them), within [current, max]; never smaller than `current`, and
// when it grows, to at least twice `current` (so a buffer is resized a few times, not per ACK).
uint32_t SendBufferTarget(uint32_t cwnd, uint32_t current, uint32_t max);

class RcvAutosize {
 public:
  // Starts measuring: `copied` is the first byte the application has not read yet.
  void Start(Seq32 copied, Instant now);
  // RFC 7323 4.1: a round-trip sample from the TS echo of a data segment.
  void OnTsSample(Duration sample);
  // Without timestamps: times one window of data. `rcv_nxt` after in-order data arrived,
  // `window` the window advertised (the bytes one round trip can carry at most).
  void OnDataIn(Seq32 rcv_nxt, uint32_t window, Instant now);
  // Once per measured round trip: the buffer size that fits twice the bytes read in it,
  // within [current, max]. `copied` as in Start; `fallback` is used while the receiver has
  // no estimate of its own (zero: none).
  uint32_t Adjust(Seq32 copied, Instant now, uint32_t current, uint32_t max, Duration fallback);
  Duration rtt() const { return Duration::Micros(rtt_us_); }

 private:
  void Sample(uint64_t us);

  Instant space_time_;   // start of the current measurement
  Instant win_time_;     // when the timed window started (no timestamps)
  Seq32 space_seq_;      // first unread byte at space_time_
  Seq32 win_end_;        // the timed window ends when rcv_nxt reaches it
  uint32_t rtt_us_ = 0;  // receiver's round-trip estimate (0: none yet)
  bool timing_ = false;  // a window is being timed
};

}  // namespace ustack
