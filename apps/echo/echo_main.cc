// ustack-echo: TCP/UDP echo server and load client on coroutines, over ustack or the
// Linux kernel (same code, backend chosen at run time).
//   ustack-echo server [--stack=kernel|ustack] [--conf FILE] [--addr 0.0.0.0] [--port 7]
//                      [--udp]
//                      [--sink] [--buf 65536] [--ports 1]
//   ustack-echo client [--stack=kernel|ustack] [--conf FILE] --addr A [--port 7] [--udp]
//                      [--conns 1] [--size 64] [--pipeline 1] [--duration 5] [--json]
//   benchmark modes of the client (JSON report, see modes.h):
//     --bulk BYTES [--chunk 65536] [--mss N]   one connection into a --sink server
//     --idle SECONDS [--warmup 1000]           a round trip after SECONDS without traffic
//     --hold SECONDS --conns N [--ports P] [--concurrency 256]   N idle connections
// --stack=ustack needs --conf (see apps/config.example.ini); kernel needs nothing. The
// server runs until SIGINT/SIGTERM and prints its counters; on SIGUSR1 it prints its memory
// use (mem.* lines on stderr). The client prints requests/s and latency percentiles and exits
// 0 if it got answers and saw no errors, else 1; the benchmark modes print "mark WHAT" lines
// on stdout at the points a driver script waits for.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "echo.h"
#include "modes.h"
#include "runtime/config.h"
#include "runtime/runtime.h"
#include "ustack/co_ustack.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;        // set by SIGINT/SIGTERM in kernel mode
volatile std::sig_atomic_t g_mem_report = 0;  // set by SIGUSR1

void OnSignal(int) { g_stop = 1; }
void OnMemSignal(int) { g_mem_report = 1; }

void PrintMark(const char* what) {
  std::printf("mark %s\n", what);
  std::fflush(stdout);
}

constexpr const char* kUsage =
    "usage: ustack-echo server|client [--stack=kernel|ustack] [--conf FILE]\n"
    "  [--addr A] [--port 7] [--udp] [--conns 1] [--size 64] [--pipeline 1]\n"
    "  [--duration 5] [--json] [--sink] [--buf 65536] [--ports 1]\n"
    "  [--bulk BYTES [--chunk 65536] [--mss N]] [--idle SECONDS [--warmup 1000]]\n"
    "  [--hold SECONDS --conns N [--concurrency 256]]\n";

struct Args {
  std::string mode;
  std::map<std::string, std::string> v;
  std::string Get(const std::string& k, const std::string& def) const {
    auto it = v.find(k);
    return it == v.end() ? def : it->second;
  }
  bool Flag(const std::string& k) const { return v.count(k) != 0; }
};

// The mode (server|client) is the one positional argument, anywhere on the line.
bool ParseArgs(int argc, char** argv, Args* a, std::string* err) {
  static constexpr const char* kFlags[] = {"udp", "json", "sink"};
  static constexpr const char* kValued[] = {
      "stack", "conf", "addr",  "port", "conns", "pipeline", "duration",    "size", "buf",
      "ports", "bulk", "chunk", "mss",  "idle",  "warmup",   "concurrency", "hold"};
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s.rfind("--", 0) != 0) {
      if (!a->mode.empty()) {
        *err = "unexpected argument " + s;
        return false;
      }
      a->mode = s;
      continue;
    }
    s = s.substr(2);
    std::string val;
    const size_t eq = s.find('=');
    if (eq != std::string::npos) {
      val = s.substr(eq + 1);
      s = s.substr(0, eq);
    }
    bool known = false;
    for (const char* f : kFlags) known |= s == f;
    if (known) {
      a->v[s] = "1";
      continue;
    }
    for (const char* f : kValued) known |= s == f;
    if (!known) {
      *err = "unknown option --" + s;
      return false;
    }
    if (eq == std::string::npos) {
      if (i + 1 >= argc) {
        *err = "missing value for --" + s;
        return false;
      }
      val = argv[++i];
    }
    a->v[s] = val;
  }
  if (a->mode != "server" && a->mode != "client") {
    *err = "mode must be server or client";
    return false;
  }
  return true;
}

