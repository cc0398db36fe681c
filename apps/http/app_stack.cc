// Command line, stack choice and the scheduler loop for the coroutine apps; see app_stack.h.
#include "http/app_stack.h"

#include <arpa/inet.h>
#include <signal.h>

#include <charconv>
#include <csignal>

#include "runtime/config.h"
#include "ustack/co_ustack.h"

namespace ustack::app {
namespace {

// Set by SIGINT/SIGTERM in kernel mode (ustack mode: the Runtime has its own flag). A
// signal handler can reach nothing else.
volatile std::sig_atomic_t kernel_stop = 0;

void OnKernelStop(int) { kernel_stop = 1; }

bool Contains(std::span<const std::string_view> names, std::string_view n) {
  for (std::string_view x : names) {
    if (x == n) return true;
  }
  return false;
}

}  // namespace

std::string Args::Get(std::string_view name, std::string_view def) const {
  auto it = values.find(name);
  return it == values.end() ? std::string(def) : it->second;
}

bool Args::GetUint(std::string_view name, uint64_t def, uint64_t lo, uint64_t hi, uint64_t* out,
                   std::string* error) const {
  auto it = values.find(name);
  if (it == values.end()) {
    *out = def;
    return true;
  }
  const std::string& s = it->second;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) {
    *error = "--" + std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
             std::to_string(hi) + "], not '" + s + "'";
    return false;
  }
  *out = v;
  return true;
}

bool ParseArgs(int argc, char** argv, std::span<const std::string_view> flags,
               std::span<const std::string_view> valued, Args* out, std::string* error) {
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    if (!s.starts_with("--")) {
      out->positional.emplace_back(s);
      continue;
    }
    s.remove_prefix(2);
    const size_t eq = s.find('=');
    const std::string_view name = s.substr(0, eq);
    if (Contains(flags, name) && eq == std::string_view::npos) {
      out->values[std::string(name)] = "1";
      continue;
    }
    if (!Contains(valued, name)) {
      *error = "unknown option --" + std::string(name);
      return false;
    }
    if (eq != std::string_view::npos) {
      out->values[std::string(name)] = std::string(s.substr(eq + 1));
    } else if (i + 1 < argc) {
      out->values[std::string(name)] = argv[++i];
    } else {
      *error = "missing value for --" + std::string(name);
      return false;
    }
  }
  return true;
}

bool ParseHostPort(std::string_view s, sockaddr_in* out) {
  std::string host = "0.0.0.0";
  const size_t colon = s.rfind(':');
  std::string_view port = s;
  if (colon != std::string_view::npos) {
    if (colon > 0) host = std::string(s.substr(0, colon));
    port = s.substr(colon + 1);
  }
  uint16_t p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()) return false;
  *out = co::MakeAddr(host.c_str(), p);
  return out->sin_family == AF_INET;
}

bool MakeAppStack(std::string_view stack, const std::string& conf, const std::string& program,
                  AppStack* out, std::string* error) {
  if (stack == "kernel") {
    auto kb = std::make_unique<co::KernelBackend>();
    if (!kb->ok()) {
      *error = "epoll_create1 failed";
      return false;
    }
    out->io = std::move(kb);
    return true;
  }
  if (stack != "ustack") {
    *error = "--stack must be ustack or kernel";
    return false;
  }
  if (conf.empty()) {
    *error = "--stack=ustack needs --conf FILE (see apps/config.example.ini)";
    return false;
  }
  ConfigResult cfg = LoadConfig(conf);
  if (!cfg.ok()) {
    *error = cfg.error;
    return false;
  }
  out->runtime = Runtime::Create(*cfg.config, program, error);
  if (!out->runtime) return false;
  out->io = std::make_unique<co::UstackBackend>(out->runtime->sockets());
  return true;
}

void Drive(AppStack& stack, co::Scheduler& sched, const std::function<bool()>& done,
           const std::function<void()>& each_iteration) {
  if (stack.ustack()) {
    stack.runtime->Run([&] {
      if (each_iteration) each_iteration();
      sched.Poll(Duration());
      if (done()) Runtime::RequestStop();
    });
    return;
  }
  struct sigaction sa = {};
  sa.sa_handler = OnKernelStop;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  while (kernel_stop == 0 && !done()) {
    if (each_iteration) each_iteration();
    sched.Poll(Duration::Millis(100));
  }
  sa.sa_handler = SIG_DFL;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace ustack::app
