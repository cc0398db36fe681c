#!/usr/bin/env bash
# Builds the whole tree with clang in build-fuzz (so CI also proves it is warning-free with
# clang), every library instrumented for libFuzzer with ASan + UBSan, replays the inputs of
# bugs found before (fuzz/crashes-found), then runs each fuzz target for a bounded time:
#   frame_input_fuzz   frame sequences into a whole stack
#   tcp_stateful_fuzz  one TCP connection driven by segments, time and socket calls, with its
#                      invariants checked after every step (fuzz/tcp_stateful_fuzz.cc)
# Usage: tests/fuzz_run.sh [seconds per target] (default 60).
# Longer offline runs: tests/fuzz_run.sh 3600, or one target only:
#   FRAME_FUZZ_SECONDS=0 TCP_FUZZ_SECONDS=3600 tests/fuzz_run.sh
# A failing TCP input replays with its trace (one line per step and segment):
#   TCP_FUZZ_TRACE=1 build-fuzz/bin/tcp_stateful_fuzz build-fuzz/crash-...
# FUZZ_BUILD_DIR picks another build directory (default build-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
frame_secs="${FRAME_FUZZ_SECONDS:-$secs}"
tcp_secs="${TCP_FUZZ_SECONDS:-$secs}"
b="${FUZZ_BUILD_DIR:-build-fuzz}"
CC=clang CXX=clang++ cmake -S . -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUSTACK_FUZZ=ON -DUSTACK_WERROR=ON >/dev/null
ninja -C "$b" >"$b/build.log" 2>&1 || { tail -n 40 "$b/build.log"; exit 1; }
export ASAN_OPTIONS=detect_leaks=0

# Regression inputs: every bug found before must stay fixed.
mapfile -t found < <(find fuzz/crashes-found -type f ! -name '*.md' | sort)
if ((${#found[@]} > 0)); then
  if ! "$b/bin/tcp_stateful_fuzz" "${found[@]}" >"$b/regressions.log" 2>&1; then
    grep -E -A12 "^Running:.*|invariant violated|ERROR" "$b/regressions.log" | tail -n 30
    exit 1
  fi
  echo "== ${#found[@]} regression inputs of tcp_stateful_fuzz pass"
fi

# fuzz TARGET SECONDS MAX_LEN CORPUS SEEDS: one bounded run; a crash fails the script and
# leaves the input in $b/crash-*.
fuzz() {
  local target="$1" seconds="$2" max_len="$3" corpus="$4" seeds="$5" log="$b/$1.log"
  ((seconds > 0)) || return 0
  mkdir -p "$corpus"
  echo "== $target for ${seconds}s"
  if ! "$b/bin/$target" -max_total_time="$seconds" -max_len="$max_len" -timeout=30 \
    -print_final_stats=1 -artifact_prefix="$b/" "$corpus" "$seeds" >"$log" 2>&1; then
    grep -E -A12 "invariant violated|ERROR" "$log" | head -n 30
    grep -E "Test unit written" "$log"
    exit 1
  fi
  tail -n 6 "$log"
}
fuzz frame_input_fuzz "$frame_secs" 4096 "$b/corpus" fuzz/seeds
fuzz tcp_stateful_fuzz "$tcp_secs" 4096 "$b/tcp_corpus" fuzz/tcp_seeds
