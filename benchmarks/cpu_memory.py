"""What one sequential register read costs a memory server: our ``TcpServer``, a lean pyzmq loop, C++ Rogue's.

``python -m benchmarks.cpu_memory`` starts the servers, each in its own
process on free loopback ports, over a 64 KiB ``Emulate``:

* ``rogue-bridge``: ``rim.TcpServer >> rim.Emulate`` from this checkout;
* ``pyzmq loop``: the ceiling for a Python server, a loop of blocking
  ``Frame`` receives and backend sends answering every read from a memory
  image (no decoding beyond address and size, no slave, no checks:
  ``registers.serve_lean``);
* ``C++ Rogue``: ``rim.TcpServer >> rim.Emulate`` in the interpreter named by
  ``ROGUE_PEER_PYTHON`` (e.g. ``~/.rogue-peer/rpy``), when set;

then one raw pyzmq client sends sequential 4-byte reads to each in turn, in
bursts of :data:`BURST`, :data:`ROUNDS` times (each server going first in
turn). It prints, per server, the round trip (25th percentile and median of
the bursts' means, µs) and the server process's CPU per request: every
thread's time on a CPU (``/proc/PID/task/*/schedstat``, in ns) over the whole
run divided by the requests it answered. CPU is what the server's code costs,
and moves less than the round trip on a shared machine; the ratios compare
servers measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import struct
import subprocess
import sys
import time
from pathlib import Path

BURST, ROUNDS, WARM = 400, 20, 500
_SRC = str(Path(__file__).resolve().parent.parent / "src")
PEER_ENV = "ROGUE_PEER_PYTHON"


# -- the roles (each runs as ``python -m benchmarks.cpu_memory ROLE PORT``, until stdin closes) ----------------
def lean_server(port: int) -> None:
    """The ceiling: blocking ``Frame`` receives, six backend sends per read over a memory image, nothing else."""
    from .registers import serve_lean

    serve_lean(port)


def bridge_server(port: int) -> None:
    """``rim.TcpServer >> rim.Emulate``, of whichever core ``import rogue`` gives (Rogue's API only)."""
    import rogue.interfaces.memory as rim

    srv = rim.TcpServer("127.0.0.1", port)
    srv >> rim.Emulate(4, 0x10000)
    print("ready", flush=True)
    sys.stdin.read()
    srv._stop()


_ROLES = {"lean_server": lean_server, "bridge_server": bridge_server}


# -- the driver --------------------------------------------------------------------------------------
def _cpu_ns(pid: int) -> int:
    """Time on a CPU of every thread of ``pid`` so far, ns (threads that ended are not counted: none do here)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total


def _start(name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
                            cwd=Path(_SRC).parent)
    assert proc.stdout is not None
    for line in proc.stdout:  # C++ Rogue prints a banner first
        if line.startswith("ready"):
            return proc
    proc.wait(30)
    raise SystemExit(f"the {name} server did not start: {shlex.join(cmd)}")


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin:
        proc.stdin.close()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def run(rounds: int = ROUNDS, burst_size: int = BURST) -> list[dict[str, object]]:
    """Every server measured side by side, ``rounds`` bursts of ``burst_size`` reads each; one row per server."""
    import zmq

    sys.path.insert(0, _SRC)
    from rogue import _ports

    own = {**os.environ, "PYTHONPATH": os.pathsep.join([_SRC, os.environ.get("PYTHONPATH", "")])}
    me = [sys.executable, "-m", "benchmarks.cpu_memory"]
    servers = [("rogue-bridge", me + ["bridge_server"], own), ("pyzmq loop", me + ["lean_server"], own)]
    peer = os.environ.get(PEER_ENV, "").strip()
    if peer:  # C++ Rogue's interpreter imports its own rogue: this checkout's src is kept off its path
        servers.append(("C++ Rogue", [*shlex.split(os.path.expanduser(peer)), "-m", "benchmarks.cpu_memory",
                                      "bridge_server"], dict(os.environ)))
    ctx = zmq.Context()
    procs: list[subprocess.Popen[str]] = []
    links: list[tuple[str, int, zmq.Socket[bytes], zmq.Socket[bytes]]] = []
    head = [struct.pack("<Q", 0x1000), struct.pack("<I", 4), struct.pack("<I", 1)]
    pack = struct.Struct("<I").pack
    tid = 0

    def burst(push: zmq.Socket[bytes], pull: zmq.Socket[bytes], n: int) -> float:
        nonlocal tid
        t0 = time.perf_counter()
        for _ in range(n):
            tid = (tid + 1) & 0xFFFFFFFF
            push.send_multipart([pack(tid), *head])
            if pull.recv_multipart()[-1] != b"OK":
                raise SystemExit("a read failed")
        return (time.perf_counter() - t0) / n * 1e6

    try:
        for name, cmd, env in servers:
            port = _ports.free_port_pair()
            proc = _start(name, [*cmd, str(port)], env)
            procs.append(proc)
            push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
            pull.rcvtimeo = 30_000  # a lost server ends the run instead of hanging it
            push.connect(f"tcp://127.0.0.1:{port}")
            pull.connect(f"tcp://127.0.0.1:{port + 1}")
            links.append((name, proc.pid, push, pull))
        for _, _, push, pull in links:
            burst(push, pull, WARM)
        before = {pid: _cpu_ns(pid) for _, pid, _, _ in links}
        times: dict[str, list[float]] = {name: [] for name, _, _, _ in links}
        for r in range(rounds):
            for name, _, push, pull in links[r % len(links):] + links[:r % len(links)]:
                times[name].append(burst(push, pull, burst_size))
        cpu = {name: (_cpu_ns(pid) - before[pid]) / (rounds * burst_size) / 1000 for name, pid, _, _ in links}
    finally:
        for _, _, push, pull in links:
            push.close(0)
            pull.close(0)
        ctx.term()
        for proc in procs:
            _stop(proc)
    rows: list[dict[str, object]] = []
    for name, runs in times.items():
        runs.sort()
        row: dict[str, object] = {"server": name, "round_trip_p25_us": round(runs[len(runs) // 4], 1),
                                  "round_trip_median_us": round(statistics.median(runs), 1),
                                  "server_cpu_us_per_read": round(cpu[name], 1)}
        for other in ("pyzmq loop", "C++ Rogue"):
            if other in cpu and other != name:
                row[f"cpu_vs_{other}"] = round(cpu[name] / cpu[other], 2)
        rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    """A server role (internal), or the whole measurement: a table, and JSON with ``--json PATH``."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] in _ROLES:
        _ROLES[args[0]](int(args[1]))
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=ROUNDS, help=f"bursts per server (default {ROUNDS})")
    ap.add_argument("--burst", type=int, default=BURST, help=f"sequential reads per burst (default {BURST})")
    ap.add_argument("--json", metavar="PATH", help="also write the rows there as JSON")
    opts = ap.parse_args(args)
    rows = run(opts.rounds, opts.burst)
    if opts.json:
        Path(opts.json).write_text(json.dumps(rows, indent=1))
    keys = list(dict.fromkeys(k for row in rows for k in row))
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row.get(k, "-")) for k in keys) + " |")


if __name__ == "__main__":
    main()
