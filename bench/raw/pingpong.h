// The two loops of ustack-raw-pingpong, over any Port and with no TCP/IP stack: a reflector
// that sends every frame straight back with its MAC addresses swapped, and a client that
// keeps `window` probe frames in flight and records each one's round trip in TSC ticks
// (converted to nanoseconds with a rate the caller measured). Both busy-poll until their
// end or until `stop` becomes non-zero (a signal handler sets it). Received mbufs are reused
// for the next transmission on both sides, so a round trip allocates nothing.
#pragma once

#include <csignal>
#include <cstdint>

#include "base/latency_histogram.h"
#include "port/port.h"

namespace ustack::rawbench {

struct ReflectorStats {
  uint64_t received = 0;
  uint64_t reflected = 0;
  uint64_t not_taken = 0;    // the device refused them: dropped and counted
  uint64_t not_swapped = 0;  // shorter than two MAC addresses: dropped and counted
  bool bye = false;          // the client said goodbye: no more device calls after it
};

void RunReflector(Port& port, const volatile std::sig_atomic_t& stop, ReflectorStats* stats);

struct ClientOptions {
  double ns_per_tick = 0;        // measured by the caller (TSC against CLOCK_MONOTONIC_RAW)
  uint64_t tsc_hz = 0;           // ticks per second, for the deadlines below
  double connect_s = 10;         // give up when no probe came back within this
  double warmup_s = 0.2;         // round trips not recorded
  double duration_s = 3;         // round trips recorded
  double loss_timeout_s = 0.05;  // nothing came back for this long: the flight is lost
  uint32_t window = 1;           // frames in flight
  uint16_t size = 64;            // bytes per frame, without the FCS (like testpmd --txpkts)
};

struct ClientResult {
  bool connected = false;  // a link-up probe came back
  LatencyHistogram rtt;    // measured phase only
  uint64_t measured_ticks = 0;
  uint64_t lost = 0;        // frames given up after loss_timeout_s
  uint64_t stray = 0;       // frames that were not a current probe
  uint64_t tx_refused = 0;  // transmissions the device refused (retried)
  uint64_t alloc_failed = 0;
};

// Waits for the peer, warms up, then measures. Returns false if the peer never answered.
bool RunClient(Port& port, const ClientOptions& o, const volatile std::sig_atomic_t& stop,
               ClientResult* r);

}  // namespace ustack::rawbench
