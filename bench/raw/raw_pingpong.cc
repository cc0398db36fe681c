// ustack-raw-pingpong: the latency floor of a DPDK link (e.g. net_memif between two
// processes), with ustack's port layer and no TCP/IP stack.
//   ustack-raw-pingpong --conf FILE --role server
//       reflects every frame it receives, MAC addresses swapped, until SIGINT/SIGTERM; then
//       prints its counters and exits 0
//   ustack-raw-pingpong --conf FILE --role client [--duration 3] [--warmup 0.2]
//       [--window 1] [--size 64] [--connect 10]
//       keeps --window 64-byte frames in flight for --duration seconds (after --warmup) and
//       prints round trips/s and p50/p99/p99.9 of the round trip in microseconds, then the
//       same as one JSON line; exits 0 if round trips happened, 1 otherwise
// The config is the apps' config.ini ([dpdk] starts the EAL and picks the port; [port0]
// must parse but its addresses are not used). Round trips are timed with the TSC, whose
// rate is measured against CLOCK_MONOTONIC_RAW at start-up.
#include <rte_cycles.h>
#include <time.h>

#include <array>
#include <cinttypes>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "buf/packet.h"
#include "pingpong.h"
#include "port/dpdk_port.h"
#include "probe.h"
#include "runtime/command_line.h"
#include "runtime/config.h"
#include "runtime/eal.h"

namespace {

using ustack::rawbench::ClientOptions;
using ustack::rawbench::ClientResult;

volatile std::sig_atomic_t g_stop = 0;  // the only global: set by SIGINT/SIGTERM

void OnStop(int) { g_stop = 1; }

constexpr std::array<ustack::OptionSpec, 7> kOptions = {
    ustack::OptionSpec{"role", "client", "server (reflector) or client"},
    ustack::OptionSpec{"duration", "3", "client: seconds measured (decimals allowed)"},
    ustack::OptionSpec{"warmup", "0.2", "client: seconds of round trips not recorded"},
    ustack::OptionSpec{"window", "1", "client: frames in flight"},
    ustack::OptionSpec{"size", "64", "client: frame bytes without FCS (30..1514)"},
    ustack::OptionSpec{"connect", "10", "client: seconds to wait for the reflector"},
    ustack::OptionSpec{"loss-timeout", "0.05",
                       "client: seconds without a frame back before "
                       "the frames in flight count as lost"},
};

bool GetSeconds(const ustack::CommandLine& cl, const char* name, double lo, double hi,
                double* out) {
  const std::string v = cl.Get(name);
  char* end = nullptr;
  const double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || !(d >= lo && d <= hi)) {
    std::fprintf(stderr, "ustack-raw-pingpong: --%s must be seconds in [%g, %g], got '%s'\n", name,
                 lo, hi, v.c_str());
    return false;
  }
  *out = d;
  return true;
}

int64_t MonotonicRawNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Nanoseconds per TSC tick, measured over 50 ms of busy waiting.
double CalibrateNsPerTick() {
  const int64_t ns0 = MonotonicRawNs();
  const uint64_t t0 = rte_rdtsc();
  int64_t ns1 = ns0;
  while (ns1 - ns0 < 50000000) ns1 = MonotonicRawNs();
  const uint64_t t1 = rte_rdtsc();
  return static_cast<double>(ns1 - ns0) / static_cast<double>(t1 - t0);
}

bool ParseClientOptions(const ustack::CommandLine& cl, ClientOptions* o) {
  std::string err;
  uint64_t window = 0, size = 0;
  if (!cl.GetUint("window", 1, 4096, &window, &err) ||
      !cl.GetUint("size", ustack::rawbench::kProbeMinFrame, 1514, &size, &err)) {
    std::fprintf(stderr, "ustack-raw-pingpong: %s\n", err.c_str());
    return false;
  }
  o->window = static_cast<uint32_t>(window);
  o->size = static_cast<uint16_t>(size);
  return GetSeconds(cl, "duration", 0.001, 86400, &o->duration_s) &&
         GetSeconds(cl, "warmup", 0, 3600, &o->warmup_s) &&
         GetSeconds(cl, "connect", 0.01, 3600, &o->connect_s) &&
         GetSeconds(cl, "loss-timeout", 0.0001, 60, &o->loss_timeout_s);
}

