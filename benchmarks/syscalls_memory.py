"""System calls per sequential memory transaction, raw pyzmq against our bridge, each side alone.

``python -m benchmarks.syscalls_memory`` (needs ``strace``; ~30 s) runs a
sequential 4-byte-read client against a server in another process under
``strace -f -c``, twice (``N`` and ``3 N`` transactions), and prints the
difference per transaction, by system call: what one round trip costs the
client's process (all its threads, libzmq's I/O thread included) and,
separately, the server's. Counts do not depend on the host's speed, unlike
the timings of ``python -m benchmarks``, so they show a change of the code
path on a noisy machine. The unmeasured side is the raw one (raw server for
the clients, raw client for the servers), so each figure is one side only.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

_N = 1000
_SRC = str(Path(__file__).resolve().parent.parent / "src")


# -- the roles (each runs as ``python -m benchmarks.syscalls_memory ROLE PORT ...``) ----------------
def raw_server(port: int, stop_file: str) -> None:
    import zmq

    ctx = zmq.Context()
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.bind(f"tcp://127.0.0.1:{port}")
    push.bind(f"tcp://127.0.0.1:{port + 1}")
    zeros = {struct.pack("<I", 4): bytes(4), bytes(4): b""}  # a read of 4 bytes, a probe
    while not os.path.exists(stop_file):
        if not pull.poll(100):
            continue
        while True:
            try:
                parts = pull.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            push.send_multipart([*parts[:4], parts[4] if len(parts) == 5 else zeros[parts[2]], b"OK"])
    pull.close(0)
    push.close(0)
    ctx.term()


def bridge_server(port: int, stop_file: str) -> None:
    import rogue.interfaces.memory as rim

    srv = rim.TcpServer("127.0.0.1", port)
    srv >> rim.Emulate(4, 0x1000)
    while not os.path.exists(stop_file):
        time.sleep(0.1)
    srv.stop()


def raw_client(port: int, n: int) -> None:
    import zmq

    ctx = zmq.Context()
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    pull.rcvtimeo = 30_000  # a lost server ends the run (zmq.Again) instead of hanging it
    push.connect(f"tcp://127.0.0.1:{port}")
    pull.connect(f"tcp://127.0.0.1:{port + 1}")
    head = [struct.pack("<Q", 0x1000), struct.pack("<I", 4), struct.pack("<I", 1)]
    pack = struct.Struct("<I").pack
    for i in range(1, n + 1):
        push.send_multipart([pack(i), *head])
        pull.recv_multipart()
    push.close(0)
    pull.close(0)
    ctx.term()


def bridge_client(port: int, n: int) -> None:
    import rogue.interfaces.memory as rim

    mst, cli = rim.Master(), rim.TcpClient("127.0.0.1", port)
    mst >> cli
    if not cli.waitReady(10.0):
        raise SystemExit("memory server not answering")
    buf = bytearray(4)
    for _ in range(n):
        mst._reqTransaction(0x1000, buf, 4, 0, rim.Read)
        mst._waitTransaction(0)
    cli.stop()


_ROLES = {"raw_server": raw_server, "bridge_server": bridge_server, "raw_client": raw_client,
          "bridge_client": bridge_client}


# -- the driver --------------------------------------------------------------------------------------
def _role(name: str, port: int, arg: object, strace_to: str | None) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "benchmarks.syscalls_memory", name, str(port), str(arg)]
    if strace_to:
        cmd = ["strace", "-f", "-c", "-o", strace_to, *cmd]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([_SRC, os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen(cmd, cwd=Path(_SRC).parent, env=env)


def _counts(path: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in Path(path).read_text().splitlines():
        f = line.split()
        # "% time  seconds  usecs/call  calls  [errors]  syscall"
        if len(f) >= 5 and f[-1].isidentifier() and f[-1] != "total" and f[3].isdigit():
            counts[f[-1]] += int(f[3])
    return counts


def per_transaction(server: str, client: str, traced: str) -> Counter[str]:
    """System calls per transaction of the ``traced`` side ("server" or "client"), by name."""
    sys.path.insert(0, _SRC)
    from rogue import _ports

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (_N, 3 * _N):
            port = _ports.free_port_pair()
            out = f"{tmp}/{n}.txt"
            stop_file = f"{tmp}/stop{n}"
            srv = _role(server, port, stop_file, out if traced == "server" else None)
            time.sleep(1.5)  # bound before the client connects (strace slows the start)
            cli = _role(client, port, n, out if traced == "client" else None)
            try:
                ok = cli.wait(300) == 0
            finally:
                Path(stop_file).touch()
            if srv.wait(60) != 0 or not ok:
                raise SystemExit(f"{server}/{client} failed")
            runs.append(_counts(out))
    diff = Counter({k: (runs[1][k] - runs[0][k]) / (2 * _N) for k in runs[1]})
    return Counter({k: v for k, v in diff.items() if v >= 0.05})


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] in _ROLES:
        _ROLES[sys.argv[1]](int(sys.argv[2]), sys.argv[3] if "server" in sys.argv[1] else int(sys.argv[3]))  # type: ignore[operator]
        return
    if shutil.which("strace") is None:
        raise SystemExit("strace is not installed (apt install strace)")
    cases = [("client", "raw", "raw_server", "raw_client"), ("client", "bridge", "raw_server", "bridge_client"),
             ("server", "raw", "raw_server", "raw_client"), ("server", "bridge", "bridge_server", "raw_client")]
    results = {(side, impl): per_transaction(srv, cli, side) for side, impl, srv, cli in cases}
    names = sorted({k for c in results.values() for k in c}, key=lambda k: -max(c[k] for c in results.values()))
    print("| side | impl | total | " + " | ".join(names) + " |")
    print("|---|---|---|" + "---|" * len(names))
    for (side, impl), c in results.items():
        print(f"| {side} | {impl} | {sum(c.values()):.1f} | " + " | ".join(f"{c[k]:.1f}" for k in names) + " |")


if __name__ == "__main__":
    main()
