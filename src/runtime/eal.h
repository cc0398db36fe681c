// EAL start-up from the [dpdk] section of config.ini. BuildEalArgs is a pure function (unit
// tested); InitEal hands its result to rte_eal_init, which may be called once per process.
#pragma once

#include <string>
#include <vector>

#include "runtime/config.h"

namespace ustack {

// The EAL command line: argv0, -c <lcore_mask>, -m <memory>, --no-huge (when set),
// --file-prefix=<prefix>, the eal_args tokens as given, then --no-telemetry and a quiet
// --log-level unless eal_args already chose telemetry or a log level.
std::vector<std::string> BuildEalArgs(const DpdkSection& dpdk, const std::string& argv0);

// Starts the EAL. On failure returns false and sets *error to a message naming the reason
// (rte_errno) and the arguments that were used.
bool InitEal(const DpdkSection& dpdk, const std::string& argv0, std::string* error);

// Releases EAL resources (rte_eal_cleanup); call after every DPDK object is gone.
void CleanupEal();

}  // namespace ustack
