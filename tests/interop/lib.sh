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
