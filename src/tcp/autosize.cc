// Buffer sizing and receive-buffer autosizing, see autosize.h.
#include "tcp/autosize.h"

#include <algorithm>

namespace ustack {

uint32_t InitialReceiveBuffer(const TcpConfig& cfg, const TcpSockSettings& s) {
  return s.rcvbuf ? s.rcvbuf : cfg.receive_buffer;
}

uint32_t MaxReceiveBuffer(const TcpConfig& cfg, const TcpSockSettings& s) {
  return s.rcvbuf ? s.rcvbuf : std::max(cfg.receive_buffer, cfg.receive_buffer_max);
}

uint32_t InitialSendBuffer(const TcpConfig& cfg, const TcpSockSettings& s) {
  return s.sndbuf ? s.sndbuf : cfg.send_buffer;
}

uint32_t MaxSendBuffer(const TcpConfig& cfg, const TcpSockSettings& s) {
  return s.sndbuf ? s.sndbuf : std::max(cfg.send_buffer, cfg.send_buffer_max);
}

uint16_t ClampMss(uint16_t mss, const TcpSockSettings& s) {
  return s.user_mss ? std::min(mss, s.user_mss) : mss;
}

size_t OooSegmentLimit(uint32_t rcv_buf, uint16_t mss) {
  const size_t full = mss == 0 ? 0 : rcv_buf / mss;
  return std::clamp<size_t>(2 * full, 256, 4096);
}

uint32_t SendBufferTarget(uint32_t cwnd, uint32_t current, uint32_t max) {
  const uint64_t want = uint64_t{cwnd} * 2;
  if (want <= current) return current;
  // At least doubling: a window that grows by a few bytes per ACK (an application-limited
  // request/response flow) must not resize the buffer, and wake its writer, on every ACK.
  return static_cast<uint32_t>(
      std::min<uint64_t>(std::max<uint64_t>(want, uint64_t{current} * 2), max));
}

void RcvAutosize::Start(Seq32 copied, Instant now) {
  space_seq_ = copied;
  space_time_ = now;
}

void RcvAutosize::Sample(uint64_t us) {
  us = std::clamp<uint64_t>(us, 1, UINT32_MAX);
  // Biased low: a smaller sample is taken at once, a larger one moves the estimate by 1/8
  // (a peer that pauses between writes delays its echoes, not the path).
  if (rtt_us_ == 0 || us < rtt_us_) {
    rtt_us_ = static_cast<uint32_t>(us);
  } else {
    rtt_us_ += static_cast<uint32_t>((us - rtt_us_) / 8);
  }
}

void RcvAutosize::OnTsSample(Duration sample) {
  // A 1 ms clock (RFC 7323 5.4): a zero sample says only "below 1 ms"; window timing decides.
  if (sample.nanos() > 0) Sample(static_cast<uint64_t>(sample.micros()));
}

void RcvAutosize::OnDataIn(Seq32 rcv_nxt, uint32_t window, Instant now) {
  if (timing_ && rcv_nxt >= win_end_) {
    // A window took at least a round trip to arrive: the sample only ever lowers the estimate.
    const uint64_t us = static_cast<uint64_t>(std::max<int64_t>((now - win_time_).micros(), 1));
    if (rtt_us_ == 0 || us < rtt_us_)
      rtt_us_ = static_cast<uint32_t>(std::min<uint64_t>(us, UINT32_MAX));
    timing_ = false;
  }
  if (!timing_) {
    win_end_ = rcv_nxt + std::max<uint32_t>(window, 1);
    win_time_ = now;
    timing_ = true;
  }
}

uint32_t RcvAutosize::Adjust(Seq32 copied, Instant now, uint32_t current, uint32_t max,
                             Duration fallback) {
  const Duration rtt = rtt_us_ ? Duration::Micros(rtt_us_) : fallback;
  if (rtt.nanos() <= 0) {
    Start(copied, now);  // nothing to measure against yet
    return current;
  }
  if (now - space_time_ < rtt) return current;
  const int32_t read = copied - space_seq_;
  Start(copied, now);
  if (read <= 0 || current >= max) return current;
  const uint64_t want = std::min<uint64_t>(uint64_t{static_cast<uint32_t>(read)} * 2, max);
  return std::max<uint32_t>(current, static_cast<uint32_t>(want));
}

}  // namespace ustack
