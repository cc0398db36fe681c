// What the coroutine apps (ustack-httpd, ustack-load) share: a small command-line parser
// (`--name VALUE`, `--name=VALUE`, flags, positional words), the stack chosen at run time
// (`--stack=ustack` builds the Runtime from --conf: EAL, port, Stack, SocketApi;
// `--stack=kernel` uses the kernel's sockets and needs neither DPDK nor a config), and the
// loop that drives a co::Scheduler on it until done or SIGINT/SIGTERM.
// Ownership: AppStack owns the Runtime (if any) and the IoBackend; schedulers built on it
// must be destroyed first.
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/runtime.h"
#include "ustack/co.h"

namespace ustack::app {

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> values;  // flags hold "1"

  std::string Get(std::string_view name, std::string_view def) const;
  bool Has(std::string_view name) const { return values.find(name) != values.end(); }
  // The value as an integer in [lo, hi] (def when absent); false and *error set otherwise.
  bool GetUint(std::string_view name, uint64_t def, uint64_t lo, uint64_t hi, uint64_t* out,
               std::string* error) const;
};

// Parses argv[1..]: `flags` take no value; `valued` take one (`--x V` or `--x=V`); words
// without "--" are positional. Unknown options and missing values are errors.
bool ParseArgs(int argc, char** argv, std::span<const std::string_view> flags,
               std::span<const std::string_view> valued, Args* out, std::string* error);

// "A.B.C.D:PORT" (or ":PORT" / "PORT" for 0.0.0.0); false if malformed.
bool ParseHostPort(std::string_view s, sockaddr_in* out);

struct AppStack {
  std::unique_ptr<Runtime> runtime;  // only for --stack=ustack
  std::unique_ptr<co::IoBackend> io;
  bool ustack() const { return runtime != nullptr; }
};

// stack is "ustack" (conf required) or "kernel". Prints nothing; *error says what failed.
bool MakeAppStack(std::string_view stack, const std::string& conf, const std::string& program,
                  AppStack* out, std::string* error);

// Polls `sched` (the Runtime's busy loop for ustack, epoll_wait for the kernel) until
// done() or SIGINT/SIGTERM; each_iteration runs before every Poll. For ustack the Runtime
// prints its counters when the loop ends.
void Drive(AppStack& stack, co::Scheduler& sched, const std::function<bool()>& done,
           const std::function<void()>& each_iteration = {});

}  // namespace ustack::app
