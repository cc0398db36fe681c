#!/usr/bin/env bash
# Builds the whole tree with clang in build-fuzz (so CI also proves it is warning-free with
# clang), every library instrumented for libFuzzer with ASan + UBSan, and runs the frame
# input target for a bounded time. Usage: tests/fuzz_run.sh [seconds] (default 60).
# Longer offline runs: tests/fuzz_run.sh 3600
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DUSTACK_FUZZ=ON -DUSTACK_WERROR=ON >/dev/null
ninja -C build-fuzz >build-fuzz/build.log 2>&1 || { tail -n 40 build-fuzz/build.log; exit 1; }
mkdir -p build-fuzz/corpus
ASAN_OPTIONS=detect_leaks=0 build-fuzz/bin/frame_input_fuzz -max_total_time="$secs" \
  -max_len=4096 -print_final_stats=1 build-fuzz/corpus fuzz/seeds 2>&1 | tail -n 15
