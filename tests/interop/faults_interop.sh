#!/usr/bin/env bash
# TCP under faults against the Linux kernel over a veth pair: 20 MiB transfers in both
# directions must arrive intact (SHA-256), with ustack as the server (ustack-httpd; curl in
# the kernel's namespace downloads and uploads) and as the client (ustack-get against a
# Python HTTP server in the namespace), under each of:
#   clean    no fault (the reference figures)
#   loss1    iptables drops 1% of the packets the namespace receives and sends
#   loss5    the same at 5%
#   dup1     nftables duplicates 1% of the IPv4 frames in each direction
#   tbf10    tbf shapes both directions to 10 Mbit/s (ingress through an ifb device)
#   impair   ustack's ImpairedPort ([impair] in config.ini): 5 ms +- 2 ms delay, 10%
#            reordering and 0.5% corruption in both directions on the ustack side
# Then the same 1% loss on a second, kernel-only namespace pair gives the kernel-to-kernel
# goodput for comparison. Goodput of every transfer is printed and written as JSON to
# $FAULTS_RESULT (default: faults_interop.json next to USTACK_BIN). Needs root.
#   tests/interop/faults_interop.sh [af_xdp|af_packet]        (default af_xdp)
# Environment: USTACK_BIN (default build/bin), FAULTS_BYTES (default 20971520),
# FAULTS_ONLY="loss1 impair" runs a subset, IOP_KEEP_TMP=1 keeps logs and files,
# KERNEL_CC (default reno) the kernel's congestion control in the test namespaces: a
# loss-based one compares like with like with ustack's CUBIC (the host may default to bbr,
# which does not back off on random loss; this kernel does not let a namespace pick cubic).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

PMD=${1:-af_xdp}
if [[ "$PMD" != af_packet && "$PMD" != af_xdp ]]; then
  echo "usage: $0 [af_xdp|af_packet]" >&2
  exit 2
fi
for t in curl sha256sum iptables nft tc; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (run scripts/setup-deps)" >&2; exit 1; }
done
for app in ustack-httpd ustack-get; do
  [[ -x "$USTACK_BIN/$app" ]] || { echo "missing $USTACK_BIN/$app (build first)" >&2; exit 1; }
done

SIZE=${FAULTS_BYTES:-20971520}
FAULTS=${FAULTS_ONLY:-clean loss1 loss5 dup1 tbf10 impair}
RESULT=${FAULTS_RESULT:-$(cd "$USTACK_BIN/.." && pwd)/faults_interop.json}
MAX_TIME=90  # seconds one transfer may take (tbf10 needs about 18, loss5 about 40 today)
STARTUP=20
KPORT=8000   # the kernel's HTTP server
IMPAIR_INI='[impair]
enable=1
direction=both
seed=1
delay_us=5000
jitter_us=2000
reorder=10%
corrupt=0.5%'

KERNEL_CC=${KERNEL_CC:-reno}
# set_kernel_cc NS: the kernel's congestion control in namespace NS is KERNEL_CC.
set_kernel_cc() {
  ip netns exec "$1" sysctl -qw "net.ipv4.tcp_congestion_control=$KERNEL_CC" ||
    { echo "FAIL: cannot set tcp_congestion_control=$KERNEL_CC in $1" >&2; exit 1; }
}

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }
set_kernel_cc "$IOP_NS"
echo "kernel congestion control in the test namespaces: $KERNEL_CC"
mkdir -p "$IOP_TMP/www"
head -c "$SIZE" /dev/urandom >"$IOP_TMP/www/down.bin"
head -c "$SIZE" /dev/urandom >"$IOP_TMP/up.bin"
DOWN_SHA=$(sha256sum <"$IOP_TMP/www/down.bin" | cut -d' ' -f1)
UP_SHA=$(sha256sum <"$IOP_TMP/up.bin" | cut -d' ' -f1)
if [[ "$SIZE" == 20971520 ]]; then
  # The byte pattern of ustack-httpd's GET /bytes/20971520 (apps/http/bytes_pattern.h),
  # computed once with the Python below; it takes seconds to recompute.
  PATTERN_SHA=b9a6ed1ce5954da10d5a3ecdebaddf9b55a4ce8ee8c8550ba20e9aff8a563d5e
