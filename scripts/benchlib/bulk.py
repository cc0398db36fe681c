"""Scenario 5, bulk: one connection moves 1 GiB (256 MiB with --quick) one way, Gbit/s.

ustack: ustack-echo client --bulk into a --sink server over net_memif (stack MTU from
[port0] mtu; a jumbo MTU is tried once and used for an extra row if the port takes it).
Linux: the same app with --stack=kernel over loopback (MTU of lo, 64 KiB), and once more
with the MSS clamped to 1460 (TCP_MAXSEG) for a like-for-like segment size.
"""
import os
import time

from . import common

NAME = "bulk"
JUMBO = 9000


def _ustack_run(bench, tmp, nbytes, mtu):
    extra = f"[port0]\nmtu={mtu}\n" if mtu != 1500 else ""
    s_conf, c_conf = common.ustack_configs(bench, tmp, f"bulk{mtu}", extra)
    echo = common.echo_bin(bench)
    srv = common.Proc([echo, "server", "--stack=ustack", "--conf", s_conf, "--port", "7",
                       "--sink"], bench.SERVER_CPU)
    try:
        common.wait_listening(srv, "ustack")
        cli = common.Proc([echo, "client", "--stack=ustack", "--conf", c_conf, "--addr",
                           "198.18.0.1", "--port", "7", "--bulk", str(nbytes)], bench.CLIENT_CPU)
        return cli.finish(timeout=300)
    finally:
        srv.stop()


def _kernel_run(bench, nbytes, mss=0):
    echo = common.echo_bin(bench)
    port = str(common.kernel_port())
    srv = common.Proc([echo, "server", "--stack=kernel", "--addr", "127.0.0.1", "--port", port,
                       "--sink"], bench.SERVER_CPU)
    try:
        common.wait_listening(srv, "kernel")
        argv = [echo, "client", "--stack=kernel", "--addr", "127.0.0.1", "--port", port,
                "--bulk", str(nbytes)]
        if mss:
            argv += ["--mss", str(mss)]
        return common.Proc(argv, bench.CLIENT_CPU).finish(timeout=300)
    finally:
        srv.stop()


def _jumbo_works(bench, tmp):
    """Whether a ustack pair over memif starts and moves data with MTU 9000; the reason if not."""
    try:
        r = _ustack_run(bench, tmp, 16 << 20, JUMBO)
        return r.get("error") == 0, f"error {r.get('error')}"
    except RuntimeError as e:
        return False, str(e)[-300:]


def _gbps(results):
    out = []
    for r in results:
        if r.get("error") != 0 or r.get("server_count") != r.get("bytes"):
            raise RuntimeError(f"bulk run failed: {r}")
        out.append(r["gbps"])
    return out


def bench(bench, runs, quick, tmp, rows):
    nbytes = (256 << 20) if quick else (1 << 30)
    with open("/sys/class/net/lo/mtu") as f:
        lo_mtu = int(f.read())
    jumbo_ok, why = _jumbo_works(bench, tmp)
    bench.log(f"bulk: MTU {JUMBO} over memif " + ("works" if jumbo_ok else f"fails: {why}"))
    us, us_jumbo, lx, lx_mss = [], [], [], []
    for i in range(runs):
        bench.log(f"bulk run {i + 1}/{runs}: ustack MTU 1500, Linux lo MTU {lo_mtu}")
        us.append(_ustack_run(bench, tmp, nbytes, 1500))
        lx.append(_kernel_run(bench, nbytes))
        lx_mss.append(_kernel_run(bench, nbytes, mss=1460))
        if jumbo_ok:
            us_jumbo.append(_ustack_run(bench, tmp, nbytes, JUMBO))
        time.sleep(0.2)
    size = f"{nbytes >> 20}MiB"

    def add(label, u, l, us_mtu, mss):
        r = bench.row(f"5. Bulk {size}, {label}", "throughput, 1 connection", "Gbit/s",
                      _gbps(u), _gbps(l), 1.0)
        r["notes"] = {"ustack_mtu": us_mtu, "linux_mtu": lo_mtu, "linux_mss": mss,
                      "jumbo_over_memif": jumbo_ok, "jumbo_reason": "" if jumbo_ok else why,
                      "bytes": nbytes}
        rows.append(r)

    add(f"MTU 1500/lo {lo_mtu}", us, lx, 1500, None)
    add("MTU 1500/lo MSS 1460", us, lx_mss, 1500, 1460)
    if jumbo_ok:
        add(f"MTU {JUMBO}/lo {lo_mtu}", us_jumbo, lx, JUMBO, None)
