#!/usr/bin/env bash
# ustack-httpd gives the same answers on both stacks: `--stack=ustack` on the DPDK end of a
# veth and `--stack=kernel` in the kernel's namespace. The same raw requests (routes, HEAD,
# errors, HTTP/1.0, Connection: close, pipelining, a 1 MiB pattern, a POST body) go to both
# from the namespace; the responses must be byte-identical once the Date header's value is
# masked, and each must have the expected status. Also checks that both servers close the
# connection after `Connection: close`. Needs root. Prints PASS/FAIL per check.
#   tests/interop/http_stacks.sh [af_packet|af_xdp]     (default af_packet)
# Environment: USTACK_BIN (default build/bin), IOP_KEEP_TMP=1 keeps logs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

iop_pmd_arg "${1:-af_packet}"
iop_require_bin ustack-httpd

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }
KPORT=8080

if ! iop_start_app ustack-httpd "$PMD" 0 20 --stack=ustack --port 80 --body-size 600; then
  iop_fail "ustack-httpd --stack=ustack starts on $PMD"
  iop_summary
  exit 1
fi
# Not through iop_ns: `&` on a function forks a subshell that the cleanup's SIGINT would hit.
ip netns exec "$IOP_NS" "$USTACK_BIN/ustack-httpd" --stack=kernel \
  --listen "$IOP_HOST_ADDR:$KPORT" --body-size 600 >"$IOP_TMP/kernel-httpd.log" 2>&1 &
KPID=$!
IOP_PIDS+=("$KPID")
for _ in $(seq 50); do grep -q "listening on" "$IOP_TMP/kernel-httpd.log" && break; sleep 0.1; done
grep -q "listening on" "$IOP_TMP/kernel-httpd.log"
iop_check "ustack-httpd --stack=kernel listens on $IOP_HOST_ADDR:$KPORT" "$?" \
  "$(tail -1 "$IOP_TMP/kernel-httpd.log")"

