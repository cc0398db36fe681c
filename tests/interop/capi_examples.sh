#!/usr/bin/env bash
# Interop test of the F-Stack-compatible C API: builds examples/kqueue_http.c and
# examples/epoll_http.c the way an outside application would (cc with `pkg-config --cflags
# --libs ustack` from the build tree), runs each with --conf on the DPDK end of a veth, and
# checks that curl from the kernel's namespace gets the hello-world page 20 times out of 20
# and that the app exits 0 on SIGINT. Then the coroutine example examples/coro_echo.cc
# (build/bin/coro_echo): with --stack=kernel on loopback and with --stack=ustack on the
# veth, 8 concurrent connections echo 1 B to 256 KiB of random bytes back unchanged. Needs
# root.
#   tests/interop/capi_examples.sh [af_packet|af_xdp]
# Environment: USTACK_BIN (default build/bin; the .pc file is looked up in $USTACK_BIN/../lib/
# pkgconfig), IOP_KEEP_TMP=1 keeps logs.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

iop_pmd_arg "${1:-af_packet}"
PC_DIR=$(cd "$USTACK_BIN/../lib/pkgconfig" 2>/dev/null && pwd)
for t in curl cc pkg-config; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done
[[ -n "$PC_DIR" && -f "$PC_DIR/ustack.pc" ]] || { echo "missing ustack.pc (build first)" >&2; exit 1; }
BUILD_BIN=$USTACK_BIN

iop_init
iop_setup_net || { echo "FAIL: cannot create namespace and veth"; exit 1; }
EX_BIN=$IOP_TMP/bin
mkdir -p "$EX_BIN"
REQUESTS=20

for ex in kqueue_http epoll_http; do
  flags=$(PKG_CONFIG_PATH=$PC_DIR pkg-config --cflags --libs ustack)
  # shellcheck disable=SC2086  # the flags are meant to be split
  out=$(cc -std=c11 -O2 -Wall -Wextra -Werror -o "$EX_BIN/ff_$ex" "$IOP_REPO/examples/$ex.c" \
        $flags 2>&1)
  iop_check "examples/$ex.c builds with pkg-config ustack" "$?" "$out"
done

USTACK_BIN=$EX_BIN  # iop_start_app runs $USTACK_BIN/APP
for ex in kqueue_http epoll_http; do
  [[ -x "$EX_BIN/ff_$ex" ]] || continue
  if ! iop_start_app "ff_$ex" "$PMD" 0 20; then
    iop_fail "ff_$ex starts and answers ping on $PMD"
    continue
  fi
  ok=0
  for ((i = 0; i < REQUESTS; i++)); do
    body=$(iop_ns curl -s -m 5 "http://$IOP_STACK_ADDR/")
    [[ "$body" == *"Hello, world!"* ]] && ok=$((ok + 1))
  done
  iop_check "ff_$ex: curl gets hello world $REQUESTS times" \
    "$([[ $ok == "$REQUESTS" ]]; echo $?)" "$ok/$REQUESTS"
  log=$IOP_APP_LOG
  iop_stop_app
  iop_check "ff_$ex exits 0 on SIGINT" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" "rc $IOP_APP_RC"
  if [[ $ok != "$REQUESTS" || "$IOP_APP_RC" != 0 ]]; then sed 's/^/    /' "$log" >&2; fi
done

# --- examples/coro_echo.cc ------------------------------------------------------------------
# echo_check HOST PORT: 8 concurrent connections, each sending random payloads and reading
# them back; prints what it did and exits non-zero on any difference.
echo_check() {
  python3 - "$1" "$2" <<'PY'
import os, socket, sys, threading
host, port = sys.argv[1], int(sys.argv[2])
sizes = [1, 100, 1460, 1461, 65536, 262144]
bad, total = [], [0]
def conn(i):
    try:
        s = socket.create_connection((host, port), timeout=10)
        for n in sizes:
            data = os.urandom(n)
            s.sendall(data)
            got = b""
            while len(got) < n:
                d = s.recv(min(65536, n - len(got)))
                if not d:
                    break
                got += d
            if got != data:
                bad.append((i, n, len(got)))
            total[0] += n
        s.close()
    except OSError as e:
        bad.append((i, str(e)))
threads = [threading.Thread(target=conn, args=(i,)) for i in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print("8 conns echoed %d bytes; bad: %s" % (total[0], bad or "none"))
sys.exit(1 if bad else 0)
PY
}

CORO=$BUILD_BIN/coro_echo
if [[ -x "$CORO" ]]; then
  kport=$((20000 + $$ % 12000))
  "$CORO" --stack=kernel --port "$kport" >"$IOP_TMP/coro-kernel.log" 2>&1 &
  kpid=$!
  IOP_PIDS+=("$kpid")
  for _ in $(seq 50); do grep -q "echoing on" "$IOP_TMP/coro-kernel.log" && break; sleep 0.1; done
  out=$(echo_check 127.0.0.1 "$kport" 2>&1)
  iop_check "coro_echo --stack=kernel on loopback echoes every byte" "$?" "$out"
  kill -INT "$kpid"
  wait "$kpid"
  rc=$?
  iop_check "coro_echo --stack=kernel exits 0 on SIGINT" "$([[ $rc == 0 ]]; echo $?)" \
    "rc $rc; $(tail -1 "$IOP_TMP/coro-kernel.log")"

  USTACK_BIN=$BUILD_BIN
  if iop_start_app coro_echo "$PMD" 0 20 --stack=ustack --port 7; then
    out=$(iop_ns bash -c "$(declare -f echo_check); echo_check $IOP_STACK_ADDR 7" 2>&1)
    iop_check "coro_echo --stack=ustack on $PMD echoes every byte" "$?" "$out"
    log=$IOP_APP_LOG
    iop_stop_app
    iop_check "coro_echo --stack=ustack exits 0 on SIGINT" "$([[ "$IOP_APP_RC" == 0 ]]; echo $?)" \
      "rc $IOP_APP_RC; $(grep '^connections' "$log")"
  else
    iop_fail "coro_echo --stack=ustack starts and answers ping on $PMD"
  fi
else
  iop_fail "coro_echo built" "missing $CORO"
fi

iop_summary
