# Shared shell functions for interop tests and the demo: a network namespace holding the
# Linux kernel's end of a veth pair (198.18.0.1/24), the other end left to a ustack app
# through a DPDK vdev (net_af_xdp or net_af_packet), app start/stop, and PASS/FAIL records.
# Source it, then call iop_init once: it installs a trap that kills every process started
# here and deletes the namespace and veth on exit, INT or TERM. Needs root.
# Only the 198.18.0.0/24 benchmark range is used.

IOP_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
USTACK_BIN=${USTACK_BIN:-$IOP_REPO/build/bin}
IOP_HOST_ADDR=198.18.0.1
IOP_STACK_ADDR=198.18.0.2
IOP_ID=$$
IOP_NS=ustack-iop-$IOP_ID
IOP_VETH_K=uk$IOP_ID   # kernel end, inside the namespace
IOP_VETH_D=ud$IOP_ID   # DPDK end, root namespace, no address
IOP_TMP=
IOP_APP_PID=
IOP_APP_LOG=
IOP_APP_RC=
IOP_APP_CAPTURE=
IOP_PIDS=()
IOP_EXTRA_NS=()   # more namespaces a test made; deleted on exit
IOP_EXTRA_INI=    # lines iop_write_config appends to every config (e.g. an [impair] section)
IOP_FAILS=0
IOP_PASSES=0

iop_log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

iop_pass() {
  IOP_PASSES=$((IOP_PASSES + 1))
  echo "PASS: $1${2:+ ($2)}"
}

iop_fail() {
  IOP_FAILS=$((IOP_FAILS + 1))
  echo "FAIL: $1${2:+ ($2)}"
}

# iop_check NAME CONDITION_RESULT DETAIL: PASS when the result is 0.
iop_check() {
  if [[ "$2" == 0 ]]; then iop_pass "$1" "${3:-}"; else iop_fail "$1" "${3:-}"; fi
}

iop_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local pid
  for pid in "${IOP_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -INT "$pid" 2>/dev/null
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.2
      done
      kill -KILL "$pid" 2>/dev/null
      wait "$pid" 2>/dev/null
    fi
  done
  ip netns del "$IOP_NS" 2>/dev/null
  ip link del "$IOP_VETH_D" 2>/dev/null
  local ns
  for ns in "${IOP_EXTRA_NS[@]}"; do ip netns del "$ns" 2>/dev/null; done
  if [[ -n "$IOP_TMP" && -d "$IOP_TMP" ]]; then
    if [[ -n "${IOP_KEEP_TMP:-}" ]]; then
      iop_log "kept $IOP_TMP"
    else
      rm -rf "$IOP_TMP"
    fi
  fi
  exit "$rc"
}

# Prepares a temp dir and the cleanup trap. Fails (exit 1) when not root or tools are absent.
# iop_pmd_arg VALUE: sets PMD to af_packet or af_xdp, or prints the usage and exits 2.
iop_pmd_arg() {
  PMD=$1
  if [[ "$PMD" != af_packet && "$PMD" != af_xdp ]]; then
    echo "usage: $0 [af_packet|af_xdp]" >&2
    exit 2
  fi
}

# iop_require_bin NAME...: exits 1 unless each program is built in USTACK_BIN.
iop_require_bin() {
  local b
  for b in "$@"; do
    [[ -x "$USTACK_BIN/$b" ]] || { echo "missing $USTACK_BIN/$b" >&2; exit 1; }
  done
}

iop_init() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "needs root (network namespaces, veth, DPDK)" >&2
    exit 1
  fi
  local t
  for t in ip ethtool ping python3; do
    command -v "$t" >/dev/null || { echo "missing tool: $t (run scripts/setup-deps)" >&2; exit 1; }
  done
  IOP_TMP=$(mktemp -d /tmp/ustack-iop.XXXXXX)
  trap iop_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

iop_ns() { ip netns exec "$IOP_NS" "$@"; }

# Creates the namespace and the veth pair.
iop_setup_net() {
  ip netns add "$IOP_NS" || return 1
  ip link add "$IOP_VETH_D" type veth peer name "$IOP_VETH_K" || return 1
  ip link set "$IOP_VETH_K" netns "$IOP_NS" || return 1
  iop_ns ip link set lo up
  iop_ns sysctl -qw "net.ipv6.conf.$IOP_VETH_K.disable_ipv6=1"
  iop_ns ip addr add "$IOP_HOST_ADDR/24" dev "$IOP_VETH_K" || return 1
  iop_ns ip link set "$IOP_VETH_K" up || return 1
  # The kernel must send complete checksums and MTU-sized frames to the DPDK end.
  iop_ns ethtool -K "$IOP_VETH_K" tx off tso off gso off >/dev/null 2>&1
  sysctl -qw "net.ipv6.conf.$IOP_VETH_D.disable_ipv6=1"
  ip link set "$IOP_VETH_D" up || return 1
  ethtool -K "$IOP_VETH_D" tx off tso off gso off gro off >/dev/null 2>&1
  return 0
}

