"""Helpers shared by the benchlib scenarios: binaries, ustack configs, processes that
print 'mark WHAT' lines, CPU and memory readings from /proc."""
import os
import resource
import signal
import subprocess
import threading
import time

from . import profile


def echo_bin(bench):
    return os.path.join(os.environ.get("USTACK_BIN", bench.BIN), "ustack-echo")


def ustack_configs(bench, tmp, name, extra=""):
    """Server and client config files for a memif pair; `extra` (INI text) is appended
    to both, e.g. a [runtime] or [port0] override."""
    sock = os.path.join(tmp, f"{name}.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    confs = []
    for role, addr, peer, mask in (("server", "198.18.0.1", "198.18.0.2", "1"),
                                   ("client", "198.18.0.2", "198.18.0.1", "2")):
        sub = os.path.join(tmp, name)
        os.makedirs(sub, exist_ok=True)
        path = bench.memif_config(sub, role, addr, peer, mask, sock)
        if extra:
            with open(path, "a") as f:
                f.write(extra)
        confs.append(path)
    return confs


def kernel_port():
    return 20000 + os.getpid() % 10000  # below the ephemeral range, like scripts/bench


def raise_nofile(n):
    """preexec_fn for children that hold many sockets."""
    def apply():
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return apply


class Proc:
    """A child process whose stdout is read line by line in the background, so that the
    caller can wait for 'mark WHAT' lines; stderr is collected too."""

    def __init__(self, argv, cpu, nofile=None):
        self.proc = subprocess.Popen(["taskset", "-c", cpu] + argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     preexec_fn=raise_nofile(nofile) if nofile else None)
        self.perf = profile.start(self.proc.pid, argv)
        self.lines, self.err = [], []
        self.cv = threading.Condition()
        self.threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines)),
                        threading.Thread(target=self._pump, args=(self.proc.stderr, self.err))]
        for t in self.threads:
            t.daemon = True
            t.start()

    @property
    def pid(self):
        return self.proc.pid

    def _pump(self, stream, into):
        for line in stream:
            with self.cv:
                into.append(line.rstrip("\n"))
                self.cv.notify_all()

    def wait_for(self, pred, timeout, where="stdout"):
        """Waits until pred(line) holds for a line of stdout (or stderr); returns the line."""
        src = self.lines if where == "stdout" else self.err
        end = time.monotonic() + timeout
        seen = 0
        with self.cv:
            while True:
                for line in src[seen:]:
                    if pred(line):
                        return line
                seen = len(src)
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and seen == len(src):
                    if self.proc.poll() is not None:
                        # give the pumps a moment to drain what is left
                        self.cv.wait(0.2)
                        for line in src[seen:]:
                            if pred(line):
                                return line
                    rc = self.proc.poll()
                    what = f"exited with {rc}" if rc is not None else f"no line within {timeout}s"
                    raise RuntimeError(f"{what}; stderr: " + " | ".join(self.err[-8:]))
                self.cv.wait(min(left, 0.2))

    def wait_mark(self, what, timeout):
        return self.wait_for(lambda l: l == f"mark {what}", timeout)

    def finish(self, timeout):
        """Waits for exit; returns the JSON object of the last line starting with '{'."""
        import json
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("client timed out; stderr: " + " | ".join(self.err[-8:]))
        finally:
            profile.stop(self.perf)
        for t in self.threads:
            t.join(timeout=5)
        for line in reversed(self.lines):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"client printed no JSON (rc {self.proc.returncode}): "
                           + " | ".join(self.err[-8:]))

    def stop(self):
        """SIGINT, then waits; returns stderr lines."""
        profile.stop(self.perf)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for t in self.threads:
            t.join(timeout=5)
        return self.err

    def running(self):
        return self.proc.poll() is None


def wait_listening(server, stack, timeout=20):
    """Waits for the echo server's start-up line."""
    server.wait_for(lambda l: "server on port" in l, timeout, where="stderr")
    if stack == "ustack":
        time.sleep(0.3)


def cpu_seconds(pid):
    """utime + stime of every thread of pid, in seconds (from /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0]) * 1024
    return out


def sockstat_tcp():
    """TCP line of /proc/net/sockstat as a dict (inuse, orphan, tw, alloc, mem in pages)."""
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                p = line.split()[1:]
                return {p[i]: int(p[i + 1]) for i in range(0, len(p), 2)}
    return {}


def mem_report(lines):
    """The last mem.* report in an echo server's stderr, as a dict."""
    reports, cur = [], {}
    for line in lines:
        if line.startswith("mem."):
            k, v = line.split()
            cur[k[4:]] = int(v)
            if k == "mem.rss_bytes":
                reports.append(cur)
                cur = {}
    return reports


def absolute_row(bench, scenario, metric, unit, us, lx, goal_text, meets, higher_better=False):
    """A row whose goal is an absolute bound on the ustack figure, not a ratio."""
    r = bench.row(scenario, metric, unit, us, lx, None, higher_better=higher_better)
    r["goal_text"] = goal_text
    r["meets_goal"] = meets(r["ustack"]) if r["ustack"] is not None else None
    return r
