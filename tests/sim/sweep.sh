#!/usr/bin/env bash
# Long offline run of the mixed simulation sweep (CI runs 1,000 seeds of it).
# Usage: tests/sim/sweep.sh [SEEDS=100000] [BUILD_DIR=build]
# Seeds are split over the 20 shards of MixedSweep, two shards at a time. Every failing seed
# is printed with its replay command; the exit status is non-zero if any seed failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
seeds=${1:-100000}
build=${2:-build}
per_shard=$(((seeds + 19) / 20))
log=$(mktemp -d /tmp/ustack-sweep.XXXXXX)
echo "sweep: $((per_shard * 20)) seeds, logs in $log"
start=$SECONDS
seq 0 19 | xargs -P 2 -I{} sh -c \
  "USTACK_SWEEP_SEEDS_PER_SHARD=$per_shard $build/bin/sim_tests \
     --gtest_filter='Shards/MixedSweep.*/{}' > $log/shard-{}.log 2>&1 || true"
failed=$(grep -h "replay: USTACK_SWEEP_SEED=" "$log"/shard-*.log | sort -u || true)
passed=$(grep -c "^\[       OK \]" "$log"/shard-*.log | awk -F: '{s += $2} END {print s}')
echo "sweep: $passed of 20 shards passed in $((SECONDS - start)) s"
if [[ -n "$failed" ]]; then
  grep -h "Which is" "$log"/shard-*.log | sed 's/^ *Which is: //'
  echo "$failed"
  exit 1
fi
echo "sweep: all $((per_shard * 20)) seeds passed"
