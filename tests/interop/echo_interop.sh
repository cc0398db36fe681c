#!/usr/bin/env bash
# Interop test of ustack-echo: the same coroutine app on both sides of a veth pair.
#  1. `ustack-echo server --stack=ustack` on the DPDK end, `ustack-echo client --stack=kernel`
#     in the namespace: TCP (4 conns, pipeline 4) and UDP must get answers with no errors.
#  2. `ustack-echo server --stack=kernel` in the namespace, `ustack-echo client --stack=ustack`
#     on the DPDK end (the ustack client's connect path).
# Each check prints PASS or FAIL; the exit status is non-zero when any failed. Needs root.
#   tests/interop/echo_interop.sh [af_packet|af_xdp]     (default af_packet)
# Environment: USTACK_BIN (default build/bin), IOP_KEEP_TMP=1 keeps logs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

iop_pmd_arg "${1:-af_packet}"
iop_require_bin ustack-echo

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }
STARTUP=20
PORT=7007
DURATION=3

# json_ok JSON: requests > 0 and no errors.
json_ok() {
  python3 -c '
import json, sys
try:
    r = json.loads(sys.argv[1])
except ValueError:
    sys.exit(1)
sys.exit(0 if r["requests"] > 0 and r["errors"] == 0 and r["connect_errors"] == 0 else 1)
' "$1"
}

# --- ustack server, kernel client --------------------------------------------------------------
for proto in tcp udp; do
  flag=
  [[ $proto == udp ]] && flag=--udp
  if iop_start_app ustack-echo "$PMD" 0 "$STARTUP" server --stack=ustack --port "$PORT" $flag; then
    out=$(iop_ns timeout 30 "$USTACK_BIN/ustack-echo" client --stack=kernel \
      --addr "$IOP_STACK_ADDR" --port "$PORT" --conns 4 --pipeline 4 --duration "$DURATION" \
      $flag --json 2>&1)
    json_ok "$out"
    iop_check "$proto: kernel client gets echoes from the ustack server" "$?" "$out"
    iop_stop_app
    iop_check "$proto: ustack-echo server exits 0 on SIGINT" \
      "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" "rc $IOP_APP_RC"
    grep -E '^echo\.' "$IOP_APP_LOG" | tr '\n' ' ' >&2
    echo >&2
  else
    iop_fail "$proto: ustack-echo server starts and answers ping on $PMD"
  fi
done

# --- kernel server, ustack client --------------------------------------------------------------
# Not through the iop_ns function: `&` on a function forks a subshell, and the cleanup's
# SIGINT would reach that subshell instead of the server (ip netns exec execs the app).
ip netns exec "$IOP_NS" "$USTACK_BIN/ustack-echo" server --stack=kernel \
  --addr "$IOP_HOST_ADDR" --port "$PORT" >"$IOP_TMP/kernel-server.log" 2>&1 &
IOP_PIDS+=("$!")
sleep 0.5
conf="$IOP_TMP/client-$PMD.ini"
iop_write_config "$conf" "$PMD" 0
out=$(timeout 60 "$USTACK_BIN/ustack-echo" client --stack=ustack --conf "$conf" \
  --addr "$IOP_HOST_ADDR" --port "$PORT" --conns 4 --pipeline 4 --duration "$DURATION" --json \
  2>"$IOP_TMP/ustack-client.log")
json_ok "$out"
rc=$?
iop_check "tcp: ustack client gets echoes from the kernel server" "$rc" "$out"
((rc == 0)) || sed 's/^/    /' "$IOP_TMP/ustack-client.log" | tail -20 >&2

iop_summary
