// Session: one input of tcp_stateful_fuzz from start to end (see tcp_stateful_fuzz.cc for the
// format and what is checked). tcp_fuzz_session.cc holds setup, the step loop, the peer's
// segments and the end; tcp_fuzz_ops.cc decodes and runs the operations.
// Fuzz harness code only; single-threaded.
#pragma once

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <vector>

#include "tcp/connection.h"
#include "tcp_fuzz_checks.h"
#include "tcp_fuzz_model.h"
#include "tcp_fuzz_net.h"
#include "tcp_fuzz_wire.h"

struct rte_mempool;

namespace ustack::fuzz {

inline constexpr uint32_t kMaxIo = 70000;  // bytes per write or read call

// One step of an input.
enum class Op : uint8_t {
  kSegment,  // anything, relative to the connection's state
  kData,     // new, out-of-order, hole-filling or duplicate data
  kAck,      // cumulative, partial or duplicate ACK with SACK blocks and a window
  kFin,      // FIN at the peer's next sequence number
  kReplay,   // one of the last injected packets again
  kAdvance,  // the clock moves
  kWrite,    // application calls
  kRead,
  kShutdown,
  kSetOpt,
  kClose,
  kAbort,
  kMaxValue = kAbort,
};

// Records the readiness a connection reports (the socket layer's role).
class Sink final : public EventSink {
 public:
  void OnEvents(uint32_t events) override {
    last = events;
    ++count;
  }
  uint32_t last = 0;
  uint64_t count = 0;
};

class Session {
 public:
  Session(FuzzedDataProvider& in, rte_mempool* pool)
      : in_(in), pool_(pool), checker_(cfg_, peer_, seen_, app_) {}

  // Decodes and runs the whole input; fails the run through Fail() on any violation.
  void Run();

 private:
  // ---- Setup: a fresh stack and an established connection.
  void Setup();
  void OpenPassive();
  void OpenActive();
  void CheckNegotiation() const;
  void StartModels();
  OutSeg ExpectOne(const char* what);
  void SeenTimestamps(const OutSeg& s);

  // ---- Steps.
  void Step();
  bool Dispatch(Op op);  // true for network steps (input or time), false for socket calls
  void CheckEvents(const StepStart& start, uint64_t notes) const;
  void Trace(Op op) const;
  void TraceSegment(const char* dir, const TcpRepr& t, uint32_t len) const;
  void OpSegment();
  void OpData();
  void OpAck();
  void OpFin();
  void OpReplay();
  void OpAdvance();
  void OpWrite();
  void OpRead();
  void OpShutdown();
  void OpSetOpt();
  void OpClose(bool abort);
  // Chunks RecvChunks lent to the application, from stream offset `offset` on.
  struct Lent {
    std::vector<RecvChunk> chunks;
    uint64_t offset = 0;
  };
  void ReadChecked(size_t n);
  void PeekChecked(size_t n);
  void ReadChunksChecked(size_t max_chunks, bool keep);
  bool ReadReturnedData(const Result<size_t>& r, size_t readable);
  void CheckStreamBytes(std::span<const uint8_t> bytes, uint64_t from) const;
  void CheckChunks(const Lent& lent) const;
  void ReleaseLent();
  void CheckEndOfStream(size_t readable);
  void SetKeepalive(bool on);
  void CheckInfo() const;

  // ---- Segments from the peer.
  SegSpec Sane() const;
  uint32_t PeerTsNow() const;
  Seq32 SeqBase(uint8_t which) const;
  Seq32 AckBase(uint8_t which) const;
  void DecodeOptions(SegSpec& s);
  void AddSackBlocks(SegSpec& s, Seq32 base, int count);
  void Inject(const SegSpec& s);
  void RecordSent(const SegSpec& s);
  void RecordWl1(const SegSpec& s);
  void RecordWindow(const SegSpec& s);
  void Collect();

  // ---- The end.
  bool Owed() const;
  void ReadAll();
  void ElicitAck();
  void Drain();
  void PeerCloses();
  void Teardown();
  Instant now() const { return h_->now(); }

  FuzzedDataProvider& in_;
  rte_mempool* pool_;
  Sink listen_sink_;
  Sink sink_;
  TcpConfig cfg_;
  PeerModel peer_;
  SeenModel seen_;
  AppModel app_;
  Checker checker_;
  std::unique_ptr<FuzzNet> h_;
  Connection* conn_ = nullptr;  // while the application holds the connection
  uint16_t lport_ = 0, rport_ = 0;
  uint8_t teardown_ = 0;  // 0: close, the peer closes too; 1: close, silent peer; 2: abort
  unsigned baseline_in_use_ = 0;
  uint32_t ts_base_ = 0;  // the peer's timestamp clock at the start
  std::deque<SegSpec> history_;
  std::vector<Lent> lent_;
};

}  // namespace ustack::fuzz