else
  PATTERN_SHA=$(python3 -c '
import hashlib, sys
n, k = int(sys.argv[1]), 2654435761
print(hashlib.sha256(bytes(((i * k) % (1 << 64)) >> 16 & 255 for i in range(n))).hexdigest())' "$SIZE")
fi

# The kernel's HTTP server: GET /NAME (Content-Length) and /chunked/NAME (chunked, chunk
# sizes varying) from www/, POST /sha256 answers the body's SHA-256 in hex.
cat >"$IOP_TMP/server.py" <<'PY'
import hashlib, http.server, os, sys
ROOT = sys.argv[3]
SIZES = (1, 100, 4096, 65536, 12345, 65536)
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        self.close_connection = True
    def do_GET(self):
        chunked = self.path.startswith("/chunked/")
        path = os.path.join(ROOT, os.path.basename(self.path))
        if not os.path.isfile(path):
            return self.reply(404, b"not found\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(os.path.getsize(path)))
        self.send_header("Connection", "close")
        self.end_headers()
        with open(path, "rb") as f:
            i = 0
            while True:
                b = f.read(SIZES[i % len(SIZES)] if chunked else 65536)
                i += 1
                if not b:
                    break
                self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b) if chunked else b)
        if chunked:
            self.wfile.write(b"0\r\n\r\n")
        self.close_connection = True
    def do_POST(self):
        left = int(self.headers.get("Content-Length", "0"))
        h = hashlib.sha256()
        while left > 0:
            b = self.rfile.read(min(left, 65536))
            if not b:
                break
            h.update(b)
            left -= len(b)
        self.reply(200 if left == 0 else 400, h.hexdigest().encode() if left == 0 else b"short")
http.server.ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
PY

# start_kernel_server NS ADDR: the server above on ADDR:KPORT, waited for.
start_kernel_server() {
  ip netns exec "$1" python3 "$IOP_TMP/server.py" "$2" "$KPORT" "$IOP_TMP/www" \
    >>"$IOP_TMP/server.log" 2>&1 &
  IOP_PIDS+=($!)
  local i
  for ((i = 0; i < 50; i++)); do
    ip netns exec "$1" curl -s -o /dev/null --max-time 1 "http://$2:$KPORT/none" && return 0
    sleep 0.1
  done
  echo "FAIL: the kernel HTTP server in $1 did not start" >&2
  return 1
}

# --- results ----------------------------------------------------------------------------
JSON=()
declare -A GOODPUT

# record FAULT WHAT OK SECONDS: a PASS/FAIL line and a JSON record with the goodput.
record() {
  local fault=$1 what=$2 ok=$3 secs=$4 detail=$5 mbps
  mbps=$(awk -v b="$SIZE" -v s="$secs" 'BEGIN { printf "%.1f", (s > 0 ? b * 8 / s / 1e6 : 0) }')
  GOODPUT["$fault/$what"]=$mbps
  JSON+=("{\"fault\": \"$fault\", \"transfer\": \"$what\", \"ok\": $([[ $ok == 0 ]] && echo true || echo false), \"bytes\": $SIZE, \"seconds\": $secs, \"mbit_s\": $mbps}")
  iop_check "$fault: $what, $SIZE bytes intact" "$ok" "${secs}s, $mbps Mbit/s${detail:+; $detail}"
}

apply_fault() {
  local ns=$1 dev=$2
  case "$3" in
    clean | impair) ;;
    loss1) iop_fault_loss "$ns" 0.01 ;;
    loss5) iop_fault_loss "$ns" 0.05 ;;
    dup1) iop_fault_dup "$ns" "$dev" 1 ;;
    tbf10) iop_fault_rate "$ns" "$dev" 10mbit ;;
  esac
}

