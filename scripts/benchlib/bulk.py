"""Scenario 5, bulk: one connection moves 1 GiB (256 MiB with --quick) one way, Gbit/s.

ustack: ustack-echo client --bulk into a --sink server over net_memif (stack MTU from
[port0] mtu), at MTU 1500 and at the larger MTUs in JUMBO (each tried once and given a row of
its own if the pair starts with it; the runtime sizes memif's bsize and the mbufs for it).
Linux: the same app with --stack=kernel over loopback (MTU of lo, 64 KiB), and once more
with the MSS clamped to 1460 (TCP_MAXSEG) for a like-for-like segment size.
"""
import os
import time

from . import common

NAME = "bulk"
# 9000: the usual jumbo frame; 65393: the largest MTU one mbuf holds (src/port/frame_size.h),
# near loopback's 65536.
JUMBO = (9000, 65393)


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


def _jumbo_works(bench, tmp, mtu):
    """Whether a ustack pair over memif starts and moves data with `mtu`; the reason if not."""
    try:
        r = _ustack_run(bench, tmp, 16 << 20, mtu)
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
    jumbo = {}  # MTU -> (works, reason)
    for mtu in JUMBO:
        jumbo[mtu] = _jumbo_works(bench, tmp, mtu)
        ok, why = jumbo[mtu]
        bench.log(f"bulk: MTU {mtu} over memif " + ("works" if ok else f"fails: {why}"))
    us, lx, lx_mss = [], [], []
    us_jumbo = {mtu: [] for mtu in JUMBO if jumbo[mtu][0]}
    for i in range(runs):
        bench.log(f"bulk run {i + 1}/{runs}: ustack MTU 1500 and {', '.join(map(str, us_jumbo))}, "
                  f"Linux lo MTU {lo_mtu}")
        us.append(_ustack_run(bench, tmp, nbytes, 1500))
        lx.append(_kernel_run(bench, nbytes))
        lx_mss.append(_kernel_run(bench, nbytes, mss=1460))
        for mtu, results in us_jumbo.items():
            results.append(_ustack_run(bench, tmp, nbytes, mtu))
        time.sleep(0.2)
    size = f"{nbytes >> 20}MiB"

    def add(label, u, l, us_mtu, mss):
        r = bench.row(f"5. Bulk {size}, {label}", "throughput, 1 connection", "Gbit/s",
                      _gbps(u), _gbps(l), 1.0)
        r["notes"] = {"ustack_mtu": us_mtu, "linux_mtu": lo_mtu, "linux_mss": mss,
                      "jumbo_over_memif": {m: ok for m, (ok, _) in jumbo.items()},
                      "jumbo_reasons": {m: why for m, (ok, why) in jumbo.items() if not ok},
                      "bytes": nbytes}
        rows.append(r)

    add(f"MTU 1500/lo {lo_mtu}", us, lx, 1500, None)
    add("MTU 1500/lo MSS 1460", us, lx_mss, 1500, 1460)
    for mtu, results in us_jumbo.items():
        add(f"MTU {mtu}/lo {lo_mtu}", results, lx, mtu, None)
