"""Scenario 8, scale: 100,000 idle established connections (20,000 with --quick): memory
per connection and the time to open them, ustack client to ustack server over net_memif vs
the kernel over loopback. Connections are spread over 8 server ports so that one client
address passes the 28k ephemeral ports of one (address, port) pair.

ustack: the echo server's malloc'd bytes and RSS (ustack-echo prints them on SIGUSR1)
before the client starts and while it holds the connections; the stack's share is the heap
growth minus the same app's heap growth on the kernel backend (coroutine frames, buffers).
Linux: /proc/meminfo Slab and MemAvailable, before and during the hold, divided by the
2 x N sockets (both ends live in the same kernel); /proc/net/sockstat is kept in the notes.
A process here may not raise its descriptor limit (no CAP_SYS_RESOURCE), so the kernel side
runs as several server/client process pairs, one server port each, opening in parallel.
Goal: under 2 KiB of stack memory per idle established connection.
"""
import os
import resource
import signal
import time

from . import common

NAME = "scale"
PORTS = 8
CONCURRENCY = 256
HOLD_S = 20  # the client holds this long; the run ends earlier once measured
SERVER_BUF = 256  # per-connection read buffer of the echo server (app memory)


def _mem_snapshot(srv, count, timeout=20):
    """Asks the server for a mem.* report and waits for report number `count`."""
    os.kill(srv.pid, signal.SIGUSR1)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        reps = common.mem_report(list(srv.err))
        if len(reps) >= count:
            return reps[count - 1]
        time.sleep(0.05)
    raise RuntimeError("server printed no memory report; stderr: " + " | ".join(srv.err[-5:]))


def _wait_accepted(servers, conns, timeout=60):
    """Memory reports of every server once they hold `conns` connections together (a
    client's handshake can complete before the server has taken it off its accept queue)."""
    end = time.monotonic() + timeout
    count = 2
    while True:
        time.sleep(1.0)
        during = [_mem_snapshot(srv, count) for srv in servers]
        if sum(d["open_connections"] for d in during) >= conns or time.monotonic() > end:
            return during
        count += 1


def _hold_argv(n, ports, concurrency):
    return ["--hold", str(HOLD_S), "--conns", str(n), "--ports", str(ports), "--concurrency",
            str(concurrency)]