# iop_write_config FILE PMD PCAP(0|1): a config.ini for the DPDK end of the veth.
iop_write_config() {
  local file=$1 pmd=$2 pcap=$3 vdev
  case "$pmd" in
    af_xdp) vdev="net_af_xdp0,iface=$IOP_VETH_D" ;;
    af_packet) vdev="net_af_packet0,iface=$IOP_VETH_D" ;;
    *) echo "unknown PMD '$pmd' (af_xdp or af_packet)" >&2; return 1 ;;
  esac
  cat >"$file" <<INI
; written by tests/interop/lib.sh
[dpdk]
lcore_mask=1
memory=256
no_huge=1
file_prefix=ustack-iop-$IOP_ID
eal_args=--no-pci --vdev=$vdev

[port0]
addr=$IOP_STACK_ADDR
netmask=255.255.255.0
gateway=$IOP_HOST_ADDR

[pcap]
enable=$pcap
snaplen=128
savepath=$IOP_TMP
INI
  if [[ -n "$IOP_EXTRA_INI" ]]; then printf '%s\n' "$IOP_EXTRA_INI" >>"$file"; fi
}

# Pings the stack from the namespace until it answers or `timeout` seconds pass.
iop_wait_ready() {
  local timeout=$1 deadline=$((SECONDS + $1))
  while ((SECONDS < deadline)); do
    kill -0 "$IOP_APP_PID" 2>/dev/null || return 1
    iop_ns ping -c 1 -W 1 "$IOP_STACK_ADDR" >/dev/null 2>&1 && return 0
  done
  return 1
}

# iop_start_app APP PMD PCAP TIMEOUT [ARGS...]: starts build/bin/APP in the background and
# waits until it answers ping. On failure prints its log and returns 1 (the app is stopped).
iop_start_app() {
  local app=$1 pmd=$2 pcap=$3 timeout=$4
  shift 4
  local conf="$IOP_TMP/$app-$pmd.ini"
  iop_write_config "$conf" "$pmd" "$pcap" || return 1
  IOP_APP_LOG="$IOP_TMP/$app-$pmd-$SECONDS.log"
  "$USTACK_BIN/$app" --conf "$conf" "$@" >"$IOP_APP_LOG" 2>&1 &
  IOP_APP_PID=$!
  IOP_PIDS+=("$IOP_APP_PID")
  IOP_APP_CAPTURE=
  ((pcap)) && IOP_APP_CAPTURE="$IOP_TMP/ustack-$IOP_APP_PID.pcapng"
  if iop_wait_ready "$timeout"; then
    iop_log "$app is up on $pmd (pid $IOP_APP_PID)"
    return 0
  fi
  iop_log "$app did not come up on $pmd within ${timeout}s; its log:"
  sed 's/^/    /' "$IOP_APP_LOG" >&2
  iop_stop_app
  return 1
}

# Stops the app with SIGINT (as a user would) and sets IOP_APP_RC to its exit status
# (137 when it had to be killed).
iop_stop_app() {
  [[ -n "$IOP_APP_PID" ]] || return 0
  local pid=$IOP_APP_PID
  kill -INT "$pid" 2>/dev/null
  local i
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    iop_log "pid $pid ignored SIGINT for 10s; killing it"
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  IOP_APP_RC=$?
  IOP_APP_PID=
  # A killed af_xdp app may leave its XDP program on the interface.
  ip link set dev "$IOP_VETH_D" xdp off 2>/dev/null
  return 0
}

iop_summary() {
  echo "$IOP_PASSES passed, $IOP_FAILS failed"
  ((IOP_FAILS == 0))
}

# --- Kernel-side faults (tests/interop/faults_interop.sh, synflood.sh) -----------------------
# netem is not built into this kernel: loss comes from iptables' statistic match, duplication
# from nftables' dup statement and the rate limit from tbf. Each takes the namespace and the
# device of the kernel end, so a second namespace pair can get the same faults.

# iop_fault_loss NS PROB: drops each packet the namespace receives or sends with PROB.
iop_fault_loss() {
  local ns=$1 p=$2 chain
  for chain in INPUT OUTPUT; do
    ip netns exec "$ns" iptables -w -A "$chain" -m statistic --mode random --probability "$p" \
      -j DROP || return 1
  done
}

