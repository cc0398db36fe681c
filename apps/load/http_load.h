// ustack-load http: an HTTP/1.1 load generator on coroutines, over ustack or the kernel.
// `conns` coroutines each run requests back to back for `duration`: on one kept-alive
// connection each (opened before the measurement starts), or with `close`, a new
// connection per request (Connection: close; the client waits for the server's FIN before
// closing, so TIME_WAIT stays with the server and ephemeral ports are not used up).
// Every response is checked: status 200 and a Content-Length body read in full (and equal
// to expect_length when set); anything else counts as an error. Latency is from the first
// byte of the request (with close: from the connect) to the last byte of the response.
// Requests are counted when they complete within the measured interval, which starts after
// one warm-up connection (and, keep-alive, after every connection is open).
// Per-request cost: no allocation; each connection reuses one request and one read buffer.
// Ownership: the caller owns the scheduler, options and stats, which must outlive the task.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>

#include "base/latency_histogram.h"
#include "ustack/co.h"

namespace ustack::load {

struct HttpLoadOptions {
  sockaddr_in addr = {};
  std::string host;  // Host header value
  std::string path = "/";
  uint32_t conns = 1;
  Duration duration = Duration::Seconds(5);
  bool close = false;
  int64_t expect_length = -1;  // body length every response must have; -1: any
  Duration connect_timeout = Duration::Seconds(5);
};

struct HttpLoadStats {
  uint64_t requests = 0;         // valid responses completed in the interval
  uint64_t connections = 0;      // connections opened (in the interval, with close)
  uint64_t errors = 0;           // every failure below, added up
  uint64_t connect_errors = 0;   // connects that failed or timed out
  uint64_t status_errors = 0;    // status other than 200
  uint64_t length_errors = 0;    // body length other than expect_length
  uint64_t protocol_errors = 0;  // malformed response, or closed before its end
  uint64_t io_errors = 0;        // read/write failures (reset, timeout at the end...)
  uint64_t reconnects = 0;       // keep-alive connections the server closed (Connection: close)
  uint32_t conns_ok = 0;         // keep-alive connections set up before the interval
  Duration elapsed;              // the measured interval
  LatencyHistogram latency;      // reported in whole microseconds (nearest)
};

// Runs the load; returns when every connection coroutine has stopped.
co::Task<void> RunHttpLoad(co::Scheduler& sched, const HttpLoadOptions& opts, HttpLoadStats* stats);

// "http://A.B.C.D[:PORT][/PATH]" into opts->addr, host and path; false if malformed (only
// literal IPv4 addresses: there is no resolver on ustack).
bool ParseHttpUrl(const std::string& url, HttpLoadOptions* opts);

// Reports: human-readable lines, or one JSON object on one line (keys like ustack-echo's:
// rps, p50_us, p99_us, p999_us; plus cps with close).
std::string TextReport(const HttpLoadOptions& o, const HttpLoadStats& s, const char* stack);
std::string JsonReport(const HttpLoadOptions& o, const HttpLoadStats& s, const char* stack);

}  // namespace ustack::load