def _split(conns):
    """Connections per kernel process pair: a process here may hold at most its
    RLIMIT_NOFILE descriptors (not raisable without CAP_SYS_RESOURCE)."""
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0] - 256
    procs = -(-conns // limit)
    return [conns // procs + (1 if i < conns % procs else 0) for i in range(procs)]


def _run(bench, tmp, stack, conns):
    """One run: server(s) and client(s); the ustack pair is one process each, the kernel
    side as many process pairs as the descriptor limit needs (one server port each)."""
    echo = common.echo_bin(bench)
    if stack == "ustack":
        s_conf, c_conf = common.ustack_configs(bench, tmp, "scale")
        pairs = [([echo, "server", "--stack=ustack", "--conf", s_conf, "--port", "7", "--ports",
                   str(PORTS)],
                  [echo, "client", "--stack=ustack", "--conf", c_conf, "--addr", "198.18.0.1",
                   "--port", "7"] + _hold_argv(conns, PORTS, CONCURRENCY), conns)]
    else:
        base = common.kernel_port()
        split = _split(conns)
        # PORTS server ports per pair too: Linux's connect() takes even ephemeral ports first
        # and scans all of them before the odd ones, so more than ~14k connections to one
        # destination port make each further connect() slow (a kernel cost, but not the one
        # measured here).
        pairs = [([echo, "server", "--stack=kernel", "--addr", "127.0.0.1", "--port",
                   str(base + i * PORTS), "--ports", str(PORTS)],
                  [echo, "client", "--stack=kernel", "--addr", "127.0.0.1", "--port",
                   str(base + i * PORTS)] + _hold_argv(n, PORTS, max(1, CONCURRENCY // len(split))),
                  n)
                 for i, n in enumerate(split)]
    servers, clients = [], []
    try:
        for srv_argv, _, _ in pairs:
            servers.append(common.Proc(srv_argv + ["--buf", str(SERVER_BUF)], bench.SERVER_CPU))
        for srv in servers:
            common.wait_listening(srv, stack)
        before = [_mem_snapshot(srv, 1) for srv in servers]
        k_before = (common.meminfo(), common.sockstat_tcp())
        for _, cli_argv, _ in pairs:
            clients.append(common.Proc(cli_argv, bench.CLIENT_CPU))
        for cli in clients:
            cli.wait_mark("established", timeout=600)
        during = _wait_accepted(servers, conns)
        k_during = (common.meminfo(), common.sockstat_tcp())
        for cli in clients:  # measured: end the hold early (the JSON is printed on SIGINT)
            cli.proc.send_signal(signal.SIGINT)
        results = [cli.finish(timeout=60) for cli in clients]
    finally:
        for p in clients + servers:
            p.stop()
    ok = sum(r.get("ok", 0) for r in results)
    if any(r.get("failed") for r in results) or ok != conns:
        raise RuntimeError(f"scale clients did not open every connection: {results}")
    n = sum(d["open_connections"] for d in during)
    if n != conns:
        raise RuntimeError(f"servers hold {n} connections, expected {conns}")
    r = {"ok": ok, "processes": len(pairs), "open_s": max(x["open_s"] for x in results)}
    r["heap_per_conn"] = sum(d["heap_bytes"] - b["heap_bytes"] for d, b in zip(during, before)) / n
    r["rss_per_conn"] = sum(d["rss_bytes"] - b["rss_bytes"] for d, b in zip(during, before)) / n
    (m0, s0), (m1, s1) = k_before, k_during
    r["kernel_slab_per_socket"] = (m1["Slab"] - m0["Slab"]) / (2 * n)
    r["kernel_avail_per_socket"] = (m0["MemAvailable"] - m1["MemAvailable"]) / (2 * n)
    r["sockstat_before"], r["sockstat_during"] = s0, s1
    return r


def bench(bench, runs, quick, tmp, rows):
    conns = 20000 if quick else 100000
    res = {"ustack": [], "linux": []}
    for i in range(runs):
        for stack in ("ustack", "linux"):
            bench.log(f"scale run {i + 1}/{runs} on {stack}: {conns} connections")
            res[stack].append(_run(bench, tmp, stack, conns))
            time.sleep(1.0)
    us, lx = res["ustack"], res["linux"]
    # The app's own heap per connection, measured on the kernel backend (same code).
    app = sorted(r["heap_per_conn"] for r in lx)[len(lx) // 2]
    scen = f"8. Scale, {conns // 1000}k idle conns"
    stack_mem = common.absolute_row(
        bench, scen, "stack memory per connection", "B",
        [r["heap_per_conn"] - app for r in us], [r["kernel_slab_per_socket"] for r in lx],
        "ustack <= 2048 B", lambda v: v <= 2048)
    stack_mem["notes"] = {
        "ustack": "server heap growth per connection minus the app's own (kernel backend run)",
        "linux": "Slab growth / (2 x connections): both ends are in the same kernel",
        "app_heap_per_conn": app, "server_read_buffer": SERVER_BUF,
        "linux_memavailable_per_socket": [r["kernel_avail_per_socket"] for r in lx],
        "linux_sockstat": [[r["sockstat_before"], r["sockstat_during"]] for r in lx]}
    rows.append(stack_mem)
    rows.append(bench.row(scen, "server process heap per conn", "B",
                          [r["heap_per_conn"] for r in us], [r["heap_per_conn"] for r in lx],
                          None, higher_better=False))
    rows.append(bench.row(scen, "server process RSS per conn", "B",
                          [r["rss_per_conn"] for r in us], [r["rss_per_conn"] for r in lx],
                          None, higher_better=False))
    rows.append(bench.row(scen, f"time to open {conns}", "s", [r["open_s"] for r in us],
                          [r["open_s"] for r in lx], None, higher_better=False))
