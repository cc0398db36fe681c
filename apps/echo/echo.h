// ustack-echo's logic, independent of the backend: a TCP/UDP echo server and a load
// client that keeps `pipeline` fixed-size requests in flight on each of `conns`
// connections (or UDP sockets) and measures each request's round trip. Everything runs as
// coroutines on one co::Scheduler. Ownership: the caller owns the scheduler and options,
// which must outlive the returned tasks; results are written into caller-owned structs.
#pragma once

#include <cstdint>
#include <string>

#include "base/latency_histogram.h"
#include "ustack/co.h"

namespace ustack::echo {

// A duration in microseconds, for reports.
inline double Micros(Duration d) { return static_cast<double>(d.nanos()) / 1e3; }

struct ServerOptions {
  sockaddr_in addr = {};
  bool udp = false;
  bool sink = false;         // TCP: read and discard; at end of stream send the 8-byte count
  uint32_t buf = 64 * 1024;  // read buffer per connection
  uint32_t ports = 1;        // TCP: listen on ports [addr port, addr port + ports)
};

struct ServerStats {
  uint64_t connections = 0;
  uint64_t open = 0;  // connections being served now
  uint64_t bytes = 0;
  uint64_t datagrams = 0;
  uint64_t errors = 0;
};

struct ClientOptions {
  sockaddr_in addr = {};
  bool udp = false;
  uint32_t conns = 1;
  uint32_t size = 64;
  uint32_t pipeline = 1;
  Duration duration = Duration::Seconds(5);
  Duration udp_timeout = Duration::Millis(200);  // a datagram not echoed by then is lost
};

struct ClientStats {
  uint64_t requests = 0;  // echoed requests (and latency samples)
  uint64_t errors = 0;    // failed or wrong replies, broken connections
  uint64_t connect_errors = 0;
  uint64_t lost = 0;         // UDP datagrams not echoed within udp_timeout
  uint32_t conns_ok = 0;     // connections (sockets) that were set up
  Duration elapsed;          // from start to the end of the measurement
  LatencyHistogram latency;  // round trips; reported in microseconds to 0.01
};

// Serves until the context is cancelled or the listening socket fails. `stats` must
// outlive it. Returns 0, or -errno if the socket could not be set up.
co::Task<int> RunServer(co::Scheduler& sched, ServerOptions opts, ServerStats* stats);

// Opens opts.conns connections (or UDP sockets), then runs the load on them for
// opts.duration (connection set-up is not measured); returns when every one has stopped.
co::Task<void> RunClient(co::Scheduler& sched, ClientOptions opts, ClientStats* stats);

// Reports: human-readable lines, or one JSON object on one line.
std::string TextReport(const ClientOptions& opts, const ClientStats& s, const char* stack);
std::string JsonReport(const ClientOptions& opts, const ClientStats& s, const char* stack);

}  // namespace ustack::echo
