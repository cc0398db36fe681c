#!/usr/bin/env bash
# Interop test of ustack against the Linux kernel over a veth pair. The apps run one after
# another on the DPDK end through the PMD given as argument; the kernel side (ping, python3,
# curl, wrk, tshark) runs in a network namespace. Each check prints PASS or FAIL; the exit
# status is non-zero when any check failed. Needs root.
#   tests/interop/http_interop.sh af_packet|af_xdp
# Environment: USTACK_BIN (default build/bin), IOP_KEEP_TMP=1 keeps logs and captures.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

PMD=${1:-}
if [[ "$PMD" != af_packet && "$PMD" != af_xdp ]]; then
  echo "usage: $0 af_packet|af_xdp" >&2
  exit 2
fi
for t in curl wrk tshark sha256sum; do
  command -v "$t" >/dev/null || { echo "missing tool: $t (run scripts/setup-deps)" >&2; exit 1; }
done
for app in ustack-httpd ustack-udp-echo; do
  [[ -x "$USTACK_BIN/$app" ]] || { echo "missing $USTACK_BIN/$app (build first)" >&2; exit 1; }
done

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }
URL="http://$IOP_STACK_ADDR"
STARTUP=20

# --- ustack-udp-echo: ICMP echo and UDP echo -------------------------------------------------
if iop_start_app ustack-udp-echo "$PMD" 0 "$STARTUP" --port 7; then
  out=$(iop_ns ping -c 20 -i 0.05 -W 1 "$IOP_STACK_ADDR" 2>&1)
  got=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
  iop_check "ping -c 20 gets 20 replies" "$([[ "$got" == 20 ]]; echo $?)" "${got:-0} received"

  out=$(iop_ns python3 - "$IOP_STACK_ADDR" <<'PY' 2>&1
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
bad = []
for size in (1, 1000, 1472):
    data = os.urandom(size)
    for attempt in range(3):
        s.sendto(data, (sys.argv[1], 7))
        try:
            reply, peer = s.recvfrom(65535)
            break
        except socket.timeout:
            reply = None
    if reply != data:
        bad.append(size)
print("sizes not echoed identically: %s" % bad if bad else "1, 1000, 1472 bytes echoed")
sys.exit(1 if bad else 0)
PY
  )
  iop_check "UDP datagrams come back identical" "$?" "$out"
  iop_stop_app
  iop_check "ustack-udp-echo exits 0 on SIGINT" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" "rc $IOP_APP_RC"
else
  iop_fail "ustack-udp-echo starts and answers ping on $PMD"
fi