# check_fault_active FAULT NS DEV WHAT...: the fault did something during the transfers WHAT
# (a fault that silently did nothing would make the transfers prove nothing).
check_fault_active() {
  local fault=$1 ns=$2 dev=$3 counts ok=1 w
  shift 3
  counts=$(iop_fault_counts "$ns" "$dev")
  case "${fault#kernel-}" in
    loss*) [[ "$counts" =~ lost\ ([0-9]+)\+([0-9]+) ]] && ((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0)) && ok=0 ;;
    dup*) [[ "$counts" =~ dup\ ([0-9]+)\+([0-9]+) ]] && ((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] > 0)) && ok=0 ;;
    tbf10)
      ok=0
      for w in "$@"; do  # 10 Mbit/s at most, with tbf's burst as slack
        awk -v g="${GOODPUT[$fault/$w]:-0}" 'BEGIN { exit !(g > 0 && g <= 10.5) }' || ok=1
      done ;;
    *) return 0 ;;
  esac
  iop_check "$fault: the fault was in effect" "$ok" "$counts"
}

# curl_download FAULT WHAT NS URL WANT_SHA
curl_download() {
  local out w code secs got
  out="$IOP_TMP/curl-down.bin"
  w=$(ip netns exec "$3" curl -s --max-time "$MAX_TIME" -o "$out" -w '%{http_code} %{time_total}' "$4")
  read -r code secs <<<"$w"
  got=$(sha256sum <"$out" 2>/dev/null | cut -d' ' -f1)
  record "$1" "$2" "$([[ "$code" == 200 && "$got" == "$5" ]]; echo $?)" "${secs:-0}" \
    "HTTP $code, $(stat -c %s "$out" 2>/dev/null || echo 0) bytes, sha256 ${got:0:12}.. want ${5:0:12}.."
  rm -f "$out"
}

# curl_upload FAULT WHAT NS URL
curl_upload() {
  local w code secs got
  rm -f "$IOP_TMP/curl-up.txt"  # an answer left from an earlier upload must not count
  w=$(ip netns exec "$3" curl -s --max-time "$MAX_TIME" -H 'Expect:' \
    -H 'Content-Type: application/octet-stream' --data-binary "@$IOP_TMP/up.bin" \
    -o "$IOP_TMP/curl-up.txt" -w '%{http_code} %{time_total}' "$4")
  read -r code secs <<<"$w"
  got=$(cat "$IOP_TMP/curl-up.txt" 2>/dev/null)
  record "$1" "$2" "$([[ "$code" == 200 && "$got" == "$UP_SHA" ]]; echo $?)" "${secs:-0}" \
    "HTTP $code, sha256 ${got:0:12}.. want ${UP_SHA:0:12}.."
}

# get_transfer FAULT WHAT [--post FILE] URL WANT: ustack-get, its body hashed.
get_transfer() {
  local fault=$1 what=$2 want=${*: -1} conf="$IOP_TMP/get.ini" log rc got secs
  local args=("${@:3:$#-3}")
  log="$IOP_TMP/get-$fault-${what//[^a-z]/_}.log"
  iop_write_config "$conf" "$PMD" 0 || return 1
  timeout $((MAX_TIME + 20)) "$USTACK_BIN/ustack-get" --conf "$conf" --timeout "$MAX_TIME" \
    "${args[@]}" >"$IOP_TMP/get.out" 2>"$log"
  rc=$?
  if [[ " ${args[*]} " == *" --post "* ]]; then
    got=$(cat "$IOP_TMP/get.out")
  else
    got=$(sha256sum <"$IOP_TMP/get.out" | cut -d' ' -f1)
  fi
  rm -f "$IOP_TMP/get.out"
  secs=$(sed -n 's/^ustack-get: .* body bytes in \([0-9.]*\) s$/\1/p' "$log")
  record "$fault" "$what" "$([[ $rc == 0 && "$got" == "$want" ]]; echo $?)" "${secs:-0}" \
    "rc $rc, sha256 ${got:0:12}.. want ${want:0:12}..$([[ $rc != 0 ]] && echo "; $(grep '^ustack-get:' "$log" | tail -1)")"
  if [[ $rc != 0 || "$got" != "$want" ]]; then
    iop_log "ustack-get counters ($log):"
    grep -E '^(tcp|net|port|impair)\.' "$log" | sed 's/^/    /' >&2
  fi
}

