#!/usr/bin/env bash
# Jumbo frames between two ustack stacks over net_memif (two processes, no root needed):
#   1. ustack-echo server and client with [port0] mtu=MTU (default 9000; the runtime adds
#      bsize to the memif devargs): 2 s of 60 KB messages echoed and compared byte for
#      byte by the client (errors must be 0), and the server's counters must show frames
#      longer than 1514 bytes (so the segments were jumbo, not 1500-byte ones).
#   2. an MTU whose frames no mbuf can hold (65394) is refused with a clear message.
# Usage: memif_jumbo_test.sh [BIN_DIR] [MTU]
set -u
BIN=${1:-${USTACK_BIN:-$(cd "$(dirname "$0")/.." && pwd)/build/bin}}
MTU=${2:-9000}
ECHO=$BIN/ustack-echo
tmp=$(mktemp -d /tmp/ustack-memif-jumbo.XXXXXX)
srv=
fails=0
cleanup() {
  [[ -n $srv ]] && kill -KILL "$srv" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# conf ROLE ADDR PEER EXTRA_DEVARGS MTU: a config file for one end of the memif pair.
conf() {
  local role=$1 addr=$2 peer=$3 extra=$4 mtu=$5 mac=02:00:00:00:00:01
  [[ $role == client ]] && mac=02:00:00:00:00:02
  cat >"$tmp/$role.ini" <<EOF
[dpdk]
lcore_mask=1
memory=512
no_huge=1
file_prefix=ustack-jumbo-$role-$$
eal_args=--no-pci --vdev=net_memif0,role=$role,socket=$tmp/memif.sock,socket-abstract=no,mac=$mac$extra
[port0]
addr=$addr
netmask=255.255.255.0
gateway=$peer
mtu=$mtu
[runtime]
poll_mode=adaptive
EOF
  echo "$tmp/$role.ini"
}

fail() {
  echo "FAIL: $*"
  fails=$((fails + 1))
}

# 1. Jumbo segments carried intact.
s_conf=$(conf server 198.18.0.1 198.18.0.2 "" "$MTU")
c_conf=$(conf client 198.18.0.2 198.18.0.1 "" "$MTU")
"$ECHO" server --stack=ustack --conf "$s_conf" --port 7 2>"$tmp/server.log" &
srv=$!
for _ in $(seq 50); do
  grep -q "server on port" "$tmp/server.log" && break
  sleep 0.1
done
out=$(timeout 60 "$ECHO" client --stack=ustack --conf "$c_conf" --addr 198.18.0.1 --port 7 \
  --size 60013 --pipeline 2 --duration 2 --json 2>"$tmp/client.log")
kill -INT "$srv"
wait "$srv"
srv=
if ! grep -q "mtu $MTU " "$tmp/server.log" || ! grep -q "mtu $MTU " "$tmp/client.log"; then
  fail "the stacks did not report mtu $MTU: $(grep -h 'ustack: port' "$tmp"/*.log)"
fi
if /usr/bin/python3 -c '
import json, sys
r = json.loads(sys.argv[1])
sys.exit(0 if r["requests"] > 0 and r["errors"] == 0 and r["connect_errors"] == 0 else 1)
' "$out"; then
  echo "PASS: echo over memif with mtu $MTU, byte-exact replies: $out"
else
  fail "echo over memif with mtu $MTU: $out; client: $(tail -3 "$tmp/client.log")"
fi
# Average received frame of the server: data segments of the client dominate.
read -r rxp rxb < <(awk '$1=="port.rx_packets"{p=$2} $1=="port.rx_bytes"{b=$2}
  END{print p+0, b+0}' "$tmp/server.log")
if [[ $rxp -gt 0 && $((rxb / rxp)) -gt 1514 ]]; then
  echo "PASS: server received $rxp frames, $((rxb / rxp)) bytes on average"
else
  fail "no jumbo frames at the server: $rxp frames, $rxb bytes"
fi
if grep -q "port.rx_dropped" "$tmp/server.log"; then
  fail "server dropped frames: $(grep port.rx_dropped "$tmp/server.log")"
fi

# 2. An MTU no mbuf can hold is a clear configuration error.
bad=$(conf server 198.18.0.1 198.18.0.2 "" 65394)
if timeout 20 "$ECHO" server --stack=ustack --conf "$bad" --port 7 >"$tmp/bad.log" 2>&1; then
  fail "mtu 65394 started"
elif grep -q "mtu: value 65394 is out of range \[576, 65393\]" "$tmp/bad.log"; then
  echo "PASS: mtu 65394 refused: $(grep -o 'mtu: value.*' "$tmp/bad.log")"
else
  fail "mtu 65394: unclear error: $(tail -3 "$tmp/bad.log")"
fi

[[ $fails -eq 0 ]] && echo "memif_jumbo: all passed" || echo "memif_jumbo: $fails failed"
exit $((fails > 0))
