// ustack-echo's benchmark modes besides request/response load (see echo.h): a bulk transfer
// into a sink server, a request after a long idle period, and holding many idle connections.
// All run as coroutines on one co::Scheduler over either backend. Ownership as in echo.h:
// options and stats belong to the caller and must outlive the returned task.
#pragma once

#include <cstdint>
#include <string>

#include "ustack/co.h"

namespace ustack::echo {

// Called at points the driver script waits for ("idle_start", "established", ...).
using MarkFn = void (*)(const char* what);

// Bulk: one connection sends an 8-byte length and then `bytes` of data; the server (in sink
// mode) answers with the 8-byte count it read once it has them all.
struct BulkOptions {
  sockaddr_in addr = {};
  uint64_t bytes = 1ull << 30;
  uint32_t chunk = 64 * 1024;  // bytes per write call
  int mss = 0;                 // TCP_MAXSEG before connecting (0: the stack's default)
};

struct BulkStats {
  uint64_t sent = 0;
  uint64_t server_count = 0;  // what the sink server reported receiving
  Duration elapsed;           // first write until the server's count arrived
  int error = 0;              // -errno of the first failure, 0 if none
};

co::Task<void> RunBulk(co::Scheduler& sched, BulkOptions opts, BulkStats* stats);
std::string BulkJson(const BulkOptions& o, const BulkStats& s, const char* stack);

// Idle: one connection; `warmup` 64-byte round trips, mark("idle_start"), `idle` with no
// traffic, mark("idle_end"), one timed round trip, then `after` more.
struct IdleOptions {
  sockaddr_in addr = {};
  uint32_t size = 64;
  uint32_t warmup = 1000;
  uint32_t after = 100;
  Duration idle = Duration::Seconds(10);
  MarkFn mark = nullptr;
};

struct IdleStats {
  Duration first;         // the first round trip after the idle period
  Duration warm_median;   // median round trip before it
  Duration after_median;  // median of the `after` round trips that follow
  int error = 0;
};

co::Task<void> RunIdle(co::Scheduler& sched, IdleOptions opts, IdleStats* stats);
std::string IdleJson(const IdleOptions& o, const IdleStats& s, const char* stack);

// Hold: opens `conns` connections spread over server ports [port, port + ports), at most
// `concurrency` handshakes at a time, mark("established"), holds them idle for `hold`, then
// closes them all.
struct HoldOptions {
  sockaddr_in addr = {};
  uint32_t conns = 1000;
  uint32_t ports = 1;
  uint32_t concurrency = 256;
  Duration hold = Duration::Seconds(5);
  Duration connect_timeout = Duration::Seconds(10);
  MarkFn mark = nullptr;
};

struct HoldStats {
  uint32_t ok = 0;
  uint32_t failed = 0;
  int first_error = 0;
  Duration open_time;  // after the first connection, until the last one was established
};

co::Task<void> RunHold(co::Scheduler& sched, HoldOptions opts, HoldStats* stats);
std::string HoldJson(const HoldOptions& o, const HoldStats& s, const char* stack);

// The process's memory now: malloc'd bytes in use and resident set, for the server's report.
struct MemoryUse {
  uint64_t heap_bytes = 0;
  uint64_t rss_bytes = 0;
};
MemoryUse ReadMemoryUse();

}  // namespace ustack::echo