void PrintClientReport(const ClientOptions& o, ClientResult& r) {
  const double secs = static_cast<double>(r.measured_ticks) * o.ns_per_tick / 1e9;
  const uint64_t n = r.rtt.count();
  const double rtps = secs > 0 ? static_cast<double>(n) / secs : 0.0;
  const auto us = [](ustack::Duration d) { return static_cast<double>(d.nanos()) / 1e3; };
  const double p50 = us(r.rtt.Percentile(0.5)), p99 = us(r.rtt.Percentile(0.99)),
               p999 = us(r.rtt.Percentile(0.999));
  const double mean = r.rtt.MeanNanos() / 1e3, lo = us(r.rtt.min()), hi = us(r.rtt.max());
  std::printf(
      "raw ping-pong: window %u, %u-byte frames, %.3f s, TSC %.1f MHz\n"
      "round trips %" PRIu64
      " (%.0f/s)\n"
      "round trip us: p50 %.3f p99 %.3f p99.9 %.3f mean %.3f min %.3f max %.3f\n"
      "lost %" PRIu64 " stray %" PRIu64 " tx_refused %" PRIu64 " alloc_failed %" PRIu64 "\n",
      o.window, o.size, secs, 1e3 / o.ns_per_tick, n, rtps, p50, p99, p999, mean, lo, hi, r.lost,
      r.stray, r.tx_refused, r.alloc_failed);
  std::printf("{\"window\":%u,\"size\":%u,\"duration_s\":%.3f,\"round_trips\":%" PRIu64
              ",\"rtps\":%.1f,\"p50_us\":%.3f,\"p99_us\":%.3f,\"p999_us\":%.3f,\"mean_us\":%.3f,"
              "\"min_us\":%.3f,\"max_us\":%.3f,\"lost\":%" PRIu64 ",\"stray\":%" PRIu64
              ",\"tx_refused\":%" PRIu64 ",\"alloc_failed\":%" PRIu64 "}\n",
              o.window, o.size, secs, n, rtps, p50, p99, p999, mean, lo, hi, r.lost, r.stray,
              r.tx_refused, r.alloc_failed);
  std::fflush(stdout);
}

// The device's view (memif keeps its counters only while the peer is connected).
void PrintDevice(const ustack::DpdkPort& port) {
  ustack::DpdkDeviceStats ds;
  std::string err;
  if (!port.DeviceStats(&ds, &err)) return;
  std::fprintf(stderr,
               "raw.link %s\nraw.device_ipackets %" PRIu64 "\nraw.device_opackets %" PRIu64
               "\nraw.device_imissed %" PRIu64 "\nraw.device_oerrors %" PRIu64 "\n",
               port.LinkUp() ? "up" : "down", ds.ipackets, ds.opackets, ds.imissed, ds.oerrors);
}

int RunRole(const ustack::CommandLine& cl, ustack::DpdkPort& port) {
  if (cl.Get("role") == "server") {
    ustack::rawbench::ReflectorStats st;
    std::fprintf(stderr, "ustack-raw-pingpong: reflecting (mac %s)\n",
                 port.mac().ToString().c_str());
    ustack::rawbench::RunReflector(port, g_stop, &st);
    std::fprintf(stderr,
                 "raw.received %" PRIu64 "\nraw.reflected %" PRIu64 "\nraw.not_taken %" PRIu64
                 "\nraw.not_swapped %" PRIu64 "\n",
                 st.received, st.reflected, st.not_taken, st.not_swapped);
    return 0;
  }
  ClientOptions o;
  if (!ParseClientOptions(cl, &o)) return 2;
  o.ns_per_tick = CalibrateNsPerTick();
  o.tsc_hz = static_cast<uint64_t>(1e9 / o.ns_per_tick);
  auto r = std::make_unique<ClientResult>();
  if (!ustack::rawbench::RunClient(port, o, g_stop, r.get())) {
    std::fprintf(stderr, "ustack-raw-pingpong: no answer from the reflector within %g s\n",
                 o.connect_s);
    return 1;
  }
  PrintDevice(port);
  PrintClientReport(o, *r);
  return r->rtt.count() > 0 ? 0 : 1;
}

// EAL, pool and port from the config, then the role; everything torn down in reverse.
int RunWithPort(const ustack::CommandLine& cl, const ustack::UstackConfig& cfg) {
  std::string err;
  if (!ustack::InitEal(cfg.dpdk, cl.program(), &err)) {
    std::fprintf(stderr, "ustack-raw-pingpong: %s\n", err.c_str());
    return 1;
  }
  int rc = 1;
  {
    ustack::PacketPool pool("raw_pool0", 8191);
    ustack::DpdkPortConfig pc;
    pc.port_id = cfg.dpdk.port_id;
    pc.mtu = cfg.port0.mtu;
    pc.promiscuous = cfg.dpdk.promiscuous;
    std::unique_ptr<ustack::DpdkPort> port =
        pool.ok() ? ustack::DpdkPort::Open(pc, pool, &err) : nullptr;
    if (!pool.ok()) err = "cannot create the mbuf pool (is [dpdk] memory large enough?)";
    if (port) {
      rc = RunRole(cl, *port);
    } else {
      std::fprintf(stderr, "ustack-raw-pingpong: cannot open port %u: %s\n", pc.port_id,
                   err.c_str());
    }
  }
  ustack::CleanupEal();
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  ustack::CommandLine cl;
  std::string err;
  if (!cl.Parse(argc, argv, kOptions, &err) || cl.help()) {
    if (!cl.help()) std::fprintf(stderr, "ustack-raw-pingpong: %s\n", err.c_str());
    std::fputs(ustack::CommandLine::Usage("ustack-raw-pingpong", kOptions).c_str(), stderr);
    return cl.help() ? 0 : 2;
  }
  if (cl.Get("role") != "server" && cl.Get("role") != "client") {
    std::fprintf(stderr, "ustack-raw-pingpong: --role must be server or client\n");
    return 2;
  }
  ustack::ConfigResult cfg = ustack::LoadConfig(cl.conf());
  if (!cfg.ok()) {
    std::fprintf(stderr, "ustack-raw-pingpong: %s\n", cfg.error.c_str());
    return 1;
  }
  std::signal(SIGINT, OnStop);
  std::signal(SIGTERM, OnStop);
  return RunWithPort(cl, *cfg.config);
}
