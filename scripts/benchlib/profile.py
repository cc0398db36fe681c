"""Optional CPU profiles of the ustack processes during a bench run (`scripts/bench --profile
DIR`): `perf record -e cpu-clock` is attached to every ustack server and every client started
through benchlib.common.Proc (the bulk sender, the scale and idle clients) while it runs, one
data file per process run, labelled with the scenario run that started it; at the end
`perf report` gives each label's largest costs (self time by symbol) in DIR/profiles.md.
Sampling perturbs the figures, so a profiling run is for the profiles, not for the table."""
import os
import re
import signal
import subprocess

STATE = {"dir": None, "label": "start", "n": 0}
TOP = 5  # symbols listed per profile


def enable(directory):
    os.makedirs(directory, exist_ok=True)
    STATE["dir"] = os.path.abspath(directory)


def set_label(text):
    STATE["label"] = text


def start(pid, argv):
    """Starts sampling pid if profiling is on and argv is a ustack server; returns a handle."""
    if not STATE["dir"] or "--stack=ustack" not in argv:
        return None
    server = "server" in argv or os.path.basename(argv[0]) == "ustack-httpd"
    STATE["n"] += 1
    base = os.path.join(STATE["dir"], f"{STATE['n']:03d}")
    with open(base + ".label", "w") as f:
        f.write(f"{STATE['label']}: {'server' if server else 'client'} "
                f"{os.path.basename(argv[0])}\n")
    proc = subprocess.Popen(["perf", "record", "-q", "-e", "cpu-clock", "-F", "2999", "-p",
                             str(pid), "-o", base + ".data"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc


def stop(handle):
    """Stops sampling (before the server itself stops, so its exit is not in the profile)."""
    if handle is None or handle.poll() is not None:
        return
    handle.send_signal(signal.SIGINT)
    try:
        handle.wait(timeout=30)
    except subprocess.TimeoutExpired:
        handle.kill()
        handle.wait()


def top_symbols(data):
    """[(percent, symbol)] of the largest self costs in one perf data file."""
    out = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort",
                          "dso,sym", "--percent-limit", "0.5"], capture_output=True, text=True,
                         timeout=300).stdout
    rows = []
    for line in out.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(.*)$", line)
        if m:
            rows.append((float(m.group(1)), f"{m.group(3).strip()} ({m.group(2)})"))
    return rows[:TOP]


def write_summary():
    """Writes DIR/profiles.md from every data file of the run; returns its path."""
    d = STATE["dir"]
    if not d:
        return None
    lines = ["# ustack server profiles (perf record -e cpu-clock, self time by symbol)", ""]
    for name in sorted(os.listdir(d)):
        if not name.endswith(".data"):
            continue
        base = os.path.join(d, name[:-5])
        with open(base + ".label") as f:
            label = f.read().strip()
        lines.append(f"## {label} ({name})")
        for pct, sym in top_symbols(os.path.join(d, name)):
            lines.append(f"- {pct:.1f}% {sym}")
        lines.append("")
    path = os.path.join(d, "profiles.md")
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return path
