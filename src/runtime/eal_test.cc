// Tests for the EAL argument list built from [dpdk] (the call to rte_eal_init itself is
// covered by the interop tests, since the EAL can start only once per process).
#include "runtime/eal.h"

#include <gtest/gtest.h>

namespace ustack {
namespace {

using Args = std::vector<std::string>;

TEST(EalArgsTest, DefaultsAreQuietAndWithoutTelemetry) {
  DpdkSection d;
  EXPECT_EQ(BuildEalArgs(d, "app"), (Args{"app", "-c", "1", "-m", "256", "--file-prefix=ustack",
                                          "--no-telemetry", "--log-level=warning"}));
}

TEST(EalArgsTest, NoHugeAndExtraArgsInOrder) {
  DpdkSection d;
  d.lcore_mask = "f";
  d.memory_mb = 512;
  d.no_huge = true;
  d.file_prefix = "demo";
  d.eal_args = {"--no-pci", "--vdev=net_af_packet0,iface=v0"};
  EXPECT_EQ(BuildEalArgs(d, "/bin/x"),
            (Args{"/bin/x", "-c", "f", "-m", "512", "--no-huge", "--file-prefix=demo", "--no-pci",
                  "--vdev=net_af_packet0,iface=v0", "--no-telemetry", "--log-level=warning"}));
}

TEST(EalArgsTest, UserLogLevelAndTelemetryWin) {
  DpdkSection d;
  d.eal_args = {"--log-level=debug", "--telemetry"};
  Args a = BuildEalArgs(d, "app");
  EXPECT_EQ(a, (Args{"app", "-c", "1", "-m", "256", "--file-prefix=ustack", "--log-level=debug",
                     "--telemetry"}));
}

}  // namespace
}  // namespace ustack