bool GetNum(const Args& a, const char* k, const char* def, uint64_t lo, uint64_t hi,
            uint64_t* out) {
  const std::string s = a.Get(k, def);
  char* end = nullptr;
  const unsigned long long n = std::strtoull(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || n < lo || n > hi) {
    std::fprintf(stderr, "ustack-echo: --%s must be in [%llu, %llu]\n", k,
                 static_cast<unsigned long long>(lo), static_cast<unsigned long long>(hi));
    return false;
  }
  *out = n;
  return true;
}

// The chosen backend; for ustack also the Runtime (EAL, port, stack) behind it.
struct Backend {
  std::unique_ptr<ustack::Runtime> rt;
  std::unique_ptr<ustack::co::IoBackend> io;
};

bool MakeBackend(const Args& args, const char* program, Backend* b) {
  using namespace ustack;
  const std::string stack = args.Get("stack", "kernel");
  if (stack == "kernel") {
    auto kb = std::make_unique<co::KernelBackend>();
    if (!kb->ok()) {
      std::perror("ustack-echo: epoll_create1");
      return false;
    }
    b->io = std::move(kb);
    std::signal(SIGINT, OnSignal);
    std::signal(SIGTERM, OnSignal);
    return true;
  }
  if (stack != "ustack") {
    std::fprintf(stderr, "ustack-echo: --stack must be kernel or ustack\n");
    return false;
  }
  ConfigResult cfg = LoadConfig(args.Get("conf", ""));
  if (!cfg.ok()) {
    std::fprintf(stderr, "ustack-echo: %s\n", cfg.error.c_str());
    return false;
  }
  std::string err;
  b->rt = Runtime::Create(*cfg.config, program, &err);
  if (!b->rt) {
    std::fprintf(stderr, "ustack-echo: %s\n", err.c_str());
    return false;
  }
  b->io = std::make_unique<co::UstackBackend>(b->rt->sockets());
  return true;
}

// Polls until *done (or a signal): the Runtime's loop for ustack, epoll_wait for kernel.
// `tick` (may be empty) runs on every iteration.
void Drive(Backend& b, ustack::co::Scheduler& sched, const bool& done,
           const std::function<void()>& tick = {}) {
  if (b.rt) {
    b.rt->Run([&] {
      sched.Poll(ustack::Duration());
      if (tick) tick();
      if (done) ustack::Runtime::RequestStop();
    });
  } else {
    sched.RunUntil(
        [&] {
          if (tick) tick();
          return done || g_stop != 0;
        },
        ustack::Duration::Millis(100));
  }
}

void PrintMemory(const ustack::echo::ServerStats& st) {
  const ustack::echo::MemoryUse m = ustack::echo::ReadMemoryUse();
  std::fprintf(stderr, "mem.open_connections %llu\nmem.heap_bytes %llu\nmem.rss_bytes %llu\n",
               static_cast<unsigned long long>(st.open),
               static_cast<unsigned long long>(m.heap_bytes),
               static_cast<unsigned long long>(m.rss_bytes));
  std::fflush(stderr);
}

