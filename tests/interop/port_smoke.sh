#!/usr/bin/env bash
# Port smoke test: runs DpdkPort against real DPDK virtual devices.
#   - net_af_packet and net_af_xdp on a fresh veth pair, frames both ways with an AF_PACKET
#     socket on the kernel end (needs root and `ip`; af_xdp is skipped if it cannot start)
#   - net_memif between two DPDK processes (server and client)
# The work is done by GoogleTests in src/port/dpdk_port_test.cc, which create and delete
# their own veth pairs (named ustv<pid>...) and run each DPDK side in a child process with
# its own EAL. This script finds the test binary, runs those tests and fails if any failed,
# or if, as root, the af_packet test was skipped.
#
# Usage: tests/interop/port_smoke.sh [BUILD_DIR]   (default: ./build)
set -euo pipefail

build_dir="${1:-${BUILD_DIR:-build}}"
bin="$build_dir/bin/port_tests"
if [[ ! -x "$bin" ]]; then
  echo "port_smoke: $bin not found; build it with: ninja -C $build_dir port_tests" >&2
  exit 2
fi

log="$(mktemp /tmp/ustack-port-smoke.XXXXXX)"
trap 'rm -f "$log"' EXIT

status=0
timeout 60 "$bin" --gtest_filter='DpdkPortTest.*:DpdkPortVethTest.*:DpdkPortMemifTest.*' \
  --gtest_color=no 2>&1 | tee "$log" || status=$?

passed=$(grep -c '^\[       OK \]' "$log" || true)
failed=$(grep -c '^\[  FAILED  \] [A-Za-z]*\.[A-Za-z]* (' "$log" || true)
skipped=$(grep -c '^\[  SKIPPED \] [A-Za-z]*\.[A-Za-z]* (' "$log" || true)
# Each child process prints its own "[ OK ] DpdkPortChild.Run"; count only parent tests.
children=$(grep -c '^\[       OK \] DpdkPortChild.Run' "$log" || true)
passed=$((passed - children))

if [[ $(id -u) -eq 0 ]] && grep -q '^\[  SKIPPED \] DpdkPortVethTest.AfPacket' "$log"; then
  echo "port_smoke: af_packet test skipped although running as root" >&2
  status=1
fi
if [[ "$failed" -gt 0 ]]; then status=1; fi

echo "port_smoke: $passed passed, $failed failed, $skipped skipped"
exit "$status"
