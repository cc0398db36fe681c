// TcpLayer: the public face of TCP to the stack and the socket layer. It owns every
// connection and listener (the socket layer holds non-owning pointers until it calls Close).
// TCP does no I/O of its own: segments go out through IpOutput, time comes in as `now`,
// timers live on the stack's TimerWheel, randomness comes from an injected Random.
#pragma once

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/addr.h"
#include "base/events.h"
#include "base/random.h"
#include "base/result.h"
#include "base/time.h"
#include "base/timer_wheel.h"
#include "net/ip_output.h"
#include "tcp/recv_queue.h"

struct tcp_info;  // <netinet/tcp.h>, Linux layout; filled by TcpConnection::GetInfo

namespace ustack {

// Congestion controllers a stack or a connection may use.
enum class TcpCongestionAlgo : uint8_t { kNewReno, kCubic };
// RFC 3168 ECN use: off, request on active opens (and accept), or accept only (Linux's 2).
enum class TcpEcnMode : uint8_t { kOff, kOn, kPassive };

struct TcpConfig {
  // Zero-copy send (TcpConnection::SendRefs): chain the application's mbufs to segments as
  // indirect mbufs instead of copying their bytes. Needs a port that transmits mbuf chains
  // (DPDK's RTE_ETH_TX_OFFLOAD_MULTI_SEGS); off, those bytes are copied into each segment.
  bool zero_copy_attach = false;
  // Buffers start at these sizes and grow with the connection's needs up to the maxima
  // (receive: dynamic right-sizing; send: with cwnd), like Linux's tcp_rmem / tcp_wmem. A
  // maximum below the initial size means the initial size (autosizing off). SO_RCVBUF /
  // SO_SNDBUF fix a socket's size instead (TcpSockSettings).
  uint32_t send_buffer = 256 * 1024;            // bytes an application may queue for sending
  uint32_t receive_buffer = 256 * 1024;         // advertised receive window limit
  uint32_t send_buffer_max = 4 << 20;           // Linux's tcp_wmem[2]
  uint32_t receive_buffer_max = 6 << 20;        // Linux's tcp_rmem[2]
  Duration rto_initial = Duration::Seconds(1);  // RFC 6298 2.1
  Duration rto_min = Duration::Millis(200);     // Linux's minimum (RFC 6298 2.4 allows it)
  Duration rto_max = Duration::Seconds(60);     // RFC 6298 2.5
  Duration time_wait = Duration::Seconds(60);   // 2 MSL
  Duration delayed_ack = Duration::Millis(40);
  int syn_retries = 6;
  int max_retries = 15;           // data retransmissions before the connection is aborted
  uint16_t ephemeral_lo = 32768;  // ephemeral port range, inclusive
  uint16_t ephemeral_hi = 60999;
  uint32_t max_connections = 1 << 20;
  // Options offered on SYNs (and answered on SYN-ACKs when the peer offered them).
  bool window_scaling = true;                                // RFC 7323 2
  bool timestamps = true;                                    // RFC 7323 3
  bool sack = true;                                          // RFC 2018
  TcpEcnMode ecn = TcpEcnMode::kPassive;                     // RFC 3168
  TcpCongestionAlgo congestion = TcpCongestionAlgo::kCubic;  // like Linux's default
  // RFC 4987 3.6: answer SYNs statelessly once a listener's half-open queue is full.
  bool syn_cookies = true;
  // RFC 5961 7: challenge ACKs sent per second by the whole stack (0 = unlimited).
  uint32_t challenge_ack_limit = 1000;
  // RFC 8985 7: probe a possibly lost tail after about two round trips instead of the RTO.
  bool tail_loss_probe = true;
  // RFC 8985 6: RACK time-based loss detection with SACK (false: RFC 6675's DupThresh).
  bool rack = true;
  // Output during the application's turn: after every this many sends (0: never), the
  // connections written before the latest one are segmented and pushed to the device at
  // once instead of at the end of the turn, so that the peer works on them meanwhile (the
  // latest one waits: its next write may join the same segment).
  uint16_t early_output_sends = 0;
};

// Per-socket settings that must be known before the SYN goes out: SO_RCVBUF / SO_SNDBUF fix
// a buffer's size (and turn its autosizing off, Linux's buffer lock), TCP_MAXSEG clamps the
// MSS. Zero means "not set". A listener passes its settings to the connections it accepts.
struct TcpSockSettings {
  uint32_t rcvbuf = 0;    // receive buffer in bytes (also chooses the window scale)
  uint32_t sndbuf = 0;    // send buffer in bytes
  uint16_t user_mss = 0;  // upper bound for the MSS we advertise and send with
};

enum class TcpState : uint8_t {
  kClosed,
  kListen,
  kSynSent,
  kSynReceived,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kCloseWait,
  kClosing,
  kLastAck,
  kTimeWait,
};
const char* TcpStateName(TcpState s);

struct TcpCounters {
  uint64_t segs_in = 0;
  uint64_t segs_out = 0;
  uint64_t retrans_segs = 0;
  uint64_t rto_expired = 0;
  uint64_t active_opens = 0;
  uint64_t passive_opens = 0;
  uint64_t resets_in = 0;
  uint64_t resets_out = 0;
  uint64_t established_resets = 0;
  uint64_t drop_bad_checksum = 0;
  uint64_t drop_malformed = 0;
  uint64_t drop_no_connection = 0;  // answered with RST
  uint64_t drop_out_of_window = 0;
  uint64_t drop_listen_overflow = 0;
  uint64_t drop_no_memory = 0;
  uint64_t ooo_segments = 0;
  uint64_t connections_aborted = 0;  // timeouts
  uint64_t dup_acks_in = 0;
  uint64_t fast_retransmits = 0;        // recoveries entered on duplicate ACKs / SACK
  uint64_t sack_recoveries = 0;         // of which SACK-based (RFC 6675)
  uint64_t sack_retransmits = 0;        // segments retransmitted during recovery
  uint64_t dsacks_in = 0;               // D-SACK blocks received (RFC 2883)
  uint64_t challenge_acks = 0;          // RFC 5961 challenge ACKs sent
  uint64_t challenge_acks_limited = 0;  // suppressed by the rate limit
  uint64_t paws_drops = 0;              // RFC 7323 5 rejected old duplicates
  uint64_t spurious_undos = 0;          // Eifel (RFC 3522) undo of a spurious retransmission
  uint64_t dsack_undos = 0;  // RFC 3708: reductions undone, every retransmission D-SACKed
  uint64_t keepalive_probes = 0;
  uint64_t keepalive_timeouts = 0;
  uint64_t user_timeouts = 0;
  uint64_t time_wait_reused = 0;  // RFC 6191 / RFC 9293 3.6.1 TIME-WAIT assassination by SYN
  uint64_t ecn_ce_in = 0;         // RFC 3168 CE-marked segments received
  uint64_t ecn_reductions = 0;    // windows reduced on ECE
  uint64_t cookies_sent = 0;
  uint64_t cookies_validated = 0;
  uint64_t cookies_failed = 0;
  uint64_t icmp_errors_in = 0;           // ICMP errors accepted for a connection
  uint64_t drop_icmp_out_of_window = 0;  // RFC 5927: quoted sequence not in flight, or bogus
  uint64_t drop_icmp_no_connection = 0;
  uint64_t pmtu_updates = 0;           // RFC 1191: MSS lowered after "fragmentation needed"
  uint64_t tlp_probes = 0;             // RFC 8985 tail loss probes sent
  uint64_t tlp_recoveries = 0;         // probes that repaired a loss (window reduced)
  uint64_t rack_lost = 0;              // RFC 8985 6: segments RACK judged lost
  uint64_t rack_reorder_timeouts = 0;  // RFC 8985 6.3: losses found by the reordering timer
  uint64_t rcv_buf_grown = 0;          // receive buffers enlarged by autosizing
  uint64_t snd_buf_grown = 0;          // send buffers enlarged by autosizing
  uint64_t buf_growth_refused = 0;     // growths refused: packet buffers were tight
};

class TcpConnection;
class TcpListener;

class TcpLayer : public TransportHandler {
 public:
  TcpLayer(IpOutput& ip, TimerWheel& timers, Random& random, const TcpConfig& cfg);
  ~TcpLayer();
  TcpLayer(const TcpLayer&) = delete;
  TcpLayer& operator=(const TcpLayer&) = delete;

