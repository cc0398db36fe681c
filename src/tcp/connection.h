// Connection: one TCP connection, i.e. the TCB of RFC 9293 3.3.1 plus its buffers and timers,
// and the TcpConnection API the socket layer uses. The code is split by concern:
//   connection.cc  API calls (Send, Recv, Shutdown, Close, Abort), opens, teardown, readiness
//   input.cc       segment arrival (RFC 9293 3.10.7, RFC 5961)
//   output.cc      segmentation, Nagle, window advertisement, ACK coalescing (Flush)
//   options.cc     window scaling, timestamps, PAWS, SACK-permitted (RFC 7323, RFC 2018)
//   recovery.cc    fast retransmit, NewReno, SACK recovery, PRR, Eifel undo
//   timers.cc      retransmission (RFC 6298), persist, delayed ACK, TIME-WAIT, keepalive
//   info.cc        TCP_INFO and socket-option setters
//   tlp.cc         tail loss probe (RFC 8985 7)
//   loss_detection.cc  RACK time-based loss detection and its reordering timer (RFC 8985 6)
//   icmp_errors.cc ICMP errors: path MTU (RFC 1191, RFC 5927), hard and soft errors
// Ownership: the TcpEngine owns every Connection. The socket layer holds a pointer while
// user_holds() (from Connect/Accept until Close/Abort); the engine frees the object once it
// is CLOSED and not held (TIME-WAIT expiry, LAST-ACK completion, reset, abort).
// Invariants: snd_una <= snd_nxt <= snd_max; once the SYN is acknowledged, send buffer byte 0
// is the byte at snd_una; rcv_adv (right edge last advertised) never moves left.
#pragma once

#include <cstdint>
#include <memory>
#include <span>

#include "base/intrusive_list.h"
#include "base/seq32.h"
#include "buf/packet.h"
#include "tcp/autosize.h"
#include "tcp/congestion.h"
#include "tcp/congestion_slot.h"
#include "tcp/dsack_undo.h"
#include "tcp/flow.h"
#include "tcp/rack.h"
#include "tcp/recv_queue.h"
#include "tcp/rtt.h"
#include "tcp/sack.h"
#include "tcp/send_buffer.h"
#include "tcp/sent_log.h"
#include "tcp/syn_cookies.h"
#include "tcp/tcp.h"
#include "wire/tcp.h"

namespace ustack {

class TcpEngine;
class Listener;

// A validated incoming segment (the SEG.* variables of RFC 9293 3.3.1). The payload is
// [payload_off, payload_off + payload_len) of *pkt; input may move the packet out to keep it.
struct Segment {
  Seq32 seq;
  Seq32 ack;
  uint8_t flags = 0;
  uint16_t window = 0;
  TcpOptions options;
  Packet* pkt = nullptr;
  uint32_t payload_off = 0;
  uint32_t payload_len = 0;
  bool ce = false;  // the IP header carried CE (RFC 3168 5)

  bool has(uint8_t f) const { return (flags & f) != 0; }
  // SEG.LEN: payload plus one for each of SYN and FIN.
  uint32_t seg_len() const { return payload_len + (has(kTcpSyn) ? 1 : 0) + (has(kTcpFin) ? 1 : 0); }
};

// RFC 7323 2.3: the window shift for a receive buffer of `buffer` bytes (at most 14).
uint8_t WindowShiftFor(uint32_t buffer);

// What the shared per-connection timer is currently doing.
enum class TimerKind : uint8_t {
  kNone,
  kRetransmit,
  kLossProbe,
  kReorder,
  kPersist,
  kTimeWait,
  kFinWait2
};

// Which listener list a passive connection is on.
enum class ListenQueue : uint8_t { kNone, kHalfOpen, kAccept };

class Connection final : public TcpConnection {
 public:
  Connection(TcpEngine& engine, const FourTuple& tuple, EventSink* sink,
             const TcpSockSettings& settings, Instant now);
  ~Connection() override;