# --- ustack as the server ------------------------------------------------------------------
URL="http://$IOP_STACK_ADDR"
KURL="http://$IOP_HOST_ADDR:$KPORT"
server_phase() {  # FAULTS...
  local fault
  if ! iop_start_app ustack-httpd "$PMD" 0 "$STARTUP" --port 80; then
    iop_fail "ustack-httpd starts on $PMD${IOP_EXTRA_INI:+ with [impair]}"
    return
  fi
  local before=$IOP_FAILS
  for fault in "$@"; do
    apply_fault "$IOP_NS" "$IOP_VETH_K" "$fault" || iop_fail "$fault: cannot install the fault"
    curl_download "$fault" "ustack-httpd -> curl" "$IOP_NS" "$URL/bytes/$SIZE" "$PATTERN_SHA"
    curl_upload "$fault" "curl -> ustack-httpd" "$IOP_NS" "$URL/sha256"
    check_fault_active "$fault" "$IOP_NS" "$IOP_VETH_K" "ustack-httpd -> curl" "curl -> ustack-httpd"
    iop_fault_clear "$IOP_NS" "$IOP_VETH_K"
  done
  iop_stop_app
  iop_check "ustack-httpd exits 0 after the transfers" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" \
    "rc $IOP_APP_RC"
  if ((IOP_FAILS > before)); then
    iop_log "ustack-httpd counters ($IOP_APP_LOG):"
    grep -E '^(tcp|net|port|impair|http)\.' "$IOP_APP_LOG" | sed 's/^/    /' >&2
  fi
}

client_phase() {  # FAULTS...
  local fault
  for fault in "$@"; do
    apply_fault "$IOP_NS" "$IOP_VETH_K" "$fault" || iop_fail "$fault: cannot install the fault"
    local path=down.bin
    [[ "$fault" == dup1 || "$fault" == tbf10 || "$fault" == impair ]] && path=chunked/down.bin
    get_transfer "$fault" "server -> ustack-get (/$path)" "$KURL/$path" "$DOWN_SHA"
    get_transfer "$fault" "ustack-get -> server (POST)" --post "$IOP_TMP/up.bin" "$KURL/sha256" \
      "$UP_SHA"
    check_fault_active "$fault" "$IOP_NS" "$IOP_VETH_K" "server -> ustack-get (/$path)" \
      "ustack-get -> server (POST)"
    iop_fault_clear "$IOP_NS" "$IOP_VETH_K"
  done
}