  // Network-layer input (TransportHandler).
  Delivery OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant now) override;
  void OnIcmpError(const IcmpErrorInfo& err, Instant now) override;

  // Passive open. addr may be Any. EADDRINUSE when taken.
  // `settings` go to every connection the listener accepts.
  Result<TcpListener*> Listen(Ipv4Addr addr, uint16_t port, int backlog, EventSink* sink,
                              const TcpSockSettings& settings = {});
  // Active open with `settings`; sends the SYN. local_port 0 picks an ephemeral port (EADDRNOTAVAIL
  // when none is free). The connection reports kEventOut when established, kEventErr on failure.
  Result<TcpConnection*> Connect(Ipv4Addr local, uint16_t local_port, Ipv4Addr remote,
                                 uint16_t remote_port, EventSink* sink, Instant now,
                                 const TcpSockSettings& settings = {});
  // Pops an established connection from the accept queue, or nullptr.
  TcpConnection* Accept(TcpListener* l, EventSink* sink);
  // Closes a listener; queued, unaccepted connections are reset.
  void CloseListener(TcpListener* l, Instant now);
  // RFC 9293 3.6.1 with Linux's bind rules: a connection the application closes keeps its
  // local port in use until it is freed (FIN-WAIT, LAST-ACK, TIME-WAIT), with the socket's
  // SO_REUSEADDR / SO_REUSEPORT as they were at close. Call just before c->Close().
  void HoldPortAfterClose(TcpConnection* c, bool reuse_addr, bool reuse_port);
  // Whether such a closed connection keeps a bind of (addr, port) with these options out.
  bool PortHeldAfterClose(Ipv4Addr addr, uint16_t port, bool reuse_addr, bool reuse_port) const;

