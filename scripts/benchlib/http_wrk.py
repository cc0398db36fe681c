"""Scenario 4b, wrk over a veth: wrk (the kernel's TCP, in a network namespace, CPU 1)
against `ustack-httpd` on net_af_xdp at the other end of the veth (CPU 0), vs
`ustack-httpd --stack=kernel` in a second namespace behind the same kind of veth (CPU 0).
Both veth pairs get the same settings (transmit checksum, TSO, GSO and GRO off: what the
DPDK end needs). GET /, 600-byte body. Figures from wrk (-t1): requests/s with 64 kept-alive
connections, with 64 connections and `Connection: close` (= connections/s), and with one
connection (and its latency p50/p99). Goals, reported and not held: one connection >= 5x
Linux, close >= 3x.
"""
import os
import re
import subprocess
import time

from . import http

NAME = "wrk"
CLIENT_ADDR, SERVER_ADDR = "198.18.0.1", "198.18.0.2"
OFFLOADS_OFF = ["tx", "off", "tso", "off", "gso", "off", "gro", "off"]


def sh(*argv, check=True):
    return subprocess.run(list(argv), check=check, capture_output=True, text=True)


class Veth:
    """Namespace `client` holding one end (CLIENT_ADDR/24); the other end either stays in the
    root namespace without an address (for DPDK) or goes into namespace `server`
    (SERVER_ADDR/24). Removed by close()."""

    def __init__(self, tag, server_ns):
        pid = os.getpid()
        self.client_ns = f"ustack-bench-c{tag}-{pid}"
        self.server_ns = f"ustack-bench-s{tag}-{pid}" if server_ns else None
        self.client_if, self.server_if = f"bc{tag}{pid}"[:15], f"bs{tag}{pid}"[:15]
        try:
            self._setup()
        except subprocess.CalledProcessError as e:
            self.close()
            raise RuntimeError(f"veth setup failed: {e.cmd}: {e.stderr}")

    def _ns(self, ns, *argv):
        return sh("ip", "netns", "exec", ns, *argv) if ns else sh(*argv)

    def _setup(self):
        sh("ip", "netns", "add", self.client_ns)
        if self.server_ns:
            sh("ip", "netns", "add", self.server_ns)
        sh("ip", "link", "add", self.server_if, "type", "veth", "peer", "name", self.client_if)
        sh("ip", "link", "set", self.client_if, "netns", self.client_ns)
        if self.server_ns:
            sh("ip", "link", "set", self.server_if, "netns", self.server_ns)
        for ns, ifname, addr in ((self.client_ns, self.client_if, CLIENT_ADDR),
                                 (self.server_ns, self.server_if, SERVER_ADDR)):
            if ns:
                self._ns(ns, "ip", "link", "set", "lo", "up")
                self._ns(ns, "sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
                self._ns(ns, "ip", "addr", "add", f"{addr}/24", "dev", ifname)
            else:
                sh("sysctl", "-qw", f"net.ipv6.conf.{ifname}.disable_ipv6=1")
            self._ns(ns, "ip", "link", "set", ifname, "up")
            self._ns(ns, "ethtool", "-K", ifname, *OFFLOADS_OFF)

    def close(self):
        sh("ip", "link", "del", self.server_if, check=False)
        for ns in (self.client_ns, self.server_ns):
            if ns:
                sh("ip", "netns", "del", ns, check=False)

    def wait_ping(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if sh("ip", "netns", "exec", self.client_ns, "ping", "-c", "1", "-W", "1",
                  SERVER_ADDR, check=False).returncode == 0:
                return
        raise RuntimeError(f"{SERVER_ADDR} does not answer ping from {self.client_ns}")


def af_xdp_config(tmp, iface):
    path = os.path.join(tmp, "wrk-af_xdp.ini")
    with open(path, "w") as f:
        f.write(f"""; written by scripts/benchlib/http_wrk.py
[dpdk]
lcore_mask=1
memory=256
no_huge=1
file_prefix=ustack-bench-wrk-{os.getpid()}
eal_args=--no-pci --vdev=net_af_xdp0,iface={iface}
[port0]
addr={SERVER_ADDR}
netmask=255.255.255.0
gateway={CLIENT_ADDR}
{http.USTACK_EXTRA}""")
    return path


def _micros(value, unit):
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6}[unit]


def parse_wrk(out):
    """requests/s, p50/p99 latency (us) and error counts from `wrk --latency` output."""
    rps = re.search(r"^Requests/sec:\s*([0-9.]+)", out, re.M)
    if not rps:
        raise RuntimeError(f"wrk printed no Requests/sec: {out[-500:]}")
    r = {"rps": float(rps.group(1))}
    for pct, key in (("50", "p50_us"), ("99", "p99_us")):
        m = re.search(rf"^\s*{pct}%\s+([0-9.]+)(us|ms|s)\s*$", out, re.M)
        r[key] = _micros(m.group(1), m.group(2)) if m else None
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    r["errors"] = (sum(int(x) for x in errs.groups()) if errs else 0) + \
        (int(non2xx.group(1)) if non2xx else 0)
    return r


WRK_CASES = (  # name, connections, extra wrk arguments
    ("keep-alive", 64, []),
    ("close", 64, ["-H", "Connection: close"]),
    ("one", 1, []),
)


def run_stack(bench, tmp, stack, duration):
    """The three wrk runs against one ustack-httpd on `stack`; {case: parsed wrk figures}."""
    httpd = http.binary(bench, "ustack-httpd")
    veth = Veth("u" if stack == "ustack" else "k", server_ns=stack == "linux")
    srv = None
    try:
        if stack == "ustack":
            conf = af_xdp_config(tmp, veth.server_if)
            srv = http.Httpd([httpd, "--stack=ustack", "--conf", conf, "--port", "80",
                              "--body-size", str(http.BODY)], bench.SERVER_CPU)
        else:
            srv = http.Httpd([httpd, "--stack=kernel", "--listen", f"{SERVER_ADDR}:80",
                              "--body-size", str(http.BODY)], bench.SERVER_CPU,
                             netns=veth.server_ns)
        veth.wait_ping(20)
        out = {}
        for name, conns, extra in WRK_CASES:
            r = subprocess.run(["ip", "netns", "exec", veth.client_ns, "taskset", "-c",
                                bench.CLIENT_CPU, "wrk", "-t1", f"-c{conns}", f"-d{duration}s",
                                "--latency"] + extra + [f"http://{SERVER_ADDR}/"],
                               capture_output=True, text=True, timeout=duration + 60)
            out[name] = parse_wrk(r.stdout)
            if out[name]["errors"]:
                bench.log(f"wrk {name} on {stack}: {out[name]['errors']} errors")
        return out
    finally:
        if srv:
            srv.stop()
        if stack == "ustack":
            sh("ip", "link", "set", "dev", veth.server_if, "xdp", "off", check=False)
        veth.close()


def bench(bench, runs, quick, tmp, rows):
    duration = 3 if quick else 10
    res = {"ustack": [], "linux": []}
    for i in range(runs):
        for stack in ("ustack", "linux"):
            bench.log(f"wrk over veth run {i + 1}/{runs} on {stack}")
            res[stack].append(run_stack(bench, tmp, stack, duration))
    scen = "4b. wrk over veth, {}"
    for name, label, metric, unit, goal in (
            ("keep-alive", "keep-alive, 64 conns", "requests/s", "req/s", None),
            ("close", "Connection: close, 64 conns", "connections/s", "conn/s", 3.0),
            ("one", "keep-alive, 1 conn", "requests/s", "req/s", 5.0)):
        rows.append(bench.row(scen.format(label), metric, unit,
                              [r[name]["rps"] for r in res["ustack"]],
                              [r[name]["rps"] for r in res["linux"]], goal))
    for key in ("p50_us", "p99_us"):
        us = [r["one"][key] for r in res["ustack"] if r["one"][key] is not None]
        lx = [r["one"][key] for r in res["linux"] if r["one"][key] is not None]
        rows.append(bench.row(scen.format("keep-alive, 1 conn"), key, "us", us, lx, None,
                              higher_better=False))
