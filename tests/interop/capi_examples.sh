#!/usr/bin/env bash
# Interop test of the F-Stack-compatible C API: builds examples/kqueue_http.c and
# examples/epoll_http.c the way an outside application would (cc with `pkg-config --cflags
# --libs ustack` from the build tree), runs each with --conf on the DPDK end of a veth, and
# checks that curl from the kernel's namespace gets the hello-world page 20 times out of 20
# and that the app exits 0 on SIGINT. Needs root.
#   tests/interop/capi_examples.sh [af_packet|af_xdp]
# Environment: USTACK_BIN (default build/bin; the .pc file is looked up in $USTACK_BIN/../lib/
# pkgconfig), IOP_KEEP_TMP=1 keeps logs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

PMD=${1:-af_packet}
if [[ "$PMD" != af_packet && "$PMD" != af_xdp ]]; then
  echo "usage: $0 [af_packet|af_xdp]" >&2
  exit 2
fi
PC_DIR=$(cd "$USTACK_BIN/../lib/pkgconfig" 2>/dev/null && pwd)
for t in curl cc pkg-config; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
[[ -n "$PC_DIR" && -f "$PC_DIR/ustack.pc" ]] || { echo "missing ustack.pc (build first)" >&2; exit 1; }

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }
EX_BIN=$IOP_TMP/bin
mkdir -p "$EX_BIN"
REQUESTS=20

for ex in kqueue_http epoll_http; do
  flags=$(PKG_CONFIG_PATH=$PC_DIR pkg-config --cflags --libs ustack)
  # shellcheck disable=SC2086  # the flags are meant to be split
  out=$(cc -std=c11 -O2 -Wall -Wextra -Werror -o "$EX_BIN/ff_$ex" "$IOP_REPO/examples/$ex.c" \
        $flags 2>&1)
  iop_check "examples/$ex.c builds with pkg-config ustack" "$?" "$out"
done

USTACK_BIN=$EX_BIN  # iop_start_app runs $USTACK_BIN/APP
for ex in kqueue_http epoll_http; do
  [[ -x "$EX_BIN/ff_$ex" ]] || continue
  if ! iop_start_app "ff_$ex" "$PMD" 0 20; then
    iop_fail "ff_$ex starts and answers ping on $PMD"
    continue
  fi
  ok=0
  for ((i = 0; i < REQUESTS; i++)); do
    body=$(iop_ns curl -s -m 5 "http://$IOP_STACK_ADDR/")
    [[ "$body" == *"Hello, world!"* ]] && ok=$((ok + 1))
  done
  iop_check "ff_$ex: curl gets hello world $REQUESTS times" \
    "$([[ $ok == "$REQUESTS" ]]; echo $?)" "$ok/$REQUESTS"
  log=$IOP_APP_LOG
  iop_stop_app
  iop_check "ff_$ex exits 0 on SIGINT" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" "rc $IOP_APP_RC"
  if [[ $ok != "$REQUESTS" || "$IOP_APP_RC" != 0 ]]; then sed 's/^/    /' "$log" >&2; fi
done

iop_summary
