// coro_echo: a TCP echo server on ustack's C++20 coroutines, one coroutine per connection.
// The same code runs on ustack (DPDK) or on the Linux kernel's sockets:
//   ustack-coro-echo --stack=ustack --conf config.ini [--port 7]
//   ustack-coro-echo --stack=kernel [--port 7]
// Runs until SIGINT/SIGTERM, then prints how many connections and bytes it echoed.
#include <netinet/in.h>
#include <signal.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "runtime/config.h"
#include "runtime/runtime.h"
#include "ustack/co_ustack.h"

namespace co = ustack::co;

namespace {

volatile std::sig_atomic_t stop_kernel = 0;  // SIGINT/SIGTERM with --stack=kernel

struct Counters {
  unsigned long connections = 0, bytes = 0;
};

co::Task<void> Echo(co::Scheduler& sched, int fd, Counters* c) {
  uint8_t buf[16384];
  for (;;) {
    const ssize_t n = co_await co::Read(fd, buf);  // 0: the peer closed; <0: -errno
    if (n <= 0) break;
    c->bytes += static_cast<unsigned long>(n);
    if (co_await co::WriteAll(fd, std::span<const uint8_t>(buf, static_cast<size_t>(n))) < 0) break;
  }
  sched.Close(fd);
}

co::Task<void> Serve(co::Scheduler& sched, int listen_fd, Counters* c) {
  for (;;) {
    const int fd = co_await co::Accept(listen_fd);
    if (fd == -EBADF) break;  // the listening socket is gone
    if (fd < 0) continue;     // e.g. -ECONNABORTED: try the next one
    ++c->connections;
    sched.Spawn(Echo(sched, fd, c));
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string stack = "kernel", conf;
  int port = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--stack=", 0) == 0) {
      stack = a.substr(8);
    } else if (a == "--conf" && i + 1 < argc) {
      conf = argv[++i];
    } else if (a == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else {
      std::fprintf(stderr, "usage: %s --stack=ustack|kernel [--conf FILE] [--port 7]\n", argv[0]);
      return 2;
    }
  }
  std::unique_ptr<ustack::Runtime> runtime;  // only for --stack=ustack
  std::unique_ptr<co::IoBackend> backend;
  if (stack == "ustack") {
    ustack::ConfigResult cfg = ustack::LoadConfig(conf);
    std::string error;
    if (cfg.ok()) runtime = ustack::Runtime::Create(*cfg.config, argv[0], &error);
    if (!runtime) {
      std::fprintf(stderr, "coro_echo: %s\n", cfg.ok() ? error.c_str() : cfg.error.c_str());
      return 1;
    }
    backend = std::make_unique<co::UstackBackend>(runtime->sockets());
  } else {
    backend = std::make_unique<co::KernelBackend>();
  }
  co::Scheduler sched(*backend);
  const int listen_fd =
      co::ListenOn(sched, SOCK_STREAM, co::MakeAddr("0.0.0.0", static_cast<uint16_t>(port)));
  if (listen_fd < 0) {
    std::fprintf(stderr, "coro_echo: listen on port %d: %s\n", port, std::strerror(-listen_fd));
    return 1;
  }
  Counters counters;
  sched.Spawn(Serve(sched, listen_fd, &counters));
  std::fprintf(stderr, "coro_echo: echoing on port %d (%s)\n", port, backend->Name());
  if (runtime) {
    runtime->Run([&] { sched.Poll(ustack::Duration()); });  // returns on SIGINT/SIGTERM
  } else {
    std::signal(SIGINT, [](int) { stop_kernel = 1; });
    std::signal(SIGTERM, [](int) { stop_kernel = 1; });
    sched.RunUntil([] { return stop_kernel != 0; });
  }
  std::printf("connections %lu bytes %lu\n", counters.connections, counters.bytes);
  return 0;
}
