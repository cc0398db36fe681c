// Connection: one TCP connection, i.e. the TCB of RFC 9293 3.3.1 plus its buffers and timers,
// and the TcpConnection API the socket layer uses. The code is split by concern:
//   connection.cc  API calls (Send, Recv, Shutdown, Close, Abort), opens, teardown, readiness
//   input.cc       segment arrival (RFC 9293 3.10.7)
//   output.cc      segmentation, Nagle, window advertisement, ACK coalescing (Flush)
//   timers.cc      retransmission (RFC 6298), persist, delayed ACK, TIME-WAIT
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
#include "tcp/congestion.h"
#include "tcp/flow.h"
#include "tcp/recv_queue.h"
#include "tcp/rtt.h"
#include "tcp/send_buffer.h"
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

  bool has(uint8_t f) const { return (flags & f) != 0; }
  // SEG.LEN: payload plus one for each of SYN and FIN.
  uint32_t seg_len() const { return payload_len + (has(kTcpSyn) ? 1 : 0) + (has(kTcpFin) ? 1 : 0); }
};

// What the shared per-connection timer is currently doing.
enum class TimerKind : uint8_t { kNone, kRetransmit, kPersist, kTimeWait, kFinWait2 };

// Which listener list a passive connection is on.
enum class ListenQueue : uint8_t { kNone, kHalfOpen, kAccept };

class Connection final : public TcpConnection {
 public:
  Connection(TcpEngine& engine, const FourTuple& tuple, EventSink* sink, Instant now);
  ~Connection() override;

  // TcpConnection (connection.cc).
  Result<size_t> Send(std::span<const uint8_t> data, Instant now) override;
  Result<size_t> Recv(std::span<uint8_t> out, Instant now) override;
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

  // Engine-facing.
  const FourTuple& tuple() const { return tuple_; }
  void ActiveOpen(Instant now);                       // CLOSED -> SYN-SENT
  void PassiveOpen(const Segment& syn, Instant now);  // LISTEN -> SYN-RECEIVED
  void OnSegment(Segment& seg, Instant now);          // input.cc
  void Output(Instant now);                           // output.cc
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
  const RttEstimator& rtt() const { return rtt_; }
  const CongestionControl& cc() const { return *cc_; }
  TimerKind timer_kind() const { return timer_kind_; }
  Instant timer_deadline() const { return main_timer_.deadline(); }
  uint32_t ooo_count() const { return static_cast<uint32_t>(ooo_.count()); }

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
  void ApplySynOptions(const Segment& seg);
  // RFC 5961 hooks: today RFC 9293 rules; a challenge ACK policy slots in here.
  void OnUnexpectedSyn(Instant now);

  // --- output.cc.
  bool SendSyn(Instant now);  // SYN or SYN-ACK, by state
  void SendAck(Instant now);
  void SendRst(Seq32 seq, Instant now);
  Seq32 ControlSeq() const;  // sequence number for pure ACKs and RSTs
  bool SendSegment(Seq32 seq, uint8_t flags, uint32_t data_off, uint32_t data_len, Instant now);
  bool SendNext(bool force, Instant now);
  uint32_t NextSegmentLength(bool force, bool* fin) const;
  uint16_t WindowToAdvertise();
  uint32_t ReceiveSpace() const;
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

  // ACK coalescing (RFC 9293 3.8.6.3, RFC 1122 4.2.3.2).
  bool ack_pending_ = false;  // received data not yet acknowledged
  bool ack_now_ = false;      // acknowledge at the next Flush at the latest
  uint32_t unacked_bytes_ = 0;

  // Timers and estimators.
  Timer main_timer_;
  Timer delack_timer_;
  TimerKind timer_kind_ = TimerKind::kNone;
  RttEstimator rtt_;
  std::unique_ptr<CongestionControl> cc_;
  bool rtt_timing_ = false;  // RFC 6298 3 / Karn: one segment timed at a time
  Seq32 rtt_seq_;
  Instant rtt_start_;
  int retries_ = 0;        // consecutive retransmission timeouts
  int persist_shift_ = 0;  // persist timer backoff
  int probes_unanswered_ = 0;
  bool syn_retransmitted_ = false;

  bool nodelay_ = false;
  bool notify_ = false;
  ListenQueue listen_queue_ = ListenQueue::kNone;
  OwnedNode<Connection> listen_node_{this};
  OwnedNode<Connection> flush_node_{this};
  OwnedNode<Connection> all_node_{this};
};

}  // namespace ustack