int ServerMain(Backend& b, const ustack::echo::ServerOptions& so) {
  using namespace ustack;
  co::Scheduler sched(*b.io);
  co::CancelSource stop(sched);
  co::Context ctx = co::Context::Child(*sched.root(), Instant::Max(), stop.state());
  echo::ServerStats st;
  bool done = false;
  int rc = 0;
  sched.Spawn(
      [](co::Task<int> t, int* r, bool* d) -> co::Task<void> {
        *r = co_await std::move(t);
        *d = true;
      }(echo::RunServer(sched, so, &st), &rc, &done),
      &ctx);
  std::fprintf(stderr, "ustack-echo: %s server on port %u (%s)\n", so.udp ? "udp" : "tcp",
               static_cast<unsigned>(ntohs(so.addr.sin_port)), b.io->Name());
  Drive(b, sched, done, [&st] {
    if (g_mem_report == 0) return;
    g_mem_report = 0;
    PrintMemory(st);
  });
  stop.Cancel();
  for (int i = 0; i < 3 && sched.live() > 0; ++i) sched.Poll(Duration());
  std::fprintf(
      stderr, "echo.connections %llu\necho.bytes %llu\necho.datagrams %llu\necho.errors %llu\n",
      static_cast<unsigned long long>(st.connections), static_cast<unsigned long long>(st.bytes),
      static_cast<unsigned long long>(st.datagrams), static_cast<unsigned long long>(st.errors));
  if (rc < 0) {
    std::fprintf(stderr, "ustack-echo: listen failed: errno %d\n", -rc);
    return 1;
  }
  return 0;
}

int ClientMain(Backend& b, const ustack::echo::ClientOptions& opts, bool json) {
  using namespace ustack;
  co::Scheduler sched(*b.io);
  echo::ClientStats st;
  bool done = false;
  sched.Spawn([](co::Task<void> t, bool* d) -> co::Task<void> {
    co_await std::move(t);
    *d = true;
  }(echo::RunClient(sched, opts, &st), &done));
  Drive(b, sched, done);
  const std::string report =
      json ? echo::JsonReport(opts, st, b.io->Name()) : echo::TextReport(opts, st, b.io->Name());
  std::fputs(report.c_str(), stdout);
  return st.requests > 0 && st.errors == 0 && st.connect_errors == 0 ? 0 : 1;
}

// Runs one benchmark-mode task to completion and prints its JSON report.
template <typename Opts, typename Stats>
int ModeMain(Backend& b, ustack::co::Task<void> (*run)(ustack::co::Scheduler&, Opts, Stats*),
             std::string (*json)(const Opts&, const Stats&, const char*), const Opts& opts,
             bool (*ok)(const Stats&)) {
  using namespace ustack;
  co::Scheduler sched(*b.io);
  Stats st;
  bool done = false;
  sched.Spawn([](co::Task<void> t, bool* d) -> co::Task<void> {
    co_await std::move(t);
    *d = true;
  }(run(sched, opts, &st), &done));
  Drive(b, sched, done);
  std::fputs(json(opts, st, b.io->Name()).c_str(), stdout);
  return done && ok(st) ? 0 : 1;
}

