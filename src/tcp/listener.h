// Listener: a passive-open endpoint (RFC 9293 3.10.1 LISTEN). It keeps two intrusive lists
// of connections it spawned: half-open ones in SYN-RECEIVED and established ones waiting for
// Accept. Both are bounded by the backlog; the TcpEngine owns the connections themselves.
// Invariants: a connection is on at most one of the lists, and its listen_queue() says which.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/events.h"
#include "base/intrusive_list.h"
#include "tcp/connection.h"
#include "tcp/tcp.h"

namespace ustack {

class Listener final : public TcpListener {
 public:
  Listener(Ipv4Addr addr, uint16_t port, int backlog, EventSink* sink)
      : addr_(addr),
        port_(port),
        limit_(backlog < 1 ? 1 : static_cast<size_t>(backlog)),
        sink_(sink) {}
  ~Listener() override;

  uint32_t events() const override { return accept_count_ > 0 ? kEventIn : 0; }
  size_t accept_queue_length() const override { return accept_count_; }
  Ipv4Addr local_addr() const override { return addr_; }
  uint16_t local_port() const override { return port_; }
  void SetSettings(const TcpSockSettings& s) override { settings_ = s; }
  const TcpSockSettings& settings() const { return settings_; }

  // Room for one more half-open connection (and, eventually, for it in the accept queue).
  bool CanTakeSyn() const { return half_open_count_ < limit_ && accept_count_ < limit_; }
  bool AcceptQueueFull() const { return accept_count_ >= limit_; }
  bool HalfOpenFull() const { return half_open_count_ >= limit_; }
  size_t half_open_count() const { return half_open_count_; }

  void AddHalfOpen(Connection* c);
  // SYN-RECEIVED -> ESTABLISHED: moves c to the accept queue and tells the sink.
  void MoveToAcceptQueue(Connection* c);
  // Takes c off whichever list it is on.
  void Remove(Connection* c);
  // Pops the oldest established connection, or nullptr.
  Connection* PopAccepted();
  // Pops any connection (accepted first, then half-open), for CloseListener.
  Connection* PopAny();

 private:
  Ipv4Addr addr_;
  uint16_t port_;
  size_t limit_;
  EventSink* sink_;
  TcpSockSettings settings_;  // for the connections it spawns (SO_RCVBUF, TCP_MAXSEG, ...)
  ListHead half_open_;
  ListHead accepted_;
  size_t half_open_count_ = 0;
  size_t accept_count_ = 0;
};

}  // namespace ustack
