// TcpEngine: the implementation behind TcpLayer (which only forwards to it). It owns the
// connection and listener tables, demultiplexes input, opens connections, runs Flush, and
// offers connections the services they need (IP output, timers, config, counters, ISNs).
// Ownership: every Connection is owned here (all_ list, freed via Retire + Reap at the end of
// each entry point, so no object is freed while its own code runs); listeners likewise.
// Invariants: the 4-tuple table maps only connections that are not CLOSED; a connection is on
// the flush list at most once.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/block_cache.h"
#include "base/flat_table.h"
#include "base/intrusive_list.h"
#include "net/ip_output.h"
#include "tcp/connection.h"
#include "tcp/flow.h"
#include "tcp/isn.h"
#include "tcp/listener.h"
#include "tcp/port_holds.h"
#include "tcp/syn_cookies.h"
#include "tcp/tcp.h"

namespace ustack {

class TcpEngine {
 public:
  TcpEngine(IpOutput& ip, TimerWheel& timers, Random& random, const TcpConfig& cfg);
  ~TcpEngine();
  TcpEngine(const TcpEngine&) = delete;
  TcpEngine& operator=(const TcpEngine&) = delete;

  // TcpLayer's API.
  Delivery OnIpv4(Packet& pkt, const Ipv4Info& ip, Instant now);
  void OnIcmpError(const IcmpErrorInfo& err, Instant now);  // icmp_errors.cc
  Result<TcpListener*> Listen(Ipv4Addr addr, uint16_t port, int backlog, EventSink* sink,
                              const TcpSockSettings& settings);
  Result<TcpConnection*> Connect(Ipv4Addr local, uint16_t local_port, Ipv4Addr remote,
                                 uint16_t remote_port, EventSink* sink, Instant now,
                                 const TcpSockSettings& settings);
  TcpConnection* Accept(TcpListener* l, EventSink* sink);
  void CloseListener(TcpListener* l, Instant now);
  void HoldPortAfterClose(Connection* c, bool reuse_addr, bool reuse_port);
  bool PortHeldAfterClose(Ipv4Addr addr, uint16_t port, bool reuse_addr, bool reuse_port) const;
  void Flush(Instant now);
  const TcpCounters& counters() const { return counters_; }
  size_t connection_count() const { return connection_count_; }

  // Services for connections.
  IpOutput& ip() { return ip_; }
  TimerWheel& timers() { return timers_; }
  const TcpConfig& config() const { return cfg_; }
  TcpCounters& stats() { return counters_; }
  const IsnGenerator& isn() const { return isn_; }
  Random& random() { return random_; }
  // Per-connection buffers' first blocks, reused across connections.
  BlockCache& blocks() { return blocks_; }
  // RFC 5961 7: true while this second's challenge ACK budget lasts.
  bool AllowChallengeAck(Instant now);
  // The MSS we advertise towards `remote` (RFC 9293 3.7.1: path MTU minus 40).
  uint16_t MssFor(Ipv4Addr remote) const;
  void ScheduleFlush(Connection* c);
  // After an application send on `latest`: every config().early_output_sends sends, outputs
  // the other scheduled connections and pushes their frames to the device.
  void OutputEarly(Connection* latest, Instant now);
  void Unhash(Connection* c);
  // Frees c at the next safe point (end of the current entry point).
  void Retire(Connection* c);
  void Reap();

 private:
  Connection* Find(const FourTuple& t) const;
  Listener* FindListener(Ipv4Addr addr, uint16_t port) const;
  bool ParseSegment(Packet& pkt, const Ipv4Info& ip, Segment* seg, FourTuple* t);
  void ListenInput(Listener* l, const FourTuple& t, Segment& seg, Instant now);
  // RFC 4987 3.6: a stateless SYN-ACK carrying a cookie, and the check of the returning ACK.
  void SendCookie(const FourTuple& t, const Segment& syn, const TcpSockSettings& s, Instant now);
  bool TryCookie(Listener* l, const FourTuple& t, Segment& ack, Instant now);
  // RFC 9293 3.10.7.1: the reply to a segment for which no connection exists.
  void ResetNoConnection(const FourTuple& t, const Segment& seg, Instant now);
  Result<uint16_t> PickEphemeralPort(Ipv4Addr local, Ipv4Addr remote, uint16_t remote_port);
  Connection* Create(const FourTuple& t, EventSink* sink, const TcpSockSettings& s, Instant now);
  static uint64_t ListenKey(Ipv4Addr a, uint16_t port) { return uint64_t{a.v} << 16 | port; }
  void FreeConnection(Connection* c);

  struct TupleOf {
    const FourTuple& operator()(const Connection* c) const { return c->tuple(); }
  };

  IpOutput& ip_;
  TimerWheel& timers_;
  Random& random_;
  TcpConfig cfg_;
  IsnGenerator isn_;
  SynCookies cookies_;
  TcpCounters counters_;
  FlatTable<Connection*, FourTuple, TupleOf, FourTupleHash> table_;
  FourTupleHash port_hash_;  // RFC 6056 F(), keyed with a secret
  uint32_t next_ephemeral_;  // RFC 6056 next_ephemeral
  // Ports of closed, not yet freed connections (HoldPortAfterClose); keyed from
  // port_hash_'s secret, no draw of its own, so the stack's random sequence stays as it was.
  PortHolds port_holds_;
  std::unordered_map<uint64_t, std::unique_ptr<Listener>> listeners_;
  ListHead all_;
  ListHead flush_list_;
  uint32_t sends_since_flush_ = 0;  // for OutputEarly
  std::vector<Connection*> retired_;
  // Memory of freed connections kept for the next ones (at most kSpareConnections), so a
  // short connection's largest object is not a fresh heap block each time.
  std::vector<void*> spare_conns_;
  // First-size send rings, receive chunk rings and sent logs freed by connections, for the
  // next ones. Outlives every connection: they are all freed in ~TcpEngine's body.
  BlockCache blocks_;
  size_t connection_count_ = 0;
  Instant challenge_window_;
  uint32_t challenge_count_ = 0;
};

// Builds and sends one segment of `t` in `pkt` (fresh from AllocTx): payload copied from
// `data` at `data_off` (data_len <= pkt.tailroom()), then the header from `hdr` and the
// checksum. Counts segs_out (and resets_out for RST).
// `tos` carries the ECN field (RFC 3168 5: ECT(0) on new data of an ECN connection).
void EmitSegment(IpOutput& ip, TcpCounters& counters, const FourTuple& t, const TcpRepr& hdr,
                 Packet pkt, const SendBuffer* data, uint32_t data_off, uint32_t data_len,
                 Instant now, uint8_t tos = 0);

}  // namespace ustack
