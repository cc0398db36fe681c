// Test support: initialises DPDK's EAL once per test process, without hugepages, PCI or
// shared files, so unit and simulation tests can allocate mbufs. Not for production use.
#pragma once

namespace ustack {

// Returns true when the EAL is ready (initialising it on first call).
bool InitTestEal();

}  // namespace ustack