# --- ustack-httpd ----------------------------------------------------------------------------
if iop_start_app ustack-httpd "$PMD" 0 "$STARTUP" --port 80 --body-size 600; then
  out=$(iop_ns curl -s -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' "$URL/")
  iop_check "curl GET / gives 200 and 600 bytes" "$([[ "$out" == "200 600" ]]; echo $?)" "$out"

  n=10485760
  want=$(python3 -c '
import hashlib, sys
n = int(sys.argv[1])
k = 2654435761
print(hashlib.sha256(bytes(((i * k) % (1 << 64)) >> 16 & 255 for i in range(n))).hexdigest())' "$n")
  got=$(iop_ns curl -s --max-time 60 "$URL/bytes/$n" | sha256sum | cut -d' ' -f1)
  iop_check "GET /bytes/$n matches the pattern's SHA-256" "$([[ "$got" == "$want" ]]; echo $?)" \
    "got ${got:0:16}.. want ${want:0:16}.."

  head -c 10485760 /dev/urandom >"$IOP_TMP/post.bin"
  want=$(sha256sum "$IOP_TMP/post.bin" | cut -d' ' -f1)
  got=$(iop_ns curl -s --max-time 60 --data-binary "@$IOP_TMP/post.bin" \
    -H 'Content-Type: application/octet-stream' "$URL/sha256")
  iop_check "POST 10 MiB to /sha256 returns its SHA-256" "$([[ "$got" == "$want" ]]; echo $?)" \
    "got ${got:0:16}.. want ${want:0:16}.."

  out=$(iop_ns wrk -t1 -c64 -d5s "$URL/" 2>&1)
  reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' <<<"$out")
  rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' <<<"$out")
  errs=$(grep -E 'Socket errors|Non-2xx' <<<"$out" | tr -s ' ' | paste -sd';')
  iop_check "wrk -t1 -c64 -d5s: requests and no socket errors" \
    "$([[ -z "$errs" && "${reqs:-0}" -gt 0 ]]; echo $?)" \
    "${reqs:-0} requests, ${rps:-0} req/s${errs:+, $errs}"

  out=$(iop_ns python3 - "$IOP_STACK_ADDR" <<'PY' 2>&1
import http.client, sys, time
ok, errors, start = 0, {}, time.time()
for i in range(1000):
    try:
        c = http.client.HTTPConnection(sys.argv[1], 80, timeout=5)
        c.request("GET", "/", headers={"Connection": "close"})
        r = c.getresponse()
        body = r.read()
        if r.status == 200 and len(body) == 600 and r.getheader("Connection") == "close":
            ok += 1
        else:
            key = "status %d len %d" % (r.status, len(body))
            errors[key] = errors.get(key, 0) + 1
        c.close()
    except Exception as e:
        errors[type(e).__name__] = errors.get(type(e).__name__, 0) + 1
print("%d/1000 ok in %.1fs %s" % (ok, time.time() - start, errors or ""))
sys.exit(0 if ok == 1000 else 1)
PY
  )
  iop_check "1000 sequential Connection: close requests all return 200" "$?" "$out"

  out=$(iop_ns python3 - "$IOP_STACK_ADDR" <<'PY' 2>&1
import re, socket, sys
def exchange(data):
    s = socket.create_connection((sys.argv[1], 80), timeout=5)
    s.sendall(data)
    out = b""
    while True:  # the server closes after these requests
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out
bad = []
for req in (b"BLAH\r\n\r\n", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
            b"POST /sha256 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /bytes/abc HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 20000 + b"\r\n\r\n"):
    r = exchange(req)
    if not (r.startswith(b"HTTP/1.1 400 ") and b"\r\nConnection: close\r\n" in r):
        bad.append(req[:20])
piped = exchange(b"GET /bytes/3 HTTP/1.1\r\nHost: x\r\n\r\n" +
                 b"POST /sha256 HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc" +
                 b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n" +
                 b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
statuses = [int(m) for m in re.findall(rb"HTTP/1\.1 (\d{3}) ", piped)]
sha_abc = b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
ok = not bad and statuses == [200, 200, 404, 200] and sha_abc in piped
print("malformed not answered 400+close: %s; pipelined statuses %s" % (bad, statuses))
sys.exit(0 if ok else 1)
PY
  )
  iop_check "malformed requests get 400 + close; pipelined requests answered in order" "$?" "$out"

  iop_stop_app
  iop_check "ustack-httpd exits 0 on SIGINT" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" "rc $IOP_APP_RC"
  grep -q '^http.requests' "$IOP_APP_LOG"
  iop_check "ustack-httpd prints its counters on exit" "$?"
else
  iop_fail "ustack-httpd starts and answers ping on $PMD"
fi

# --- capture: [pcap] enable=1 ----------------------------------------------------------------
if iop_start_app ustack-httpd "$PMD" 1 "$STARTUP" --port 80; then
  out=$(iop_ns curl -s -o /dev/null --max-time 10 -w '%{http_code}' "$URL/")
  iop_stop_app
  cap=$IOP_APP_CAPTURE
  if [[ -s "$cap" ]]; then
    syn=$(tshark -r "$cap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==0' 2>/dev/null | wc -l)
    synack=$(tshark -r "$cap" -Y 'tcp.flags.syn==1 && tcp.flags.ack==1' 2>/dev/null | wc -l)
    ack=$(tshark -r "$cap" -Y 'tcp.flags.syn==0 && tcp.flags.ack==1' 2>/dev/null | wc -l)
    iop_check "pcapng capture shows SYN, SYN-ACK and ACK" \
      "$([[ $syn -gt 0 && $synack -gt 0 && $ack -gt 0 ]]; echo $?)" \
      "curl $out; $syn SYN, $synack SYN-ACK, $ack ACK"
  else
    iop_fail "pcapng capture written" "no file $cap"
  fi
else
  iop_fail "ustack-httpd with [pcap] enable=1 starts on $PMD"
fi

iop_summary
