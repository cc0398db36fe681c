// ustack-load: load generators of the project's own on coroutines, over ustack or the kernel.
//   ustack-load http [--stack=kernel|ustack] [--conf FILE] [--conns 64] [--duration 5]
//                    [--close] [--expect-length N] [--json] http://ADDR[:PORT][/PATH]
// Prints requests/s (connections/s with --close) and latency p50/p99/p99.9 (text, or one
// JSON line with --json); exits 0 when there were answers and no errors, 1 otherwise, 2 on
// a usage error.
#include <array>
#include <cstdio>
#include <string>
#include <string_view>

#include "http/app_stack.h"
#include "load/http_load.h"

namespace {

constexpr const char* kUsage =
    "usage: ustack-load http [--stack=kernel|ustack] [--conf FILE] [--conns 64]\n"
    "                        [--duration 5] [--close] [--expect-length N] [--json]\n"
    "                        http://ADDR[:PORT][/PATH]\n"
    "  --close: a new connection per request (Connection: close); reports connections/s\n"
    "  --expect-length: every response body must have this many bytes\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace ustack;
  static constexpr std::array<std::string_view, 3> kFlags = {"close", "json", "help"};
  static constexpr std::array<std::string_view, 5> kValued = {"stack", "conf", "conns", "duration",
                                                              "expect-length"};
  app::Args args;
  std::string error;
  if (!app::ParseArgs(argc, argv, kFlags, kValued, &args, &error)) {
    std::fprintf(stderr, "ustack-load: %s\n%s", error.c_str(), kUsage);
    return 2;
  }
  if (args.Has("help")) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (args.positional.size() != 2 || args.positional[0] != "http") {
    std::fprintf(stderr, "ustack-load: want the mode (http) and one URL\n%s", kUsage);
    return 2;
  }
  load::HttpLoadOptions opts;
  if (!load::ParseHttpUrl(args.positional[1], &opts)) {
    std::fprintf(stderr, "ustack-load: bad URL '%s' (http://A.B.C.D[:PORT][/PATH])\n",
                 args.positional[1].c_str());
    return 2;
  }
  uint64_t conns = 0, duration = 0, expect = 0;
  if (!args.GetUint("conns", 64, 1, 1000000, &conns, &error) ||
      !args.GetUint("duration", 5, 1, 86400, &duration, &error) ||
      !args.GetUint("expect-length", 0, 0, uint64_t{1} << 40, &expect, &error)) {
    std::fprintf(stderr, "ustack-load: %s\n", error.c_str());
    return 2;
  }
  opts.conns = static_cast<uint32_t>(conns);
  opts.duration = Duration::Seconds(static_cast<int64_t>(duration));
  opts.close = args.Has("close");
  opts.expect_length = args.Has("expect-length") ? static_cast<int64_t>(expect) : -1;

  app::AppStack stack;
  if (!app::MakeAppStack(args.Get("stack", "kernel"), args.Get("conf", ""), argv[0], &stack,
                         &error)) {
    std::fprintf(stderr, "ustack-load: %s\n", error.c_str());
    return 1;
  }
  load::HttpLoadStats stats;
  {
    co::Scheduler sched(*stack.io);
    bool done = false;
    sched.Spawn([](co::Task<void> t, bool* d) -> co::Task<void> {
      co_await std::move(t);
      *d = true;
    }(load::RunHttpLoad(sched, opts, &stats), &done));
    app::Drive(stack, sched, [&done] { return done; });
  }
  const std::string report = args.Has("json") ? load::JsonReport(opts, stats, stack.io->Name())
                                              : load::TextReport(opts, stats, stack.io->Name());
  std::fputs(report.c_str(), stdout);
  return stats.requests > 0 && stats.errors == 0 ? 0 : 1;
}
