// Test support: initialises DPDK's EAL once per test process, without hugepages, PCI or
// shared files, so unit and simulation tests can allocate mbufs. Not for production use.
#pragma once

#include <string>

namespace ustack {

// Returns true when the EAL is ready (initialising it on first call).
bool InitTestEal();

// For a test's child process that drives one device: starts the EAL with 256 MB, one lcore,
// the file prefix `prefix` + pid and `--vdev=vdev`; true when it started.
bool InitChildEal(const std::string& prefix, const std::string& vdev);

}  // namespace ustack