  // TcpConnection (connection.cc).
  Result<size_t> Send(std::span<const uint8_t> data, Instant now) override;
  Result<size_t> Recv(std::span<uint8_t> out, Instant now) override;
  Result<size_t> Peek(std::span<uint8_t> out) override;
  Result<size_t> RecvChunks(std::vector<RecvChunk>* out, size_t max_chunks) override;
  Result<size_t> SendRefs(std::span<const Packet> bufs, size_t offset, size_t len,
                          Instant now) override;
  size_t readable_bytes() const override { return rcv_q_.size(); }
  size_t writable_bytes() const override;
  void Shutdown(bool read, bool write, Instant now) override;
  void Close(Instant now) override;
  void Abort(Instant now) override;
  uint32_t events() const override;
  int TakeError() override;
  TcpState state() const override { return state_; }
  void set_sink(EventSink* sink) override { sink_ = sink; }
  void set_nodelay(bool on) override;
  Ipv4Addr local_addr() const override { return tuple_.local; }
  uint16_t local_port() const override { return tuple_.local_port; }
  Ipv4Addr remote_addr() const override { return tuple_.remote; }
  uint16_t remote_port() const override { return tuple_.remote_port; }
  // Options and TCP_INFO (info.cc, timers.cc).
  void SetKeepalive(bool on, Duration idle, Duration intvl, int cnt, Instant now) override;
  void SetUserTimeout(Duration timeout) override { user_timeout_ = timeout; }
  void SetLinger(bool on, Duration linger) override;
  void SetCork(bool on) override;
  void SetQuickAck(bool on, Instant now) override;
  bool quick_ack() const override { return quick_acks_ > 0; }
  void SetCongestion(TcpCongestionAlgo algo) override;
  void SetBufferSizes(uint32_t rcvbuf, uint32_t sndbuf) override;
  uint32_t receive_buffer() const override { return rcv_buf_; }
  uint32_t send_buffer() const override { return snd_buf_.capacity(); }
  void GetInfo(struct tcp_info* out, Instant now) const override;

  // Engine-facing.
  const FourTuple& tuple() const { return tuple_; }
  void ActiveOpen(Instant now);                       // CLOSED -> SYN-SENT
  void PassiveOpen(const Segment& syn, Instant now);  // LISTEN -> SYN-RECEIVED
  // LISTEN -> ESTABLISHED on the ACK that returns a valid SYN cookie (RFC 4987 3.6).
  void CookieOpen(const Segment& ack, uint16_t mss, bool ts, const CookieOptions& o, Instant now);
  void OnSegment(Segment& seg, Instant now);  // input.cc
  // An ICMP error quoting one of our segments, `seq` its sequence number (icmp_errors.cc).
  void OnIcmpError(const IcmpErrorInfo& err, Seq32 seq, Instant now);
  void Output(Instant now);  // output.cc
  // Sends RST (when synchronized) and tears down at once; used by Abort and CloseListener.
  void ResetAndClose(Instant now);

  bool user_holds() const { return user_holds_; }
  void set_user_holds(bool v) { user_holds_ = v; }
  Listener* listener() const { return listener_; }
  void set_listener(Listener* l) { listener_ = l; }
  ListenQueue listen_queue() const { return listen_queue_; }
  void set_listen_queue(ListenQueue q) { listen_queue_ = q; }
  ListNode& listen_node() { return listen_node_; }
  ListNode& flush_node() { return flush_node_; }
  ListNode& all_node() { return all_node_; }
  bool retired() const { return retired_; }
  void MarkRetired() { retired_ = true; }
  void CancelTimers();

  // Introspection for tests and, later, TCP_INFO / netstat.
  Seq32 snd_una() const { return snd_una_; }
  Seq32 snd_nxt() const { return snd_nxt_; }
  Seq32 rcv_nxt() const { return rcv_nxt_; }
  uint32_t snd_wnd() const { return snd_wnd_; }
  uint16_t snd_mss() const { return snd_mss_; }
  uint16_t our_mss() const { return our_mss_; }
  uint32_t rcv_buf() const { return rcv_buf_; }
  const RcvAutosize& rcv_autosize() const { return rcv_auto_; }
  const RttEstimator& rtt() const { return rtt_; }
  const CongestionControl& cc() const { return *cc_; }
  TimerKind timer_kind() const { return timer_kind_; }
  Instant timer_deadline() const { return main_timer_.deadline(); }
  uint32_t ooo_count() const { return static_cast<uint32_t>(ooo_.count()); }
  const ReassemblyQueue& reassembly() const { return ooo_; }
  bool ws_ok() const { return ws_ok_; }
  uint8_t snd_wscale() const { return snd_wscale_; }
  uint8_t rcv_wscale() const { return rcv_wscale_; }
  bool ts_ok() const { return ts_ok_; }
  bool ecn_ok() const { return ecn_ok_; }
  bool sack_ok() const { return sack_ok_; }
  bool in_recovery() const { return in_recovery_; }
  const SackScoreboard& scoreboard() const { return sack_board_; }
  Seq32 rcv_adv() const { return rcv_adv_; }
  // TIME-WAIT: may a new SYN reuse this connection's 4-tuple (RFC 6191, RFC 9293 3.6.1)?
  bool TimeWaitAcceptsSyn(const Segment& syn) const;