// The client in one of the benchmark modes (--bulk, --idle, --hold); -1 if none was asked.
int BenchModeMain(const Args& args, Backend& b, const sockaddr_in& addr) {
  using namespace ustack;
  uint64_t v = 0, a = 0, c = 0;
  if (args.Flag("bulk")) {
    echo::BulkOptions o;
    o.addr = addr;
    if (!GetNum(args, "bulk", "0", 1, 1ull << 40, &v) ||
        !GetNum(args, "chunk", "65536", 1, 1u << 24, &a) ||
        !GetNum(args, "mss", "0", 0, 65495, &c)) {
      return 2;
    }
    o.bytes = v;
    o.chunk = static_cast<uint32_t>(a);
    o.mss = static_cast<int>(c);
    return ModeMain<echo::BulkOptions, echo::BulkStats>(
        b, echo::RunBulk, echo::BulkJson, o, [](const echo::BulkStats& s) {
          return s.error == 0 && s.server_count == s.sent && s.sent > 0;
        });
  }
  if (args.Flag("idle")) {
    echo::IdleOptions o;
    o.addr = addr;
    o.mark = PrintMark;
    if (!GetNum(args, "idle", "10", 0, 86400, &v) ||
        !GetNum(args, "warmup", "1000", 1, 1000000, &a) ||
        !GetNum(args, "size", "64", 1, 65000, &c)) {
      return 2;
    }
    o.idle = Duration::Seconds(static_cast<int64_t>(v));
    o.warmup = static_cast<uint32_t>(a);
    o.size = static_cast<uint32_t>(c);
    return ModeMain<echo::IdleOptions, echo::IdleStats>(
        b, echo::RunIdle, echo::IdleJson, o, [](const echo::IdleStats& s) { return s.error == 0; });
  }
  if (args.Flag("hold")) {
    echo::HoldOptions o;
    o.addr = addr;
    o.mark = PrintMark;
    uint64_t n = 0;
    if (!GetNum(args, "hold", "5", 0, 86400, &v) || !GetNum(args, "ports", "1", 1, 1000, &a) ||
        !GetNum(args, "concurrency", "256", 1, 100000, &c) ||
        !GetNum(args, "conns", "1", 1, 4000000, &n)) {
      return 2;
    }
    o.hold = Duration::Seconds(static_cast<int64_t>(v));
    o.ports = static_cast<uint32_t>(a);
    o.concurrency = static_cast<uint32_t>(c);
    o.conns = static_cast<uint32_t>(n);
    return ModeMain<echo::HoldOptions, echo::HoldStats>(
        b, echo::RunHold, echo::HoldJson, o,
        [](const echo::HoldStats& s) { return s.failed == 0 && s.ok > 0; });
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ustack;
  Args args;
  std::string err;
  if (!ParseArgs(argc, argv, &args, &err)) {
    std::fprintf(stderr, "ustack-echo: %s\n%s", err.c_str(), kUsage);
    return 2;
  }
  uint64_t port, conns, pipeline, duration, size, buf, ports;
  if (!GetNum(args, "port", "7", 0, 65535, &port) ||
      !GetNum(args, "conns", "1", 1, 4000000, &conns) ||
      !GetNum(args, "buf", "65536", 8, 1u << 24, &buf) ||
      !GetNum(args, "ports", "1", 1, 1000, &ports) ||
      !GetNum(args, "pipeline", "1", 1, 4096, &pipeline) ||
      !GetNum(args, "duration", "5", 1, 86400, &duration) ||
      !GetNum(args, "size", "64", 1, 65000, &size)) {
    return 2;
  }
  const bool server = args.mode == "server";
  const sockaddr_in addr = co::MakeAddr(args.Get("addr", server ? "0.0.0.0" : "127.0.0.1").c_str(),
                                        static_cast<uint16_t>(port));
  if (addr.sin_family != AF_INET) {
    std::fprintf(stderr, "ustack-echo: bad --addr\n");
    return 2;
  }
  if (port + ports - 1 > 65535) {
    std::fprintf(stderr, "ustack-echo: --port + --ports goes past 65535\n");
    return 2;
  }
  std::signal(SIGUSR1, OnMemSignal);
  Backend backend;
  if (!MakeBackend(args, argv[0], &backend)) return 1;
  if (server) {
    echo::ServerOptions so;
    so.addr = addr;
    so.udp = args.Flag("udp");
    so.sink = args.Flag("sink");
    so.buf = static_cast<uint32_t>(buf);
    so.ports = static_cast<uint32_t>(ports);
    return ServerMain(backend, so);
  }
  const int mode_rc = BenchModeMain(args, backend, addr);
  if (mode_rc >= 0) return mode_rc;
  echo::ClientOptions copts;
  copts.addr = addr;
  copts.udp = args.Flag("udp");
  copts.conns = static_cast<uint32_t>(conns);
  copts.pipeline = static_cast<uint32_t>(pipeline);
  copts.size = static_cast<uint32_t>(size);
  copts.duration = Duration::Seconds(static_cast<int64_t>(duration));
  return ClientMain(backend, copts, args.Flag("json"));
}
