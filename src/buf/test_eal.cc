// Test-only EAL start-up, see test_eal.h.
#include "buf/test_eal.h"

#include <rte_eal.h>

#include <unistd.h>

#include <string>
#include <vector>

namespace ustack {

bool InitTestEal() {
  static const bool ok = [] {
    std::vector<std::string> args = {"ustack-test",
                                     "--no-huge",
                                     "--no-pci",
                                     "--no-shconf",
                                     "-m",
                                     "512",
                                     "--log-level",
                                     "lib.eal:error",
                                     "-l",
                                     "0",
                                     "--no-telemetry",
                                     "--file-prefix=ustack-test-" + std::to_string(getpid())};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    return rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
  }();
  return ok;
}

bool InitChildEal(const std::string& prefix, const std::string& vdev) {
  std::vector<std::string> args = {"ustack-test-child",
                                   "--no-huge",
                                   "--no-pci",
                                   "-m",
                                   "256",
                                   "--no-shconf",
                                   "--no-telemetry",
                                   "-l",
                                   "0",
                                   "--file-prefix=" + prefix + std::to_string(getpid()),
                                   "--vdev=" + vdev,
                                   "--log-level=lib.eal:error"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  return rte_eal_init(static_cast<int>(argv.size()), argv.data()) >= 0;
}

}  // namespace ustack
