// ustack-udp-echo: echoes every UDP datagram back to its sender (RFC 862 over UDP).
//   ustack-udp-echo --conf FILE [--port 7]
// SIGINT/SIGTERM print counters and exit 0.
#include <netinet/in.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/command_line.h"
#include "runtime/config.h"
#include "runtime/runtime.h"

namespace {

constexpr std::array<ustack::OptionSpec, 1> kOptions = {
    ustack::OptionSpec{"port", "7", "UDP port to echo on"},
};

struct EchoStats {
  uint64_t echoed = 0;
  uint64_t send_failed = 0;
};

// Echoes every queued datagram. The socket is non-blocking: RecvFrom returns -EAGAIN when
// nothing is queued.
void EchoAll(ustack::SocketApi& api, int fd, std::vector<uint8_t>& buf, EchoStats& stats) {
  for (;;) {
    sockaddr_in from = {};
    socklen_t from_len = sizeof from;
    ssize_t n =
        api.RecvFrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) return;
    ssize_t sent = api.SendTo(fd, buf.data(), static_cast<size_t>(n), 0,
                              reinterpret_cast<sockaddr*>(&from), from_len);
    if (sent < 0) {
      ++stats.send_failed;
    } else {
      ++stats.echoed;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  ustack::CommandLine cl;
  std::string error;
  if (!cl.Parse(argc, argv, kOptions, &error) || cl.help()) {
    if (!cl.help()) std::fprintf(stderr, "ustack-udp-echo: %s\n", error.c_str());
    std::fputs(ustack::CommandLine::Usage("ustack-udp-echo", kOptions).c_str(), stderr);
    return cl.help() ? 0 : 2;
  }
  uint64_t port = 0;
  if (!cl.GetUint("port", 1, 65535, &port, &error)) {
    std::fprintf(stderr, "ustack-udp-echo: %s\n", error.c_str());
    return 2;
  }
  ustack::ConfigResult cfg = ustack::LoadConfig(cl.conf());
  if (!cfg.ok()) {
    std::fprintf(stderr, "ustack-udp-echo: %s\n", cfg.error.c_str());
    return 1;
  }
  auto rt = ustack::Runtime::Create(*cfg.config, cl.program(), &error);
  if (!rt) {
    std::fprintf(stderr, "ustack-udp-echo: %s\n", error.c_str());
    return 1;
  }
  ustack::SocketApi& api = rt->sockets();
  int fd = api.Socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in sin = {};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  sin.sin_addr.s_addr = htonl(INADDR_ANY);
  int rc = fd < 0 ? fd : api.Bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin);
  if (rc < 0) {
    std::fprintf(stderr, "ustack-udp-echo: socket/bind on port %" PRIu64 ": %s\n", port,
                 std::strerror(-rc));
    return 1;
  }
  std::fprintf(stderr, "ustack-udp-echo: echoing on %s:%" PRIu64 "\n",
               cfg.config->port0.addr.ToString().c_str(), port);
  std::vector<uint8_t> buf(65536);
  EchoStats stats;
  rc = rt->Run([&] { EchoAll(api, fd, buf, stats); });
  std::fprintf(stderr, "udp_echo.echoed %" PRIu64 "\nudp_echo.send_failed %" PRIu64 "\n",
               stats.echoed, stats.send_failed);
  api.Close(fd);
  return rc;
}
