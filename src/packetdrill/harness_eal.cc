// EAL start-up for the L3 harness, see harness_eal.h.
#include "packetdrill/harness_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <sched.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

namespace ustack::pd {

bool InitHarnessEal() {
  static std::once_flag once;
  static bool ok = false;
  std::call_once(once, [] {
    cpu_set_t saved;
    CPU_ZERO(&saved);
    const bool have_mask = sched_getaffinity(0, sizeof saved, &saved) == 0;
    std::vector<std::string> args = {"ustack-l3-harness",
                                     "--no-huge",
                                     "--no-pci",
                                     "--no-shconf",
                                     "-m",
                                     "256",
                                     "--log-level",
                                     "lib.eal:error",
                                     "-l",
                                     "0",
                                     "--no-telemetry",
                                     "--file-prefix=ustack-pd-" + std::to_string(getpid())};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    // EALREADY: another copy of this code (the plugin loaded into a process that already
    // started the EAL) got there first; the EAL is usable.
    ok = rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0 || rte_errno == EALREADY;
    if (have_mask) sched_setaffinity(0, sizeof saved, &saved);
  });
  return ok;
}

}  // namespace ustack::pd
