// Invariants tcp_stateful_fuzz checks: on every segment the stack sends after the handshake
// (OnOutbound) and on the connection's state after every step (CheckConnection). Each
// violation fails the run through Fail(). Fuzz harness code only.
#pragma once

#include <cstdint>
#include <vector>

#include "base/addr.h"
#include "base/time.h"
#include "tcp/connection.h"
#include "tcp/tcp.h"
#include "tcp_fuzz_model.h"
#include "tcp_fuzz_wire.h"

namespace ustack::fuzz {

// The connection as it was when a step began.
struct StepStart {
  TcpState state = TcpState::kClosed;
  Seq32 snd_una;
  Seq32 rcv_nxt;
  uint32_t events = 0;
  Seq32 send_edge;            // SND.UNA + SND.WND
  std::vector<SeqRange> ooo;  // out-of-order ranges held
};

StepStart Snapshot(const Connection& c);

// States in which the stack has taken the peer's FIN.
bool FinReceived(TcpState s);

class Checker {
 public:
  Checker(const TcpConfig& cfg, const PeerModel& peer, SeenModel& seen, const AppModel& app)
      : cfg_(cfg), peer_(peer), seen_(seen), app_(app) {}

  // The connection's addresses: segments for other ports must be RSTs.
  void SetTuple(Ipv4Addr local, uint16_t lport, Ipv4Addr remote, uint16_t rport);
  // A step begins: what the stack sends during the step may still use this window (timers
  // run first in a poll) and report these out-of-order ranges (recovery sends before the
  // segment's own text fills a hole).
  void BeginStep(const StepStart& start) {
    step_edge_ = start.send_edge;
    step_ooo_ = start.ooo;
  }
  // Checks one segment the stack sent after the handshake and folds it into SeenModel.
  // `held` is the connection while the application holds it (else nullptr).
  void OnOutbound(const OutSeg& s, const Connection* held);
  // Checks the connection (still held by the application) after a step.
  void CheckConnection(const Connection& c, const StepStart& start) const;

 private:
  void CheckSequence(const OutSeg& s) const;
  void CheckNewData(const OutSeg& s, const Connection& c) const;
  void CheckPayload(const OutSeg& s, int64_t off) const;
  void CheckAck(const OutSeg& s) const;
  void CheckWindow(const OutSeg& s) const;
  void CheckOptions(const OutSeg& s, const Connection* held) const;
  void CheckSack(const TcpSackBlock& b, Seq32 ack, const Connection* held) const;
  void CheckEcn(const OutSeg& s) const;
  static bool IsDsack(const TcpOptions& o, Seq32 ack);
  void CheckDsack(const TcpSackBlock& b) const;
  void Fold(const OutSeg& s);

  void CheckSendSide(const Connection& c, const StepStart& start) const;
  void CheckReceiveSide(const Connection& c, const StepStart& start) const;
  void CheckScoreboard(const Connection& c) const;
  void CheckTimers(const Connection& c) const;
  void CheckEstimators(const Connection& c) const;

  const TcpConfig& cfg_;
  const PeerModel& peer_;
  SeenModel& seen_;
  const AppModel& app_;
  Ipv4Addr local_, remote_;
  uint16_t lport_ = 0, rport_ = 0;
  Seq32 step_edge_;
  std::vector<SeqRange> step_ooo_;
};

// RFC 9293 3.3.2 (Figure 5): may a held connection move from `from` to `to` in one step?
bool TransitionAllowed(TcpState from, TcpState to);

}  // namespace ustack::fuzz