# iop_fault_dup NS DEV PERCENT: duplicates PERCENT% (integer) of the IPv4 frames DEV sends
# (netdev egress hook: dup to DEV) and of those it receives. A received frame cannot be
# duplicated onto DEV itself (dup sends out of a device), so the copy goes out of a twin veth
# inside NS whose peer carries DEV's MAC: the kernel receives it a second time there.
iop_fault_dup() {
  local ns=$1 dev=$2 pct=$3 mac
  mac=$(ip -n "$ns" -br link show "$dev" | awk '{print $3}')
  ip -n "$ns" link add "${dev}da" type veth peer name "${dev}db" || return 1
  ip -n "$ns" link set "${dev}db" address "$mac" || return 1
  ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
    "net.ipv4.conf.${dev}db.rp_filter=0" "net.ipv6.conf.${dev}db.disable_ipv6=1" \
    "net.ipv6.conf.${dev}da.disable_ipv6=1"
  ip -n "$ns" link set "${dev}da" up && ip -n "$ns" link set "${dev}db" up || return 1
  ip netns exec "$ns" nft -f - <<NFT || return 1
table netdev iop_dup {
  chain out {
    type filter hook egress device "$dev" priority 0;
    meta protocol ip numgen random mod 100 < $pct counter dup to "$dev"
  }
  chain in {
    type filter hook ingress device "$dev" priority 0;
    meta protocol ip numgen random mod 100 < $pct counter dup to "${dev}da"
  }
}
NFT
}

# iop_fault_rate NS DEV RATE: tbf shapes both directions at RATE (e.g. 10mbit): DEV's egress
# directly, its ingress through an ifb device that the ingress qdisc redirects to.
iop_fault_rate() {
  local ns=$1 dev=$2 rate=$3
  local tbf=(tbf rate "$rate" burst 32kbit latency 100ms)
  ip netns exec "$ns" tc qdisc add dev "$dev" root "${tbf[@]}" || return 1
  ip -n "$ns" link add "${dev}ifb" type ifb || return 1
  ip -n "$ns" link set "${dev}ifb" up || return 1
  ip netns exec "$ns" tc qdisc add dev "${dev}ifb" root "${tbf[@]}" || return 1
  ip netns exec "$ns" tc qdisc add dev "$dev" handle ffff: ingress || return 1
  ip netns exec "$ns" tc filter add dev "$dev" parent ffff: protocol all u32 match u32 0 0 \
    action mirred egress redirect dev "${dev}ifb" || return 1
}

# iop_fault_counts NS DEV: what the installed faults did so far, as "lost N+M dup N+M
# shaped N" (received+sent packets dropped by iptables, frames duplicated out+in, packets
# through the tbf qdiscs), leaving out faults that are not installed.
iop_fault_counts() {
  local ns=$1 dev=$2 out=() lost dup shaped
  lost=$(for c in INPUT OUTPUT; do
    ip netns exec "$ns" iptables -w -L "$c" -v -x -n 2>/dev/null | awk '/statistic/ { n += $1 } END { print n + 0 }'
  done | paste -sd+)
  [[ "$lost" != "0+0" ]] && out+=("lost $lost")
  dup=$(ip netns exec "$ns" nft list table netdev iop_dup 2>/dev/null |
    sed -n 's/.*counter packets \([0-9]*\).*/\1/p' | paste -sd+)
  [[ -n "$dup" ]] && out+=("dup $dup")
  shaped=$(for d in "$dev" "${dev}ifb"; do
    ip netns exec "$ns" tc -s qdisc show dev "$d" 2>/dev/null | awk '/^qdisc tbf/ { t = 1 } t && /Sent/ { print $4; exit }'
  done | paste -sd+)
  [[ -n "$shaped" ]] && out+=("shaped $shaped")
  echo "${out[*]}"
}

# iop_fault_clear NS DEV: removes every fault the functions above installed.
iop_fault_clear() {
  local ns=$1 dev=$2
  ip netns exec "$ns" iptables -w -F INPUT 2>/dev/null
  ip netns exec "$ns" iptables -w -F OUTPUT 2>/dev/null
  ip netns exec "$ns" nft delete table netdev iop_dup 2>/dev/null
  ip -n "$ns" link del "${dev}da" 2>/dev/null
  ip netns exec "$ns" tc qdisc del dev "$dev" root 2>/dev/null
  ip netns exec "$ns" tc qdisc del dev "$dev" ingress 2>/dev/null
  ip -n "$ns" link del "${dev}ifb" 2>/dev/null
  return 0
}
