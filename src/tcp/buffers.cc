// Connection buffer sizes: receive-buffer autosizing (dynamic right-sizing, see autosize.h),
// send-buffer growth with the congestion window, and SO_RCVBUF / SO_SNDBUF on an open
// connection. A size the socket fixed (Linux's buffer lock) is never changed here.
#include <algorithm>

#include "tcp/connection.h"
#include "tcp/engine.h"

namespace ustack {
namespace {
// TS echoes older than this are not round trips (an idle peer echoing an old TSval).
constexpr int32_t kMaxTsRttMs = 60'000;
}  // namespace

// The first byte the application has not read yet (RCV.NXT less the queued bytes and FIN).
Seq32 Connection::CopiedSeq() const { return rcv_nxt_ - rcv_q_.size() - (fin_received_ ? 1u : 0u); }

// Receiver round-trip samples, taken as in-order data arrives.
void Connection::RcvRttOnData(const Segment& seg, Instant now) {
  if (rcv_buf_locked_) return;
  // RFC 7323 4.1: TSecr is the TSval of the ACK this data answers; now minus it is an RTT.
  if (ts_ok_ && seg.options.timestamps && seg.options.timestamps->echo != 0) {
    const uint32_t ts_now = static_cast<uint32_t>(now.nanos() / 1'000'000) + ts_offset_;
    const int32_t ms = static_cast<int32_t>(ts_now - seg.options.timestamps->echo);
    if (ms >= 0 && ms < kMaxTsRttMs) rcv_auto_.OnTsSample(Duration::Millis(ms));
  }
  const uint32_t window = rcv_adv_ > rcv_nxt_ ? static_cast<uint32_t>(rcv_adv_ - rcv_nxt_) : 0;
  rcv_auto_.OnDataIn(rcv_nxt_, window, now);
}

// Grows the receive buffer to twice what the application read in the last round trip (at
// most the configured maximum) and offers the larger window at once when it is worth it.
void Connection::RcvSpaceAdjust(Instant now) {
  if (rcv_buf_locked_) return;
  const uint32_t max = MaxReceiveBuffer(engine_.config(), TcpSockSettings{});
  if (rcv_buf_ >= max) return;
  const Duration fallback = rtt_.has_sample() ? rtt_.srtt() : Duration::Nanos(0);
  const uint32_t grown = rcv_auto_.Adjust(CopiedSeq(), now, rcv_buf_, max, fallback);
  if (grown <= rcv_buf_) return;
  if (engine_.ip().BuffersTight()) {  // memory pressure: keep the window it has
    ++engine_.stats().buf_growth_refused;
    return;
  }
  rcv_buf_ = grown;
  ++engine_.stats().rcv_buf_grown;
  MaybeWindowUpdate();
}

// The send buffer follows the congestion window: twice cwnd, so the next window's bytes are
// queued while this one is in flight (at most the configured maximum).
void Connection::SndBufExpand() {
  if (snd_buf_locked_) return;
  const uint32_t cap = snd_buf_.capacity();
  const uint32_t max = MaxSendBuffer(engine_.config(), TcpSockSettings{});
  if (cap >= max) return;
  const uint32_t want = SendBufferTarget(cc_->cwnd(), cap, max);
  if (want <= cap) return;
  if (engine_.ip().BuffersTight()) {
    ++engine_.stats().buf_growth_refused;
    return;
  }
  snd_buf_.set_capacity(want);
  ++engine_.stats().snd_buf_grown;
  Notify();  // more room to write (EPOLLOUT)
}

// SO_RCVBUF / SO_SNDBUF on an open connection: the size is fixed from now on. The window
// scale offered on the SYN stays; a smaller receive buffer only closes the window as data
// arrives (the right edge never moves left, RFC 9293 3.8.6 / RFC 7323 2.4).
void Connection::SetBufferSizes(uint32_t rcvbuf, uint32_t sndbuf) {
  if (rcvbuf != 0) {
    rcv_buf_ = rcvbuf;
    rcv_buf_locked_ = true;
    MaybeWindowUpdate();
  }
  if (sndbuf != 0) {
    snd_buf_.set_capacity(sndbuf);
    snd_buf_locked_ = true;
    Notify();
    DeliverEvents();
  }
}

}  // namespace ustack