  // Called once at the end of each poll iteration: sends coalesced ACKs and queued data.
  void Flush(Instant now);

  const TcpCounters& counters() const;
  size_t connection_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class TcpListener {
 public:
  virtual ~TcpListener() = default;
  virtual uint32_t events() const = 0;  // kEventIn when a connection waits to be accepted
  virtual size_t accept_queue_length() const = 0;
  virtual Ipv4Addr local_addr() const = 0;
  virtual uint16_t local_port() const = 0;
  // SO_RCVBUF / SO_SNDBUF / TCP_MAXSEG set on the listening socket: for connections that
  // arrive from now on.
  virtual void SetSettings(const TcpSockSettings& s) { (void)s; }
};

// A connection as the socket layer sees it. After Close() or Abort() the pointer must not be
// used again: the layer finishes the close (FIN_WAIT, TIME_WAIT) and frees the object.
class TcpConnection {
 public:
  virtual ~TcpConnection() = default;

  // Queues bytes for sending; returns how many were taken. EAGAIN when the send buffer is
  // full, EPIPE after shutdown(SHUT_WR) or once the peer reset, ENOTCONN before established.
  virtual Result<size_t> Send(std::span<const uint8_t> data, Instant now) = 0;
  // Reads in-order bytes. 0 means end of stream (FIN received and all read); EAGAIN when
  // nothing is ready; ECONNRESET (once) after a reset.
  virtual Result<size_t> Recv(std::span<uint8_t> out, Instant now) = 0;
  // Like Recv, but leaves the bytes queued (MSG_PEEK).
  virtual Result<size_t> Peek(std::span<uint8_t> out) {
    (void)out;
    return Error{EOPNOTSUPP};
  }
  // Zero-copy receive: moves up to max_chunks queued chunks (payload still in the mbufs it
  // arrived in) to *out; returns the bytes moved, with Recv's meaning of 0 and errors.
  virtual Result<size_t> RecvChunks(std::vector<RecvChunk>* out, size_t max_chunks) {
    (void)out, (void)max_chunks;
    return Error{EOPNOTSUPP};
  }
  // Zero-copy send: queues `len` bytes that start `offset` bytes into `bufs` (single-segment
  // packets, one after the other) by reference, without copying; those bytes must never
  // change afterwards. Returns how many were taken, with Send's errors. The caller keeps its
  // packets; the connection holds its own references until the bytes are acknowledged.
  virtual Result<size_t> SendRefs(std::span<const Packet> bufs, size_t offset, size_t len,
                                  Instant now) {
    (void)bufs, (void)offset, (void)len, (void)now;
    return Error{EOPNOTSUPP};
  }
  virtual size_t readable_bytes() const = 0;
  virtual size_t writable_bytes() const = 0;
  // SHUT_RD / SHUT_WR semantics; shutting down writing sends FIN after queued data.
  virtual void Shutdown(bool read, bool write, Instant now) = 0;
  // Application is done with the connection: like close(2). Unread data causes a RST
  // (RFC 9293 3.10.4 / RFC 2525 2.17), else a FIN after queued data.
  virtual void Close(Instant now) = 0;
  // Sends RST and drops the connection at once (SO_LINGER with zero linger).
  virtual void Abort(Instant now) = 0;

