// ustack-echo: TCP/UDP echo server and load client on coroutines, over ustack or the
// Linux kernel (same code, backend chosen at run time).
//   ustack-echo server [--stack=kernel|ustack] [--conf FILE] [--addr 0.0.0.0] [--port 7]
//                      [--udp]
//   ustack-echo client [--stack=kernel|ustack] [--conf FILE] --addr A [--port 7] [--udp]
//                      [--conns 1] [--size 64] [--pipeline 1] [--duration 5] [--json]
// --stack=ustack needs --conf (see apps/config.example.ini); kernel needs nothing. The
// server runs until SIGINT/SIGTERM and prints its counters; the client prints requests/s
// and latency percentiles and exits 0 if it got answers and saw no errors, else 1.

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "echo.h"
#include "runtime/config.h"
#include "runtime/runtime.h"
#include "ustack/co_ustack.h"

namespace {

volatile std::sig_atomic_t g_stop = 0;  // set by SIGINT/SIGTERM in kernel mode

void OnSignal(int) { g_stop = 1; }

constexpr const char* kUsage =
    "usage: ustack-echo server|client [--stack=kernel|ustack] [--conf FILE]\n"
    "  [--addr A] [--port 7] [--udp] [--conns 1] [--size 64] [--pipeline 1]\n"
    "  [--duration 5] [--json]\n";

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
  static constexpr const char* kFlags[] = {"udp", "json"};
  static constexpr const char* kValued[] = {"stack", "conf",     "addr",     "port",
                                            "conns", "pipeline", "duration", "size"};
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

// Polls until *done (or a signal): the Runtime's busy loop for ustack, epoll_wait for kernel.
void Drive(Backend& b, ustack::co::Scheduler& sched, const bool& done) {
  if (b.rt) {
    b.rt->Run([&] {
      sched.Poll(ustack::Duration());
      if (done) ustack::Runtime::RequestStop();
    });
  } else {
    sched.RunUntil([&] { return done || g_stop != 0; }, ustack::Duration::Millis(100));
  }
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
  Drive(b, sched, done);
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

}  // namespace

int main(int argc, char** argv) {
  using namespace ustack;
  Args args;
  std::string err;
  if (!ParseArgs(argc, argv, &args, &err)) {
    std::fprintf(stderr, "ustack-echo: %s\n%s", err.c_str(), kUsage);
    return 2;
  }
  uint64_t port, conns, pipeline, duration, size;
  if (!GetNum(args, "port", "7", 0, 65535, &port) ||
      !GetNum(args, "conns", "1", 1, 1000000, &conns) ||
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
  Backend backend;
  if (!MakeBackend(args, argv[0], &backend)) return 1;
  if (server) return ServerMain(backend, echo::ServerOptions{addr, args.Flag("udp")});
  echo::ClientOptions copts;
  copts.addr = addr;
  copts.udp = args.Flag("udp");
  copts.conns = static_cast<uint32_t>(conns);
  copts.pipeline = static_cast<uint32_t>(pipeline);
  copts.size = static_cast<uint32_t>(size);
  copts.duration = Duration::Seconds(static_cast<int64_t>(duration));
  return ClientMain(backend, copts, args.Flag("json"));
}
