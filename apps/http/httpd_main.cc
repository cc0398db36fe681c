// ustack-httpd: a small HTTP/1.1 server on ustack, for demos and interop tests.
//   ustack-httpd --conf FILE [--port 80] [--body-size 600]
// Routes: GET / (body-size bytes), GET /bytes/N (a checkable byte pattern, streamed),
// POST /sha256 (the SHA-256 of the body in hex). SIGINT/SIGTERM print counters, exit 0.
#include <array>
#include <cinttypes>
#include <cstdio>
#include <string>

#include "http/http_server.h"
#include "runtime/command_line.h"
#include "runtime/config.h"
#include "runtime/runtime.h"

namespace {

constexpr std::array<ustack::OptionSpec, 2> kOptions = {
    ustack::OptionSpec{"port", "80", "TCP port to listen on"},
    ustack::OptionSpec{"body-size", "600", "bytes returned by GET /"},
};

void PrintStats(const ustack::http::HttpStats& s) {
  std::fprintf(stderr,
               "http.requests %" PRIu64 "\nhttp.status_2xx %" PRIu64 "\nhttp.status_4xx %" PRIu64
               "\nhttp.status_5xx %" PRIu64 "\nhttp.parse_errors %" PRIu64
               "\nhttp.connections_opened %" PRIu64 "\nhttp.connections_closed %" PRIu64 "\n",
               s.requests, s.status_2xx, s.status_4xx, s.status_5xx, s.parse_errors,
               s.connections_opened, s.connections_closed);
}

}  // namespace

int main(int argc, char** argv) {
  ustack::CommandLine cl;
  std::string error;
  if (!cl.Parse(argc, argv, kOptions, &error) || cl.help()) {
    if (!cl.help()) std::fprintf(stderr, "ustack-httpd: %s\n", error.c_str());
    std::fputs(ustack::CommandLine::Usage("ustack-httpd", kOptions).c_str(), stderr);
    return cl.help() ? 0 : 2;
  }
  uint64_t port = 0;
  uint64_t body_size = 0;
  if (!cl.GetUint("port", 1, 65535, &port, &error) ||
      !cl.GetUint("body-size", 0, uint64_t{1} << 40, &body_size, &error)) {
    std::fprintf(stderr, "ustack-httpd: %s\n", error.c_str());
    return 2;
  }
  ustack::ConfigResult cfg = ustack::LoadConfig(cl.conf());
  if (!cfg.ok()) {
    std::fprintf(stderr, "ustack-httpd: %s\n", cfg.error.c_str());
    return 1;
  }
  auto rt = ustack::Runtime::Create(*cfg.config, cl.program(), &error);
  if (!rt) {
    std::fprintf(stderr, "ustack-httpd: %s\n", error.c_str());
    return 1;
  }
  ustack::http::HttpServerOptions opts;
  opts.root_body_size = body_size;
  ustack::http::HttpServer server(rt->sockets(), opts);
  if (!server.Listen(static_cast<uint16_t>(port), cfg.config->tcp.nodelay, &error)) {
    std::fprintf(stderr, "ustack-httpd: %s\n", error.c_str());
    return 1;
  }
  std::fprintf(stderr, "ustack-httpd: listening on %s:%" PRIu64 "\n",
               cfg.config->port0.addr.ToString().c_str(), port);
  int rc = rt->Run([&server] { server.Poll(); });
  PrintStats(server.stats());
  return rc;
}
