#!/usr/bin/env bash
# Interop over DPDK's net_tap: ustack-httpd creates a tap interface through the PMD, the
# test moves the kernel side of it into a namespace, and the Linux kernel pings it, fetches
# pages and a 1 MiB pattern checked by SHA-256. Needs root. Prints "N passed, N failed".
set -uo pipefail
source "$(dirname "$0")/lib.sh"
iop_init || exit 1
TAP=ut$IOP_ID
IOP_VETH_D=$TAP  # so the shared cleanup removes the tap too

conf="$IOP_TMP/tap.ini"
iop_write_config "$conf" af_packet 0 || exit 1
sed -i "s|--vdev=[^ ]*|--vdev=net_tap0,iface=$TAP|" "$conf"
"$USTACK_BIN/ustack-httpd" --conf "$conf" --port 80 >"$IOP_TMP/httpd.log" 2>&1 &
IOP_APP_PID=$!
IOP_PIDS+=("$IOP_APP_PID")
# Move the tap only once the PMD has finished configuring it (it works on it by name).
for _ in $(seq 150); do grep -q "listening on" "$IOP_TMP/httpd.log" && break; sleep 0.2; done
ip netns add "$IOP_NS"
ip link set "$TAP" netns "$IOP_NS"
iop_ns ip addr add "$IOP_HOST_ADDR/24" dev "$TAP"
iop_ns ip link set "$TAP" up
iop_ns ethtool -K "$TAP" tx off tso off gso off >/dev/null 2>&1
if ! iop_wait_ready 15; then
  sed 's/^/    /' "$IOP_TMP/httpd.log" >&2
  iop_fail "ustack-httpd answers ping over net_tap"
  iop_summary
  exit 1
fi

replies=$(iop_ns ping -c 20 -i 0.05 -W 1 "$IOP_STACK_ADDR" | grep -c "bytes from")
iop_check "ping -c 20 over net_tap" "$([[ $replies == 20 ]]; echo $?)" "$replies replies"

ok=0
for _ in $(seq 20); do
  out=$(iop_ns curl -s -m 5 -o /dev/null -w '%{http_code} %{size_download}' "http://$IOP_STACK_ADDR/")
  [[ "$out" == "200 600" ]] && ok=$((ok + 1))
done
iop_check "20 curl GET / over net_tap" "$([[ $ok == 20 ]]; echo $?)" "$ok/20 returned 200 with 600 bytes"

n=1048576
got=$(iop_ns curl -s -m 20 "http://$IOP_STACK_ADDR/bytes/$n" | sha256sum | cut -d' ' -f1)
want=$(python3 -c "
import hashlib, sys
n = $n
h = hashlib.sha256()
h.update(bytes(((i * 2654435761) % 2**64 >> 16) % 256 for i in range(n)))
print(h.hexdigest())")
iop_check "GET /bytes/$n SHA-256 over net_tap" "$([[ $got == "$want" ]]; echo $?)" "$got"

iop_stop_app
iop_check "ustack-httpd exits 0 on SIGINT" "$([[ $IOP_APP_RC == 0 ]]; echo $?)" "status $IOP_APP_RC"
iop_summary
((IOP_FAILS == 0))
