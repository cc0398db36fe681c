"""Scenario 7, idle: CPU used by an echo server with one idle connection over 10 s (5 s
with --quick), from /proc/PID/stat utime+stime, and the round trip of the first request
after that idle period, ustack (default [runtime] poll_mode=adaptive) vs the kernel.
Goal: the idle ustack server uses under 2% of a core.
"""
import time

from . import common

NAME = "idle"


def _measure(bench, srv, cli, idle_s):
    """CPU% of the server between the client's idle_start and idle_end marks."""
    cli.wait_mark("idle_start", timeout=60)
    c0, t0 = common.cpu_seconds(srv.pid), time.monotonic()
    cli.wait_mark("idle_end", timeout=idle_s + 30)
    c1, t1 = common.cpu_seconds(srv.pid), time.monotonic()
    r = cli.finish(timeout=60)
    if r.get("error") != 0:
        raise RuntimeError(f"idle client failed: {r}")
    r["server_cpu_pct"] = 100.0 * (c1 - c0) / (t1 - t0)
    return r


def _run(bench, tmp, stack, idle_s):
    echo = common.echo_bin(bench)
    if stack == "ustack":
        s_conf, c_conf = common.ustack_configs(bench, tmp, "idle")
        srv_argv = [echo, "server", "--stack=ustack", "--conf", s_conf, "--port", "7"]
        cli_argv = [echo, "client", "--stack=ustack", "--conf", c_conf, "--addr", "198.18.0.1",
                    "--port", "7"]
    else:
        port = str(common.kernel_port())
        srv_argv = [echo, "server", "--stack=kernel", "--addr", "127.0.0.1", "--port", port]
        cli_argv = [echo, "client", "--stack=kernel", "--addr", "127.0.0.1", "--port", port]
    srv = common.Proc(srv_argv, bench.SERVER_CPU)
    try:
        common.wait_listening(srv, stack)
        cli = common.Proc(cli_argv + ["--idle", str(idle_s), "--warmup", "1000"],
                          bench.CLIENT_CPU)
        return _measure(bench, srv, cli, idle_s)
    finally:
        srv.stop()


def bench(bench, runs, quick, tmp, rows):
    idle_s = 5 if quick else 10
    res = {"ustack": [], "linux": []}
    for i in range(runs):
        for stack in ("ustack", "linux"):
            bench.log(f"idle run {i + 1}/{runs} on {stack} ({idle_s} s idle)")
            res[stack].append(_run(bench, tmp, stack, idle_s))
    scen = f"7. Idle server, 1 conn, {idle_s} s idle"
    cpu = common.absolute_row(bench, scen, "server CPU while idle", "% core",
                              [r["server_cpu_pct"] for r in res["ustack"]],
                              [r["server_cpu_pct"] for r in res["linux"]], "ustack < 2%",
                              lambda v: v < 2.0)
    first = bench.row(scen, "first request after idle", "us",
                      [r["first_us"] for r in res["ustack"]],
                      [r["first_us"] for r in res["linux"]], None, higher_better=False)
    warm = bench.row(scen, "request before idle (median)", "us",
                     [r["warm_median_us"] for r in res["ustack"]],
                     [r["warm_median_us"] for r in res["linux"]], None, higher_better=False)
    rows.extend([cpu, first, warm])
