#!/usr/bin/env bash
# ustack-echo on the kernel backend over 127.0.0.1: a server, then a TCP client (4 conns,
# pipeline 4) and a UDP client for 2 s each; passes when both get answers with no errors
# and the server stops cleanly on SIGINT. Needs no root. Usage: echo_kernel_test.sh [BIN_DIR]
set -u
BIN=${1:-${USTACK_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}}
ECHO=$BIN/ustack-echo
# Below the ephemeral range (32768+), where TIME_WAIT sockets of other tests could sit.
PORT=$((20000 + $$ % 12000))
fails=0
tmp=$(mktemp -d /tmp/ustack-echo-test.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# check NAME JSON: requests > 0 and errors == connect_errors == 0.
check() {
  local name=$1 json=$2
  if /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r["requests"] > 0 and r["errors"] == 0 and r["connect_errors"] == 0 else 1)
' "$json"; then
    echo "PASS: $name $json"
  else
    echo "FAIL: $name $json"
    fails=$((fails + 1))
  fi
}

for proto in tcp udp; do
  flag=
  [[ $proto == udp ]] && flag=--udp
  for attempt in 1 2 3; do  # another port if this one is taken
    "$ECHO" server --stack=kernel --addr 127.0.0.1 --port "$PORT" $flag 2>"$tmp/server-$proto.log" &
    srv=$!
    pids+=("$srv")
    sleep 0.3
    kill -0 "$srv" 2>/dev/null && break
    PORT=$((PORT + 1))
  done
  out=$(timeout 20 "$ECHO" client --stack=kernel --addr 127.0.0.1 --port "$PORT" $flag \
    --conns 4 --pipeline 4 --size 64 --duration 2 --json)
  check "echo $proto client" "$out"
  kill -INT "$srv"
  if wait "$srv"; then
    echo "PASS: echo $proto server exits 0 on SIGINT"
  else
    echo "FAIL: echo $proto server exit status"; cat "$tmp/server-$proto.log"
    fails=$((fails + 1))
  fi
done
exit $((fails > 0))
