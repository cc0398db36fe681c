// ustack-httpd: a small HTTP/1.1 server on coroutines, over ustack or the Linux kernel (the
// same code; the stack is chosen at run time), for demos, interop tests and benchmarks.
//   ustack-httpd [--stack=ustack] --conf FILE [--port 80] [--body-size 600]
//   ustack-httpd --stack=kernel [--listen ADDR:PORT | --port 80] [--body-size 600]
// Routes: GET / (body-size bytes), GET /bytes/N (a checkable byte pattern, streamed),
// POST /sha256 (the SHA-256 of the body in hex). Keep-alive unless the client asks for
// Connection: close. TCP_NODELAY: [tcp] nodelay of the config on ustack, always on the
// kernel. SIGINT/SIGTERM print counters, exit 0.
#include <arpa/inet.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include "http/app_stack.h"
#include "http/http_server.h"

namespace {

constexpr const char* kUsage =
    "usage: ustack-httpd [--stack=ustack|kernel] [--conf FILE] [--port 80]\n"
    "                    [--listen ADDR:PORT] [--body-size 600]\n"
    "  --stack=ustack (default) needs --conf (see apps/config.example.ini) and listens on\n"
    "  the port's address; --stack=kernel binds a kernel socket (default 0.0.0.0:PORT).\n";

void PrintStats(const ustack::http::HttpStats& s) {
  std::fprintf(stderr,
               "http.requests %" PRIu64 "\nhttp.status_2xx %" PRIu64 "\nhttp.status_4xx %" PRIu64
               "\nhttp.status_5xx %" PRIu64 "\nhttp.parse_errors %" PRIu64
               "\nhttp.connections_opened %" PRIu64 "\nhttp.connections_closed %" PRIu64 "\n",
               s.requests, s.status_2xx, s.status_4xx, s.status_5xx, s.parse_errors,
               s.connections_opened, s.connections_closed);
}

// Serves until SIGINT/SIGTERM; then stops the coroutines and prints the counters.
int Serve(ustack::app::AppStack& stack, const sockaddr_in& addr, bool nodelay,
          const ustack::http::HttpServerOptions& opts) {
  using namespace ustack;
  co::Scheduler sched(*stack.io);
  http::HttpServer server(sched, opts);
  const int rc = server.Listen(addr, nodelay);
  if (rc < 0) {
    char a[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &addr.sin_addr, a, sizeof a);
    std::fprintf(stderr, "ustack-httpd: bind/listen on %s:%u: %s\n", a, ntohs(addr.sin_port),
                 std::strerror(-rc));
    return 1;
  }
  co::CancelSource stop(sched);
  co::Context ctx = co::Context::Child(*sched.root(), Instant::Max(), stop.state());
  sched.Spawn(server.Run(), &ctx);
  const sockaddr_in local = server.local_addr();
  char a[INET_ADDRSTRLEN] = "?";
  if (stack.ustack()) {
    std::snprintf(a, sizeof a, "%s", stack.runtime->config().port0.addr.ToString().c_str());
  } else {
    inet_ntop(AF_INET, &local.sin_addr, a, sizeof a);
  }
  std::fprintf(stderr, "ustack-httpd: listening on %s:%u (%s)\n", a, ntohs(local.sin_port),
               stack.io->Name());
  app::Drive(
      stack, sched, [] { return false; }, [&server] { server.UpdateDate(); });
  stop.Cancel();
  for (int i = 0; i < 3 && sched.live() > 0; ++i) sched.Poll(Duration());
  PrintStats(server.stats());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ustack;
  static constexpr std::array<std::string_view, 1> kFlags = {"help"};
  static constexpr std::array<std::string_view, 5> kValued = {"stack", "conf", "port", "listen",
                                                              "body-size"};
  app::Args args;
  std::string error;
  if (!app::ParseArgs(argc, argv, kFlags, kValued, &args, &error) || !args.positional.empty()) {
    std::fprintf(stderr, "ustack-httpd: %s\n%s",
                 error.empty() ? "unexpected argument" : error.c_str(), kUsage);
    return 2;
  }
  if (args.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  uint64_t port = 0;
  uint64_t body_size = 0;
  if (!args.GetUint("port", 80, 1, 65535, &port, &error) ||
      !args.GetUint("body-size", 600, 0, uint64_t{1} << 40, &body_size, &error)) {
    std::fprintf(stderr, "ustack-httpd: %s\n", error.c_str());
    return 2;
  }
  sockaddr_in addr = co::MakeAddr("0.0.0.0", static_cast<uint16_t>(port));
  if (args.Has("listen") && !app::ParseHostPort(args.Get("listen", ""), &addr)) {
    std::fprintf(stderr, "ustack-httpd: --listen wants ADDR:PORT, not '%s'\n",
                 args.Get("listen", "").c_str());
    return 2;
  }
  app::AppStack stack;
  if (!app::MakeAppStack(args.Get("stack", "ustack"), args.Get("conf", ""), argv[0], &stack,
                         &error)) {
    std::fprintf(stderr, "ustack-httpd: %s\n", error.c_str());
    return 1;
  }
  const bool nodelay = stack.ustack() ? stack.runtime->config().tcp.nodelay : true;
  http::HttpServerOptions opts;
  opts.root_body_size = body_size;
  return Serve(stack, addr, nodelay, opts);
}