 private:
  // --- connection.cc: state changes and teardown.
  void SetState(TcpState s);
  void OnEstablished(Instant now);
  // RFC 9293 3.10.7: enter CLOSED, reporting `error` (0 for an orderly end).
  void EnterClosed(int error);
  void EnterTimeWait(Instant now);
  void QueueFin();
  void Notify() { notify_ = true; }
  void DeliverEvents();
  bool SynAcked() const { return snd_una_ != iss_; }
  bool FinAcked() const { return fin_queued_ && snd_una_ > fin_seq_; }
  bool ReceiveClosed() const { return fin_received_ || state_ == TcpState::kClosed; }

  // --- input.cc.
  void InputSynSent(Segment& seg, Instant now);
  void InputSynchronized(Segment& seg, Instant now);
  bool Acceptable(const Segment& seg) const;
  void TrimToWindow(Segment& seg);
  bool RstAcceptable(const Segment& seg) const;
  void OnRst(Instant now);
  bool CheckAck(Segment& seg, Instant now);
  void ProcessAck(const Segment& seg, Instant now);
  void UpdateSendWindow(const Segment& seg);
  void TakeRttSample(Seq32 ack, Instant now);
  void AfterAckStateChanges(Instant now);
  void ProcessText(Segment& seg, Instant now);
  void ProcessFin(Instant now);
  void NoteDuplicateData(const Segment& seg);
  // RFC 5961 3.2 / 4.2 / 5.2: a rate-limited challenge ACK.
  void SendChallengeAck(Instant now);
  void OnUnexpectedSyn(Instant now);

  // --- tlp.cc: tail loss probe (RFC 8985 7).
  bool TlpEligible() const;
  Duration ProbeTimeout() const;
  void ArmSendTimer(Instant now);  // the PTO when a probe may go, else the RTO
  void OnLossProbe(Instant now);
  bool RetransmitLast(Instant now);
  void TlpOnAck(const Segment& seg, bool advanced, bool dsack, Instant now);

  // --- loss_detection.cc: RACK (RFC 8985 6).
  bool UseRack() const;
  void RackOnAck(const Segment& seg, bool dsack, Instant now);
  void RackDetect(Instant now);
  void OnReorderTimeout(Instant now);
  bool MayEnterRecovery() const;
  void RetransmitLostOpen(Instant now);

  // --- icmp_errors.cc.
  void OnPathMtu(const IcmpErrorInfo& err, Instant now);

  // --- options.cc.
  void ApplySynOptions(const Segment& seg, Instant now);
  void BuildOptions(uint8_t flags, uint32_t data_len, TcpOptions* o, Instant now);
  bool PawsAccept(const Segment& seg, Instant now);
  bool DisorderedAck(const Segment& seg, uint32_t behind) const;
  void UpdateTsRecent(const Segment& seg, Instant now);
  bool TimestampRttSample(const Segment& seg, Instant now);
  uint32_t TsNow(Instant now);  // monotone even if `now` steps back
  uint32_t MaxPayload() const;  // payload bytes per full segment (MSS minus options)
  uint32_t PeerWindow(const Segment& seg) const;
  uint8_t RcvShift() const { return ws_ok_ ? rcv_wscale_ : 0; }
  // RFC 3168: negotiation on SYNs, CE/CWR on input, ECE response on ACKs.
  void EcnOnSyn(const Segment& seg);
  void EcnOnInput(const Segment& seg, Instant now);
  uint8_t EcnFlags(uint8_t flags, bool new_data);

