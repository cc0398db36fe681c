// ustack-scenario: runs packetdrill-syntax scenario scripts against ustack over the L3
// harness. Usage: ustack-scenario [options] script.pkt...
//   --tolerance_usecs=N   timing tolerance of outbound packets and blocking calls (4000)
//   --lenient             do not fail on outbound packets the script does not expect
//   --verbose, -v         print each event and each outbound packet
//   --plugin=PATH         run through libustack_packetdrill.so's packetdrill interface
//   --KEY=VALUE           a stack setting (local_ip, tcp.delayed_ack_ms, ...; see
//                         src/packetdrill/stack_flags.h); scripts may set the same in
//                         `--KEY=VALUE` header lines.
// Prints PASS/FAIL per script; exits 1 if any script failed, 2 on bad usage.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "packetdrill/stack_flags.h"
#include "runner.h"
#include "script.h"

namespace {

using ustack::scenario::RunOptions;

// Applies one --key=value; false with *error on a bad option.
bool ApplyOption(const std::string& key, const std::string& value, RunOptions* o,
                 std::string* error) {
  if (key == "tolerance_usecs") {
    o->tolerance_usecs = std::atoll(value.c_str());
    return true;
  }
  if (key == "lenient") {
    o->strict = false;
    return true;
  }
  if (key == "verbose") {
    o->verbose = true;
    return true;
  }
  if (key == "plugin") {
    o->plugin = value;
    return true;
  }
  if (!ustack::pd::ApplyStackFlag(key, value, &o->stack, error)) return false;
  o->stack_flags += key + "=" + value + " ";
  return true;
}

int RunOne(const std::string& path, const RunOptions& base) {
  std::ifstream in(path);
  if (!in) {
    std::printf("FAIL %s: cannot open\n", path.c_str());
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  ustack::scenario::Script script;
  std::string err;
  if (!ustack::scenario::ParseScript(path, text.str(), &script, &err)) {
    std::printf("FAIL %s\n", err.c_str());
    return 1;
  }
  RunOptions opts = base;
  for (const auto& [k, v] : script.options) {
    if (!ApplyOption(k, v, &opts, &err)) {
      std::printf("FAIL %s: %s\n", path.c_str(), err.c_str());
      return 1;
    }
  }
  err = ustack::scenario::RunScript(script, opts);
  if (!err.empty()) {
    std::printf("FAIL %s\n", err.c_str());
    return 1;
  }
  std::printf("PASS %s\n", path.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  RunOptions opts;
  std::vector<std::string> scripts;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-v") a = "--verbose";
    if (a.rfind("--", 0) == 0) {
      const size_t eq = a.find('=');
      std::string err;
      const std::string key = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
      if (!ApplyOption(key, value, &opts, &err)) {
        std::fprintf(stderr, "ustack-scenario: %s\n", err.c_str());
        return 2;
      }
    } else {
      scripts.push_back(a);
    }
  }
  if (scripts.empty()) {
    std::fprintf(stderr,
                 "usage: ustack-scenario [--tolerance_usecs=N] [--lenient] [-v] "
                 "[--plugin=PATH] [--KEY=VALUE] script.pkt...\n");
    return 2;
  }
  int failed = 0;
  for (const auto& s : scripts) failed += RunOne(s, opts);
  std::printf("%zu scripts, %d failed\n", scripts.size(), failed);
  std::fflush(stdout);
  return failed == 0 ? 0 : 1;
}
