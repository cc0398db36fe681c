// EAL start-up for the L3 harness (scenario runner and packetdrill plugin): once per process,
// without hugepages, PCI devices or shared files, with a per-process file prefix. The calling
// thread's CPU affinity is restored afterwards so that parallel test runs are not all pinned
// to core 0. Test infrastructure only.
#pragma once

namespace ustack::pd {

// True once the EAL is ready (initialising it on the first call; later calls are cheap).
bool InitHarnessEal();

}  // namespace ustack::pd