  // --- recovery.cc.
  bool IsDupAck(const Segment& seg, uint32_t sacked_new) const;
  uint32_t PipeEstimate() const;
  void OnAckRecovery(uint32_t acked, uint32_t sacked_new, bool dup, Instant now);
  void EnterRecovery(uint32_t delivered, Instant now);
  void ExitRecovery();
  uint32_t RetransmitHole(Instant now);
  void RecoveryOutput(Instant now);
  uint32_t SendNewDataInRecovery(Instant now);
  void SaveUndo(Instant now);
  void CheckSpurious(const Segment& seg);
  void CheckDsackUndo(const Segment& seg, bool dsack);  // RFC 3708
  void UndoReduction();

  // --- output.cc.
  bool SendSyn(Instant now);  // SYN or SYN-ACK, by state
  void SendAck(Instant now);
  void SendRst(Seq32 seq, Instant now);
  Seq32 ControlSeq() const;  // sequence number for pure ACKs and RSTs
  bool SendSegment(Seq32 seq, uint8_t flags, uint32_t data_off, uint32_t data_len, Instant now);
  bool SendNext(bool force, Instant now);
  uint32_t NextSegmentLength(bool force, bool* fin) const;
  uint16_t WindowToAdvertise(bool syn);
  uint32_t ReceiveSpace() const;
  // Buffer autosizing (buffers.cc): grow the receive buffer to what the application reads per
  // round trip, the send buffer with cwnd; a fixed (SO_RCVBUF / SO_SNDBUF) size stays.
  void RcvSpaceAdjust(Instant now);
  Seq32 CopiedSeq() const;
  void RcvRttOnData(const Segment& seg, Instant now);
  void SndBufExpand();
  void AckSent();
  // Makes sure a retransmission or persist timer runs whenever something is owed.
  void EnsureTimer(Instant now);
  void MaybeWindowUpdate();

  // --- timers.cc.
  static void MainTimerFired(void* ctx, Instant now);
  static void DelackTimerFired(void* ctx, Instant now);
  void ArmTimer(TimerKind kind, Duration after, Instant now);
  void StopTimer(TimerKind kind);
  void OnRetransmitTimeout(Instant now);
  void OnPersistTimeout(Instant now);
  Duration PersistInterval() const;
  void ScheduleAck(uint32_t bytes, Instant now);
  static void KeepaliveTimerFired(void* ctx, Instant now);
  void ArmKeepalive(Instant now);
  bool UserTimedOut(Instant now) const;

  TcpEngine& engine_;
  FourTuple tuple_;
  EventSink* sink_;
  Listener* listener_ = nullptr;
  TcpState state_ = TcpState::kClosed;

  // Send sequence space (RFC 9293 3.3.1); snd_max is the highest sequence sent so far.
  Seq32 iss_;
  Seq32 snd_una_;
  Seq32 snd_nxt_;
  Seq32 snd_max_;
  Seq32 snd_wl1_;
  Seq32 snd_wl2_;
  uint32_t snd_wnd_ = 0;
  uint32_t max_snd_wnd_ = 0;
  uint16_t snd_mss_ = 536;  // effective send MSS (RFC 9293 3.7.1)
  uint16_t our_mss_ = 536;  // MSS we advertise

  // Receive sequence space.
  Seq32 irs_;
  Seq32 rcv_nxt_;
  Seq32 rcv_adv_;  // right edge of the window last advertised
  uint32_t rcv_mss_ = 536;
  uint32_t rcv_buf_ = 0;         // receive buffer: RCV.WND is at most this minus unread bytes
  bool rcv_buf_locked_ = false;  // SO_RCVBUF: fixed size, no autosizing
  bool snd_buf_locked_ = false;  // SO_SNDBUF
  RcvAutosize rcv_auto_;

  SendBuffer snd_buf_;
  RecvQueue rcv_q_;
  ReassemblyQueue ooo_;

  // Closing.
  bool fin_queued_ = false;  // shutdown(SHUT_WR) or close: a FIN follows the queued data
  Seq32 fin_seq_;            // sequence number of our FIN once queued
  bool fin_received_ = false;
  bool read_shutdown_ = false;
  bool write_error_ = false;  // reset or timed out: Send fails with EPIPE
  bool user_holds_ = false;
  bool retired_ = false;
  int pending_error_ = 0;
  int soft_error_ = 0;  // from an ICMP error; reported instead of ETIMEDOUT on a timeout

