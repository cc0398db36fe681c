"""Scenarios 3 and 4, HTTP: `ustack-load http` against `ustack-httpd` (GET /, 600-byte body,
64 connections), both on ustack joined by net_memif, vs the same two programs with
--stack=kernel over loopback. Server on CPU 0, client on CPU 1.

  3. keep-alive: requests/s (goal >= 3x Linux) and latency p50/p99/p99.9
  4. Connection: close (a connection per request): connections/s (goal >= 5x) and latency
     (from the connect to the last byte of the response)

Every response is checked by the load generator (status 200, 600-byte body); a run with
errors fails the scenario. Module interface: NAME and bench(bench, runs, quick, tmp, rows),
`bench` being the scripts/bench module (row, log, memif_config, CPUs, BIN).
"""
import json
import os
import subprocess
import time

from . import profile

NAME = "http"
BODY = 600
CONNS = 64
ADDR_SERVER, ADDR_CLIENT = "198.18.0.1", "198.18.0.2"
# Both stacks set TCP_NODELAY (ustack-httpd always does on the kernel).
USTACK_EXTRA = "[tcp]\nnodelay=1\n"


def binary(bench, name):
    return os.path.join(os.environ.get("USTACK_BIN", bench.BIN), name)


def memif_pair(bench, tmp, name):
    """Server and client configs for a memif pair, in a directory of their own."""
    sub = os.path.join(tmp, name)
    os.makedirs(sub, exist_ok=True)
    sock = os.path.join(sub, "memif.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    confs = []
    for role, addr, peer, mask in (("server", ADDR_SERVER, ADDR_CLIENT, "1"),
                                   ("client", ADDR_CLIENT, ADDR_SERVER, "2")):
        path = bench.memif_config(sub, role, addr, peer, mask, sock)
        with open(path, "a") as f:
            f.write(USTACK_EXTRA)
        confs.append(path)
    return confs


class Httpd:
    """ustack-httpd in the background (optionally under `ip netns exec NS`), pinned; waits
    for its 'listening on' line; stop() sends SIGINT and returns its stderr."""

    def __init__(self, argv, cpu, netns=None, timeout=30):
        pre = ["ip", "netns", "exec", netns] if netns else []
        self.proc = subprocess.Popen(pre + ["taskset", "-c", cpu] + argv,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.err = []
        self.perf = profile.start(self.proc.pid, argv)
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.err.append(line.rstrip("\n"))
            if "listening on" in line:
                return
        self.stop()
        raise RuntimeError("ustack-httpd did not start: " + " | ".join(self.err[-8:]))

    def stop(self):
        profile.stop(self.perf)
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: prints counters, exits 0
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rest = self.proc.stderr.read() if self.proc.stderr else ""
        self.err.extend(rest.splitlines())
        return self.err


def load_json(argv, cpu, timeout):
    r = subprocess.run(["taskset", "-c", cpu] + argv, capture_output=True, text=True,
                       timeout=timeout)
    for line in reversed(r.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"ustack-load printed no JSON (rc {r.returncode}): {r.stderr[-500:]}")


def run_once(bench, tmp, stack, close, duration):
    """One ustack-load run against a fresh ustack-httpd; the load generator's JSON."""
    httpd, load = binary(bench, "ustack-httpd"), binary(bench, "ustack-load")
    common = ["--conns", str(CONNS), "--duration", str(duration), "--expect-length", str(BODY),
              "--json"] + (["--close"] if close else [])
    if stack == "ustack":
        s_conf, c_conf = memif_pair(bench, tmp, "http-close" if close else "http")
        srv = Httpd([httpd, "--stack=ustack", "--conf", s_conf, "--port", "80", "--body-size",
                     str(BODY)], bench.SERVER_CPU)
        client = [load, "http", "--stack=ustack", "--conf", c_conf] + common + \
            [f"http://{ADDR_SERVER}:80/"]
    else:
        port = 20000 + os.getpid() % 10000  # below the ephemeral range
        srv = Httpd([httpd, "--stack=kernel", "--listen", f"127.0.0.1:{port}", "--body-size",
                     str(BODY)], bench.SERVER_CPU)
        client = [load, "http", "--stack=kernel"] + common + [f"http://127.0.0.1:{port}/"]
    try:
        r = load_json(client, bench.CLIENT_CPU, duration + 90)
    finally:
        srv.stop()
    if r["requests"] == 0 or r["errors"] > 0:
        raise RuntimeError(f"HTTP load on {stack} {'close' if close else 'keep-alive'} had "
                           f"errors: {r}")
    return r


def bench(bench, runs, quick, tmp, rows):
    duration = 3 if quick else 10
    res = {(close, stack): [] for close in (False, True) for stack in ("ustack", "linux")}
    for i in range(runs):
        for close in (False, True):
            for stack in ("ustack", "linux"):  # alternate the two
                mode = "close" if close else "keep-alive"
                bench.log(f"http {mode} run {i + 1}/{runs} on {stack}")
                res[(close, stack)].append(run_once(bench, tmp, stack, close, duration))
    for close, scen, metric, unit, goal in (
            (False, f"3. HTTP keep-alive, {CONNS} conns, {BODY} B", "requests/s", "req/s", 3.0),
            (True, f"4. HTTP Connection: close, {CONNS} conns", "connections/s", "conn/s", 5.0)):
        us, lx = res[(close, "ustack")], res[(close, "linux")]
        rows.append(bench.row(scen, metric, unit, [r["rps"] for r in us], [r["rps"] for r in lx],
                              goal))
        for key in ("p50_us", "p99_us", "p999_us"):
            rows.append(bench.row(scen, key, "us", [r[key] for r in us], [r[key] for r in lx],
                                  None, higher_better=False))
