// EAL start-up, see eal.h. The only place in the runtime that includes rte_eal.h.
#include "runtime/eal.h"

#include <rte_eal.h>
#include <rte_errno.h>

namespace ustack {
namespace {

bool HasArg(const std::vector<std::string>& args, std::string_view prefix) {
  for (const std::string& a : args) {
    if (a.starts_with(prefix)) return true;
  }
  return false;
}

std::string Join(const std::vector<std::string>& args) {
  std::string out;
  for (const std::string& a : args) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

}  // namespace

std::vector<std::string> BuildEalArgs(const DpdkSection& dpdk, const std::string& argv0) {
  std::vector<std::string> args = {argv0, "-c", dpdk.lcore_mask, "-m",
                                   std::to_string(dpdk.memory_mb)};
  if (dpdk.no_huge) args.push_back("--no-huge");
  args.push_back("--file-prefix=" + dpdk.file_prefix);
  args.insert(args.end(), dpdk.eal_args.begin(), dpdk.eal_args.end());
  if (!HasArg(dpdk.eal_args, "--telemetry") && !HasArg(dpdk.eal_args, "--no-telemetry")) {
    args.push_back("--no-telemetry");
  }
  if (!HasArg(dpdk.eal_args, "--log-level")) args.push_back("--log-level=warning");
  return args;
}

bool InitEal(const DpdkSection& dpdk, const std::string& argv0, std::string* error) {
  std::vector<std::string> args = BuildEalArgs(dpdk, argv0);
  // rte_eal_init may reorder argv, so it gets pointers into a copy it can keep.
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int rc = rte_eal_init(static_cast<int>(args.size()), argv.data());
  if (rc < 0) {
    *error = "rte_eal_init failed: " + std::string(rte_strerror(rte_errno)) +
             " (arguments: " + Join(BuildEalArgs(dpdk, argv0)) + ")";
    return false;
  }
  return true;
}

void CleanupEal() { rte_eal_cleanup(); }

}  // namespace ustack