  // ACK coalescing (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2).
  bool ack_pending_ = false;  // received data not yet acknowledged
  bool ack_now_ = false;      // acknowledge at the next Flush at the latest
  uint32_t unacked_bytes_ = 0;
  uint8_t quick_acks_ = 0;  // TCP_QUICKACK: segments still to acknowledge at once

  // Timers and estimators.
  Timer main_timer_;
  Timer delack_timer_;
  TimerKind timer_kind_ = TimerKind::kNone;
  RttEstimator rtt_;
  CongestionSlot cc_;
  bool rtt_timing_ = false;  // RFC 6298 3 / Karn: one segment timed at a time
  Seq32 rtt_seq_;
  Instant rtt_start_;
  int retries_ = 0;        // consecutive retransmission timeouts
  int persist_shift_ = 0;  // persist timer backoff
  int probes_unanswered_ = 0;
  bool syn_retransmitted_ = false;

  // Options (RFC 7323, RFC 2018), see options.cc.
  bool ws_ok_ = false;
  uint8_t snd_wscale_ = 0;  // peer's shift: applied to windows we receive
  uint8_t rcv_wscale_ = 0;  // our shift: applied to windows we send
  bool ts_ok_ = false;
  uint32_t ts_offset_ = 0;
  uint32_t ts_last_ = 0;  // last TSval sent
  bool ts_started_ = false;
  uint32_t ts_recent_ = 0;
  Instant ts_recent_at_;
  Seq32 last_ack_sent_;  // RFC 7323 4.3 Last.ACK.sent
  bool sack_ok_ = false;
  SackScoreboard sack_board_;
  SackReporter sack_rep_;
  SentLog sent_log_;  // per-segment send times and marks, kept when RACK runs
  Rack rack_;
  // ECN (RFC 3168 6.1).
  bool ecn_ok_ = false;
  bool ece_pending_ = false;  // receiver: echo ECE until CWR arrives
  bool cwr_pending_ = false;  // sender: set CWR on the next new data segment
  bool ecn_recover_valid_ = false;
  Seq32 ecn_recover_;  // one reduction per window of data

  // Loss recovery, see recovery.cc.
  uint32_t dup_acks_ = 0;
  bool in_recovery_ = false;
  bool recover_valid_ = false;
  Seq32 recover_;   // RFC 6582 "recover" / RFC 6675 RecoveryPoint
  Seq32 high_rxt_;  // RFC 6675 HighRxt
  uint32_t prr_delivered_ = 0;
  uint32_t prr_last_delivered_ = 0;
  int64_t prr_out_ = 0;
  uint32_t recover_fs_ = 1;
  bool undo_valid_ = false;
  uint32_t undo_cwnd_ = 0;
  uint32_t undo_ssthresh_ = 0;
  uint32_t undo_tsval_ = 0;
  Seq32 undo_una_;
  DsackUndo dsack_undo_;  // RFC 3708: the episode's retransmissions, for D-SACK undo
  uint32_t total_retrans_ = 0;
  // Tail loss probe (RFC 8985 7.4): TLP.end_seq and TLP.is_retrans of the probe in flight.
  bool tlp_in_flight_ = false;
  bool tlp_retrans_ = false;
  Seq32 tlp_end_;

  // Keepalive, user timeout, linger, cork; times for TCP_INFO.
  Timer keepalive_timer_;
  bool keepalive_ = false;
  Duration ka_idle_ = Duration::Seconds(7200);
  Duration ka_intvl_ = Duration::Seconds(75);
  int ka_cnt_ = 9;
  int ka_probes_ = 0;
  Duration user_timeout_ = Duration::Nanos(0);
  Instant una_since_;  // when the oldest unacknowledged data was last acknowledged into
  bool linger_zero_ = false;
  bool cork_ = false;
  Instant last_recv_;
  Instant last_data_recv_;
  Instant last_data_sent_;
  Instant last_ack_recv_;

  bool nodelay_ = false;
  bool notify_ = false;
  ListenQueue listen_queue_ = ListenQueue::kNone;
  OwnedNode<Connection> listen_node_{this};
  OwnedNode<Connection> flush_node_{this};
  OwnedNode<Connection> all_node_{this};
};

}  // namespace ustack
