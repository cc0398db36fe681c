#!/usr/bin/env bash
# ustack-raw-pingpong over net_memif: a reflector (CPU 0) and a client (CPU 1) in two DPDK
# processes, 0.3 s with one frame in flight, then 0.3 s with 8 (a fresh reflector each).
# Passes when each client run reports round trips with ordered, positive percentiles, and
# the reflector stops on SIGINT with at least as many frames reflected as the client counted.
# "lost" is not asserted: on a loaded machine a descheduled process holds frames past the
# client's loss timeout (they come back later as "stray").
# Usage: raw_pingpong_test.sh [BIN_DIR]
set -u
BIN=${1:-${USTACK_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}}
RAW=$BIN/ustack-raw-pingpong
tmp=$(mktemp -d /tmp/ustack-raw-test.XXXXXX)
srv=
cleanup() {
  [[ -n $srv ]] && kill -KILL "$srv" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fails=0

# conf ROLE MASK MAC: a config.ini for one end of an abstract-socket memif link.
conf() {
  cat >"$tmp/$1.ini" <<INI
[dpdk]
lcore_mask=$2
memory=256
no_huge=1
file_prefix=ustack-raw-$1-$$
eal_args=--no-pci --vdev=net_memif0,role=$1,id=0,socket=/ustack-raw-$$,socket-abstract=yes,mac=$3
[port0]
addr=198.18.0.$4
INI
}
conf server 1 02:00:00:00:00:01 1
conf client 2 02:00:00:00:00:02 2

# run WINDOW: a fresh reflector for each client. A memif server that keeps polling while
# clients disconnect and reconnect can crash in the memif PMD's transmit (eth_memif_tx,
# DPDK 22.11) or stop receiving; scripts/bench starts a fresh server per run for the same
# reason.
run() {
  local window=$1 out rc json n reflected
  "$RAW" --conf "$tmp/server.ini" --role server 2>"$tmp/server.log" &
  srv=$!
  # The client cannot start before the reflector listens on its (abstract) socket.
  for _ in $(seq 50); do
    grep -q "@/ustack-raw-$$\$" /proc/net/unix && break
    sleep 0.1
  done
  out=$(timeout 30 "$RAW" --conf "$tmp/client.ini" --role client --window "$window" \
    --duration 0.3 --warmup 0.05 2>"$tmp/client.log")
  rc=$?
  json=$(printf '%s\n' "$out" | grep '^{' | tail -1)
  if [[ $rc -eq 0 ]] && n=$(/usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
ok = (r["round_trips"] > 0 and r["rtps"] > 0 and r["window"] == int(sys.argv[2])
      and 0 < r["min_us"] <= r["p50_us"] <= r["p99_us"] <= r["p999_us"] <= r["max_us"])
print(r["round_trips"])
sys.exit(0 if ok else 1)
' "$json" "$window"); then
    echo "PASS: window $window: $(printf '%s\n' "$out" | grep '^round trip' | tr '\n' ' ')"
  else
    echo "FAIL: window $window (rc $rc): $out"
    cat "$tmp/client.log"
    fails=$((fails + 1))
    n=0
  fi
  kill -INT "$srv"
  if wait "$srv"; then
    reflected=$(sed -n 's/^raw.reflected //p' "$tmp/server.log")
    if [[ -n $reflected && $reflected -ge $n ]]; then
      echo "PASS: reflector exits 0 on SIGINT, reflected $reflected >= $n measured"
    else
      echo "FAIL: reflector reflected '$reflected', client measured $n"
      fails=$((fails + 1))
    fi
  else
    echo "FAIL: reflector exit status"
    cat "$tmp/server.log"
    fails=$((fails + 1))
  fi
  srv=
}

run 1
run 8
exit $((fails > 0))
