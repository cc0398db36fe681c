#!/usr/bin/env bash
# SYN flood against ustack-httpd over a veth pair while a second host keeps being served.
# The kernel's namespace bridges its veth end with a second veth leading to a client
# namespace, so two hosts share the one Ethernet segment of ustack's DPDK port:
#   flooder  198.18.0.1 (bridge br in the namespace): hping3 -S --flood at port 80 for 10 s,
#            from a spoofed address in the subnet that nobody answers ARP for, so no RST
#            ever clears ustack's half-open queue
#   client   198.18.0.3 (its own namespace): 100 curl requests during and after the flood,
#            10 at a time; every one must get 200 and the 600-byte body
# ustack's counters (printed when it stops) must show SYN cookies sent and validated
# (RFC 4987 3.6): the half-open queue was full and legitimate clients still got in. Needs
# root.   tests/interop/synflood.sh [af_packet|af_xdp]        (default af_packet)
# Environment: USTACK_BIN (default build/bin), IOP_KEEP_TMP=1 keeps logs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

iop_pmd_arg "${1:-af_packet}"
for t in curl hping3 xargs; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (run scripts/setup-deps)" >&2; exit 1; }
done
iop_require_bin ustack-httpd

FLOOD_SECONDS=10
REQUESTS=100
SPOOFED=198.18.0.99  # in the subnet, never answers ARP: SYN-ACKs to it go nowhere
CLIENT_ADDR=198.18.0.3

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }

# The bridge: the kernel's veth end and a veth to the client's namespace as its ports.
CNS=$IOP_NS-c BR=ub$IOP_ID VA=uc$IOP_ID VB=ucc$IOP_ID
IOP_EXTRA_NS+=("$CNS")
setup_bridge() {
  ip netns add "$CNS" || return 1
  iop_ns ip link add "$BR" type bridge || return 1
  iop_ns ip addr del "$IOP_HOST_ADDR/24" dev "$IOP_VETH_K" || return 1
  iop_ns ip link set "$IOP_VETH_K" master "$BR" || return 1
  iop_ns ip link add "$VA" type veth peer name "$VB" || return 1
  iop_ns ip link set "$VB" netns "$CNS" || return 1
  iop_ns ip link set "$VA" master "$BR" || return 1
  iop_ns ip addr add "$IOP_HOST_ADDR/24" dev "$BR" || return 1
  local dev
  for dev in "$BR" "$VA"; do
    iop_ns sysctl -qw "net.ipv6.conf.$dev.disable_ipv6=1"
    iop_ns ethtool -K "$dev" tx off tso off gso off >/dev/null 2>&1
    iop_ns ip link set "$dev" up || return 1
  done
  ip -n "$CNS" link set lo up
  ip netns exec "$CNS" sysctl -qw "net.ipv6.conf.$VB.disable_ipv6=1"
  ip -n "$CNS" addr add "$CLIENT_ADDR/24" dev "$VB" || return 1
  ip netns exec "$CNS" ethtool -K "$VB" tx off tso off gso off >/dev/null 2>&1
  ip -n "$CNS" link set "$VB" up
}
setup_bridge || { echo "FAIL: cannot build the bridge and the client namespace"; exit 1; }

if ! iop_start_app ustack-httpd "$PMD" 0 20 --port 80 --body-size 600; then
  iop_fail "ustack-httpd starts on $PMD"
  iop_summary
  exit 1
fi
URL="http://$IOP_STACK_ADDR/"
out=$(ip netns exec "$CNS" curl -s -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' "$URL")
iop_check "the client namespace reaches ustack through the bridge" \
  "$([[ "$out" == "200 600" ]]; echo $?)" "$out"

iop_log "flooding $IOP_STACK_ADDR:80 with SYNs from $SPOOFED for ${FLOOD_SECONDS}s"
iop_ns timeout -s INT "$FLOOD_SECONDS" hping3 -S --flood -p 80 -a "$SPOOFED" "$IOP_STACK_ADDR" \
  >"$IOP_TMP/hping3.log" 2>&1 &
FLOOD_PID=$!
IOP_PIDS+=("$FLOOD_PID")
sleep 1  # let the half-open queue fill first

# One request: "ok" or what went wrong, on one line.
cat >"$IOP_TMP/one.sh" <<'SH'
r=$(curl -s -o /dev/null --connect-timeout 20 --max-time 30 -w '%{http_code} %{size_download} %{time_total}' "$1")
if [[ "$r" == "200 600 "* ]]; then echo "ok ${r##* }"; else echo "bad $r"; fi
SH
start=$SECONDS
seq "$REQUESTS" | ip netns exec "$CNS" xargs -P 10 -I{} bash "$IOP_TMP/one.sh" "$URL" \
  >"$IOP_TMP/requests.log" 2>&1
took=$((SECONDS - start))
wait "$FLOOD_PID" 2>/dev/null
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' "$IOP_TMP/hping3.log")
ok=$(grep -c '^ok ' "$IOP_TMP/requests.log")
slowest=$(sed -n 's/^ok //p' "$IOP_TMP/requests.log" | sort -n | tail -1)
iop_check "hping3 flooded SYNs" "$([[ "${sent:-0}" -gt 1000 ]]; echo $?)" \
  "${sent:-0} SYNs in ${FLOOD_SECONDS}s"
iop_check "$REQUESTS curl requests from the second host during the flood all return 200" \
  "$([[ "$ok" == "$REQUESTS" ]]; echo $?)" \
  "$ok/$REQUESTS ok in ${took}s, slowest ${slowest:-n/a}s$(grep -v '^ok ' "$IOP_TMP/requests.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"

out=$(ip netns exec "$CNS" curl -s -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' "$URL")
iop_check "ustack-httpd still serves after the flood" "$([[ "$out" == "200 600" ]]; echo $?)" "$out"

iop_stop_app
iop_check "ustack-httpd exits 0 after the flood" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" "rc $IOP_APP_RC"
counter() { sed -n "s/^$1 \\([0-9]*\\)$/\\1/p" "$IOP_APP_LOG"; }
cookies_sent=$(counter tcp.cookies_sent)
cookies_ok=$(counter tcp.cookies_validated)
cookies_bad=$(counter tcp.cookies_failed)
iop_check "SYN cookies were sent while the half-open queue was full (RFC 4987 3.6)" \
  "$([[ "${cookies_sent:-0}" -gt 0 ]]; echo $?)" "tcp.cookies_sent ${cookies_sent:-0}"
iop_check "the client's connections were opened by validated cookies" \
  "$([[ "${cookies_ok:-0}" -gt 0 ]]; echo $?)" \
  "tcp.cookies_validated ${cookies_ok:-0}, tcp.cookies_failed ${cookies_bad:-0}"
iop_log "ustack-httpd counters:"
grep -E '^(tcp|net|port)\.' "$IOP_APP_LOG" | sed 's/^/    /' >&2
iop_summary