out=$(iop_ns python3 - "$IOP_STACK_ADDR" 80 "$IOP_HOST_ADDR" "$KPORT" <<'PY' 2>&1
import hashlib, re, socket, sys

USTACK = (sys.argv[1], int(sys.argv[2]))
KERNEL = (sys.argv[3], int(sys.argv[4]))
H = b"Host: x\r\n"
POST = bytes(range(256)) * 300  # 76,800 bytes
CASES = [  # name, raw request bytes, expected statuses in order (100 counts as one)
    ("GET /", b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [200]),
    ("HEAD /", b"HEAD / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [200]),
    ("GET /bytes/1048576", b"GET /bytes/1048576 HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
     [200]),
    ("GET /bytes/0", b"GET /bytes/0 HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [200]),
    ("POST /sha256", b"POST /sha256 HTTP/1.1\r\n" + H + b"Content-Length: %d\r\n"
     b"Connection: close\r\n\r\n" % len(POST) + POST, [200]),
    ("Expect: 100-continue", b"POST /sha256 HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n"
     b"Expect: 100-continue\r\nConnection: close\r\n\r\nabc", [100, 200]),
    ("404", b"GET /nope HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [404]),
    ("405 with Allow", b"DELETE / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [405]),
    ("400 bad count", b"GET /bytes/abc HTTP/1.1\r\n" + H + b"\r\n", [400]),
    ("400 no Host", b"GET / HTTP/1.1\r\n\r\n", [400]),
    ("400 garbage", b"BLAH\r\n\r\n", [400]),
    ("505", b"GET / HTTP/2.0\r\n" + H + b"\r\n", [505]),
    ("501 chunked", b"POST /sha256 HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\n\r\n",
     [501]),
    ("HTTP/1.0 default close", b"GET / HTTP/1.0\r\n\r\n", [200]),
    ("HTTP/1.0 keep-alive then close", b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
     b"GET /bytes/5 HTTP/1.0\r\n\r\n", [200, 200]),
    ("pipelined keep-alive", b"GET /bytes/3 HTTP/1.1\r\n" + H + b"\r\n"
     b"POST /sha256 HTTP/1.1\r\n" + H + b"Content-Length: 3\r\n\r\nabc"
     b"HEAD /bytes/100 HTTP/1.1\r\n" + H + b"\r\n"
     b"GET /nope HTTP/1.1\r\n" + H + b"\r\n"
     b"GET / HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n", [200, 200, 200, 404, 200]),
]


def exchange(addr, data):
    """Sends data, reads until the server closes; every case ends with a server close."""
    s = socket.create_connection(addr, timeout=10)
    s.sendall(data)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out


def statuses(resp, heads):
    """The status codes of the responses in resp, walking heads and Content-Length bodies;
    responses whose index is in heads (answers to HEAD) carry no body."""
    out, pos = [], 0
    while pos < len(resp):
        m = re.match(rb"HTTP/1\.1 (\d{3}) [^\r]*\r\n", resp[pos:])
        end = resp.find(b"\r\n\r\n", pos)
        if not m or end < 0:
            out.append("junk")
            break
        code = int(m.group(1))
        n = re.search(rb"\r\nContent-Length: (\d+)\r\n", resp[pos:end + 2], re.I)
        body = 0 if code == 100 or len(out) in heads else int(n.group(1)) if n else 0
        out.append(code)
        pos = end + 4 + body
    return out


def masked(resp):
    return re.sub(rb"\r\nDate: [^\r]*\r\n", b"\r\nDate: *\r\n", resp)


fails = 0
for name, req, want in CASES:
    try:
        u = exchange(USTACK, req)
        k = exchange(KERNEL, req)
    except OSError as e:
        print("FAIL: %s: %s" % (name, e))
        fails += 1
        continue
    heads = {0} if name == "HEAD /" else {2} if name == "pipelined keep-alive" else set()
    got = statuses(u, heads)
    same = masked(u) == masked(k)
    ok = same and got == want
    detail = "%d bytes, statuses %s, sha256 %s" % (len(u), got, hashlib.sha256(masked(u)).hexdigest()[:12])
    if not same:
        detail += "; kernel gave %d bytes, statuses %s, first difference at byte %d" % (
            len(k), statuses(k, heads),
            next((i for i, (a, b) in enumerate(zip(masked(u), masked(k))) if a != b),
                 min(len(masked(u)), len(masked(k)))))
    if got != want:
        detail += "; want statuses %s" % want
    print("%s: same answer on ustack and kernel: %s (%s)" % ("PASS" if ok else "FAIL", name, detail))
    fails += 0 if ok else 1
sys.exit(1 if fails else 0)
PY
)
rc=$?
# Each line is a check of its own.
while IFS= read -r line; do
  case "$line" in
    PASS:*) iop_pass "${line#PASS: }" ;;
    FAIL:*) iop_fail "${line#FAIL: }" ;;
    *) echo "$line" ;;
  esac
done <<<"$out"
iop_check "the comparison ran to the end" "$([[ $rc == 0 || $IOP_FAILS -gt 0 ]]; echo $?)" "rc $rc"

iop_stop_app
iop_check "ustack-httpd --stack=ustack exits 0 on SIGINT" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" \
  "rc $IOP_APP_RC"
kill -INT "$KPID"
wait "$KPID"
krc=$?
iop_check "ustack-httpd --stack=kernel exits 0 on SIGINT" "$([[ $krc == 0 ]]; echo $?)" "rc $krc"
u=$(sed -n 's/^http.requests //p' "$IOP_APP_LOG")
k=$(sed -n 's/^http.requests //p' "$IOP_TMP/kernel-httpd.log")
iop_check "both servers counted the same requests" "$([[ -n "$u" && "$u" == "$k" ]]; echo $?)" \
  "ustack $u, kernel $k"
iop_summary