start_kernel_server "$IOP_NS" "$IOP_HOST_ADDR" || exit 1
kernel_faults=()
for f in $FAULTS; do [[ "$f" != impair ]] && kernel_faults+=("$f"); done
if ((${#kernel_faults[@]})); then
  iop_log "ustack-httpd under: ${kernel_faults[*]}"
  server_phase "${kernel_faults[@]}"
  iop_log "ustack-get under: ${kernel_faults[*]}"
  client_phase "${kernel_faults[@]}"
fi
if [[ " $FAULTS " == *" impair "* ]]; then
  IOP_EXTRA_INI=$IMPAIR_INI
  iop_log "ustack-httpd and ustack-get with [impair]: 5 ms +- 2 ms, 10% reorder, 0.5% corrupt"
  server_phase impair
  grep -q '^impair\.rx\.corrupted [1-9]' "$IOP_APP_LOG" &&
    grep -q '^impair\.tx\.reordered [1-9]' "$IOP_APP_LOG"
  iop_check "impair: ustack-httpd's wrapper corrupted and reordered frames" "$?" \
    "$(grep -E '^impair\.(rx|tx)\.(corrupted|reordered)' "$IOP_APP_LOG" | tr '\n' ' ')"
  client_phase impair
  IOP_EXTRA_INI=
fi

# --- the kernel against itself under the same loss -------------------------------------------
# A second namespace pair, offloads off as on the ustack path; the loss rules sit in the
# namespace of curl, as they sat in the namespace of curl facing ustack-httpd.
loss_faults=()
for f in $FAULTS; do [[ "$f" == loss* ]] && loss_faults+=("$f"); done
if ((${#loss_faults[@]})); then
  KA=$IOP_NS-ka KB=$IOP_NS-kb VA=ka$IOP_ID VB=kb$IOP_ID
  IOP_EXTRA_NS+=("$KA" "$KB")
  ip netns add "$KA" && ip netns add "$KB" && ip link add "$VA" type veth peer name "$VB" &&
    ip link set "$VA" netns "$KA" && ip link set "$VB" netns "$KB" || exit 1
  set_kernel_cc "$KA"
  set_kernel_cc "$KB"
  for side in "$KA $VA 198.18.1.1" "$KB $VB 198.18.1.2"; do
    read -r ns dev addr <<<"$side"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$addr/24" dev "$dev"
    ip -n "$ns" link set "$dev" up
    ip netns exec "$ns" ethtool -K "$dev" tx off tso off gso off gro off >/dev/null 2>&1
  done
  start_kernel_server "$KB" 198.18.1.2 || exit 1
  for fault in "${loss_faults[@]}"; do
    apply_fault "$KA" "$VA" "$fault"
    curl_download "kernel-$fault" "kernel server -> curl" "$KA" \
      "http://198.18.1.2:$KPORT/down.bin" "$DOWN_SHA"
    curl_upload "kernel-$fault" "curl -> kernel server" "$KA" "http://198.18.1.2:$KPORT/sha256"
    check_fault_active "kernel-$fault" "$KA" "$VA"
    iop_fault_clear "$KA" "$VA"
  done
  echo
  echo "goodput in Mbit/s of $SIZE bytes under random loss (iptables INPUT and OUTPUT in the"
  echo "kernel's namespace: the drops of its own OUTPUT are local, its TCP resends at once, so"
  echo "real loss hits the direction towards the kernel):"
  cols=$(printf ' %%8s%.0s' "${loss_faults[@]}")
  fmt="  %-34s$cols   %-24s$cols\n"
  # shellcheck disable=SC2059
  printf "$fmt" "" "${loss_faults[@]}" "" "${loss_faults[@]}"
  for pair in "ustack-httpd -> curl|kernel server -> curl" "curl -> ustack-httpd|curl -> kernel server" \
    "server -> ustack-get (/down.bin)|" "ustack-get -> server (POST)|"; do
    u=${pair%%|*} k=${pair#*|} row=("$u")
    for f in "${loss_faults[@]}"; do row+=("${GOODPUT[$f/$u]:-n/a}"); done
    row+=("$k")
    for f in "${loss_faults[@]}"; do row+=("${k:+${GOODPUT[kernel-$f/$k]:-n/a}}"); done
    # shellcheck disable=SC2059
    printf "$fmt" "${row[@]}"
  done
fi

{
  echo "{\"pmd\": \"$PMD\", \"bytes\": $SIZE, \"kernel_cc\": \"$KERNEL_CC\", \"transfers\": ["
  for ((i = 0; i < ${#JSON[@]}; i++)); do
    echo "  ${JSON[$i]}$( ((i + 1 < ${#JSON[@]})) && echo ,)"
  done
  echo "]}"
} >"$RESULT"
iop_log "results written to $RESULT"
iop_summary