  virtual uint32_t events() const = 0;  // current readiness (kEvent* bits)
  virtual int TakeError() = 0;          // pending error for SO_ERROR (0 if none), cleared
  virtual TcpState state() const = 0;
  virtual void set_sink(EventSink* sink) = 0;
  virtual void set_nodelay(bool on) = 0;
  virtual Ipv4Addr local_addr() const = 0;
  virtual uint16_t local_port() const = 0;
  virtual Ipv4Addr remote_addr() const = 0;
  virtual uint16_t remote_port() const = 0;

  // Socket options. Defaults do nothing so test doubles need not implement them.
  // SO_KEEPALIVE / TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT (RFC 9293 3.8.4, RFC 1122
  // 4.2.3.6): probe after `idle` without input, every `intvl`, abort after `cnt` unanswered.
  virtual void SetKeepalive(bool on, Duration idle, Duration intvl, int cnt, Instant now) {
    (void)on, (void)idle, (void)intvl, (void)cnt, (void)now;
  }
  // TCP_USER_TIMEOUT (RFC 5482, RFC 9293 3.8.3): abort when sent data stays unacknowledged
  // this long (zero: off, the retry count applies).
  virtual void SetUserTimeout(Duration timeout) { (void)timeout; }
  // SO_LINGER: with on and a zero linger, Close() sends RST and drops queued data.
  virtual void SetLinger(bool on, Duration linger) { (void)on, (void)linger; }
  // TCP_CORK: hold partial segments while corked; uncorking sends them.
  virtual void SetCork(bool on) { (void)on; }
  // TCP_QUICKACK (as Linux): on acknowledges the next segments at once instead of delaying
  // (RFC 1122 4.2.3.2 allows either); not permanent, delayed ACKs come back by themselves.
  virtual void SetQuickAck(bool on, Instant now) { (void)on, (void)now; }
  virtual bool quick_ack() const { return false; }
  // Congestion controller of this connection (TCP_CONGESTION).
  virtual void SetCongestion(TcpCongestionAlgo algo) { (void)algo; }
  // SO_RCVBUF / SO_SNDBUF after the connection exists: a non-zero size fixes that buffer
  // (autosizing off); the window scale chosen on the SYN stays.
  virtual void SetBufferSizes(uint32_t rcvbuf, uint32_t sndbuf) { (void)rcvbuf, (void)sndbuf; }
  // Current buffer sizes (autosized or fixed), as SO_RCVBUF / SO_SNDBUF report them halved.
  virtual uint32_t receive_buffer() const { return 0; }
  virtual uint32_t send_buffer() const { return 0; }
  // TCP_INFO: Linux's struct tcp_info, times relative to `now`.
  virtual void GetInfo(struct tcp_info* out, Instant now) const { (void)out, (void)now; }
};

}  // namespace ustack
