"""pyrogue register access rates on whichever ``rogue`` core this Python imports (rogue-bridge or C++ Rogue).

One harness for both cores, so their figures compare: ``python benchmarks/registers.py`` measures rogue-bridge
(this checkout's ``src``); ``~/.rogue-peer/rpy benchmarks/registers.py`` measures C++ Rogue 6.15 (an interpreter
whose ``rogue`` is C++ Rogue's extension module), with the same pyrogue (``--pyrogue DIR``, default
``shared/peers`` beside the repository, put first on the path for both). ``--core`` forces the choice. Prints
one JSON object (``--json PATH``: also writes it there): calls per second of

* ``local``: a pyrogue ``RemoteVariable`` on a Device whose ``memBase`` is an ``rim.Emulate`` in this process;
* ``bridge``: the same Device across the memory bridge, ``rim.TcpClient`` here and ``rim.TcpServer >>
  rim.Emulate`` in a second process: by default the same interpreter and core; ``--server-python CMD``
  (``--server-core``) runs it on another, so the two clients can be measured against the same server;
* ``engine``: the register engine alone, ``var._set(v, -1)`` / ``var._get(-1)`` (no transaction),

each for a 32-bit ``UInt`` (``u32``) and a 16-element 32-bit ``UInt`` list (``list16``), ``get(read=True)`` and
``set(value, write=True)`` (a write then a verify, as pyrogue does by default). ``python -m benchmarks --only
registers`` runs this harness for rogue-bridge, and for C++ Rogue too when ``ROGUE_PEER_PYTHON`` names its
interpreter, and prints both with their ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Iterator
from typing import Any, Callable

_REPO = Path(__file__).resolve().parents[1]
_ADDR = 0x1000
CORES = ("auto", "rogue-bridge", "installed")
SERVER_CORES = (*CORES, "pyzmq")  # pyzmq: the bridge case's server is the lean loop (serve_lean)
Cases = dict[str, dict[str, Callable[[], Any]]]  # section -> case -> one call
Settle = dict[str, Callable[[], Any]]  # section -> its Root's waitOnUpdate


def pyrogue_dir() -> Path:
    """``shared/peers`` beside the repository, or beside the folder holding it (a worktree in ``<repo>/../wt/NAME``)."""
    for base in (_REPO.parent, _REPO.parent.parent):
        if (base / "shared" / "peers" / "pyrogue" / "__init__.py").is_file():
            return base / "shared" / "peers"
    return _REPO.parent / "shared" / "peers"


def choose_core(core: str) -> None:
    """Make ``import rogue`` give the core asked for (before anything imports it).

    ``rogue-bridge``: this checkout's ``src``, first on the path (ahead of an installed copy or of C++ Rogue);
    ``installed``: whatever this interpreter imports; ``auto``: C++ Rogue when the interpreter's ``rogue`` is its
    extension module (the ``rpy`` wrapper), else this checkout's rogue-bridge.
    """
    if core == "auto":
        spec = importlib.util.find_spec("rogue")
        cpp = spec is not None and str(spec.origin or "").endswith((".so", ".pyd"))
        core = "installed" if cpp else "rogue-bridge"
    if core == "rogue-bridge":
        sys.path.insert(0, str(_REPO / "src"))


def core_name() -> str:
    """``C++ Rogue`` or ``rogue-bridge``: the core imported."""
    import rogue

    return "C++ Rogue" if str(getattr(rogue, "__file__", "")).endswith((".so", ".pyd")) else "rogue-bridge"


def _serve(port: int) -> None:
    """The far end of the bridge case: ``TcpServer >> Emulate`` until stdin closes (Rogue's API only)."""
    import rogue.interfaces.memory as rim

    mem = rim.Emulate(4, 0x10000)
    srv = rim.TcpServer("127.0.0.1", port)
    srv >> mem
    print(f"ready {core_name()}", flush=True)
    sys.stdin.read()
    srv._stop()


def serve_lean(port: int) -> None:
    """The ceiling of any Python server for the bridge case: a bare pyzmq loop over a 64 KiB image.

    Blocking ``Frame`` receives and six backend sends per request, and what a memory must do at least (a read
    answers the image's bytes, a write stores its data): no checks, no decoding beyond the address and size, no
    ``Transaction``, no slave (``benchmarks/cpu_memory.py``'s ``pyzmq loop`` too). Speaks the memory bridge's wire
    format (``shared/spec/wire.md``), so either core's ``rim.TcpClient`` talks to it. Addresses wrap at 64 KiB; an
    access may reach up to 4 KiB past that (the image is that much longer).
    """
    import struct
    import threading

    import zmq
    from zmq.backend import Socket as Backend

    send = Backend.send if issubclass(zmq.Socket, Backend) else zmq.Socket.send
    ctx = zmq.Context()
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.bind(f"tcp://127.0.0.1:{port}")
    push.bind(f"tcp://127.0.0.1:{port + 1}")
    image = bytearray(0x10000 + 4096)

    def loop() -> None:
        recv, more, u32, u64 = pull.recv, zmq.SNDMORE, struct.Struct("<I").unpack, struct.Struct("<Q").unpack
        try:
            while True:
                frame = recv(0, False)
                parts = [frame.bytes]
                while frame.more:
                    frame = recv(0, False)
                    parts.append(frame.bytes)
                addr, size = u64(parts[1])[0] & 0xFFFF, u32(parts[2])[0]
                if len(parts) == 5:  # Write, Post: the data part
                    data = parts[4]
                    image[addr:addr + size] = data
                else:  # Read, Verify; a readiness probe has size 0: empty data, as it must
                    data = bytes(image[addr:addr + size])
                for part in parts[:4]:
                    send(push, part, more)
                send(push, data, more)
                send(push, b"OK", 0)
        except zmq.ContextTerminated:  # the end: this thread owns the sockets, it closes them
            pull.close(0)
            push.close(0)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    print("ready pyzmq loop", flush=True)
    sys.stdin.read()
    ctx.term()
    thread.join(10)


def _free_port_pair() -> int:
    """A base port P with P and P+1 free (rogue-bridge's helper when importable, else a plain probe)."""
    try:
        from rogue import _ports  # type: ignore[attr-defined]

        return int(_ports.free_port_pair())
    except ImportError:
        import socket

        for base in range(21000, 30000, 2):
            socks = []
            try:
                for p in (base, base + 1):
                    s = socket.socket()
                    s.bind(("127.0.0.1", p))
                    socks.append(s)
                return base
            except OSError:
                continue
            finally:
                for s in socks:
                    s.close()
        raise RuntimeError("no free port pair")


def _rate(fn: Callable[[], Any], seconds: float, repeats: int, settle: Callable[[], Any]) -> float:
    """Best calls per second of ``fn`` over ``repeats`` runs of at least ``seconds`` each (after a warm-up).

    Timed runs, not a fixed count: a fast case (the engine alone: millions of calls a second) is measured as
    long as a slow one, so a short hiccup of a shared machine cannot decide either. Each run ends with
    ``settle()`` (the Root's ``waitOnUpdate``: pyrogue's update worker handles the notification each read and
    write queued), inside the timed span: that work is part of what a call costs, and left undone it would
    slow down the next case instead.
    """
    clock = time.perf_counter
    n, t0 = 0, clock()
    while n < 20 or clock() - t0 < seconds / 10:
        fn()
        n += 1
    batch = max(1, int(n / (clock() - t0) / 100))  # ~10 ms of calls between looks at the clock
    settle()
    best = 0.0
    for _ in range(repeats):
        calls, t0 = 0, clock()
        while True:
            for _ in range(batch):
                fn()
            calls += batch
            if clock() - t0 >= seconds:
                break
        settle()
        best = max(best, calls / (clock() - t0))
    return round(best, 1)


def _root(mem_base: Any) -> Any:
    import numpy as np
    import pyrogue as pr

    class Regs(pr.Device):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.add(pr.RemoteVariable(name="U32", offset=0x0, bitSize=32, base=pr.UInt, mode="RW"))
            self.add(pr.RemoteVariable(name="List16", offset=0x100, bitSize=32 * 16, numValues=16, valueBits=32,
                                       valueStride=32, base=pr.UInt, mode="RW"))

    class Root(pr.Root):
        def __init__(self) -> None:
            super().__init__(name="root", pollEn=False, timeout=2.0)
            self.add(Regs(name="Regs", offset=_ADDR, memBase=mem_base))
            # The engine cases stage values without writing them: their blocks stay stale, and a Block (Rogue's as
            # ours) skips the read of a stale block, so a get(read=True) there would cost no transaction.
            self.add(Regs(name="Engine", offset=_ADDR + 0x1000, memBase=mem_base))

    root = Root()
    root.start()
    regs = root.Regs
    regs.List16.set(np.arange(16, dtype=np.uint32), write=True)
    return root


def _cases(root: Any) -> dict[str, Callable[[], Any]]:
    import numpy as np

    u32, lst = root.Regs.U32, root.Regs.List16
    arr = np.arange(16, dtype=np.uint32)
    return {
        "u32 get(read=True)": lambda: u32.get(read=True),
        "u32 set(write=True)": lambda: u32.set(0x12345678, write=True),
        "list16 get(read=True)": lambda: lst.get(read=True),
        "list16 set(write=True)": lambda: lst.set(arr, write=True),
    }


def _engine_cases(root: Any) -> dict[str, Callable[[], Any]]:
    import numpy as np

    u32, lst = root.Engine.U32, root.Engine.List16
    arr = np.arange(16, dtype=np.uint32)
    return {
        "u32 _set": lambda: u32._set(0x12345678, -1),
        "u32 _get": lambda: u32._get(-1),
        "list16 _set": lambda: lst._set(arr, -1),
        "list16 _get": lambda: lst._get(-1),
    }


@contextlib.contextmanager
def _bench(sections: list[str], server: list[str] | None,
           server_core: str) -> Iterator[tuple[dict[str, Any], Cases, Settle]]:
    """The Roots (and the bridge's server process) for ``sections``; this core's description and every case.

    ``server``: the command of the interpreter running the bridge's far end (default: this one), which is told
    ``--core server_core``. Everything is stopped on exit.
    """
    import rogue
    import rogue.interfaces.memory as rim

    info: dict[str, Any] = {"core": core_name(), "rogue_version": rogue.Version.current(),
                            "python": sys.version.split()[0]}
    cases: Cases = {}
    settle: Settle = {}
    with contextlib.ExitStack() as stack:
        if "local" in sections or "engine" in sections:
            root = _root(rim.Emulate(4, 0x10000))
            stack.callback(root.stop)
            if "local" in sections:
                cases["local"], settle["local"] = _cases(root), root.waitOnUpdate
            if "engine" in sections:
                cases["engine"], settle["engine"] = _engine_cases(root), root.waitOnUpdate
        if "bridge" in sections:
            port = _free_port_pair()
            cmd = [*(server or [sys.executable]), __file__, "--core", server_core, "--serve", str(port)]
            srv = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ.copy(),
                                   text=True)
            stack.callback(srv.wait, 30)
            if srv.stdin:
                stack.callback(srv.stdin.close)
            # C++ Rogue prints a banner line on import: read up to the server's own word.
            ready = next((ln for ln in iter(srv.stdout.readline, "") if ln.startswith("ready ")), None) \
                if srv.stdout else None
            if ready is None:
                raise RuntimeError(f"the bridge server did not start: {shlex.join(cmd)}")
            info["server_core"] = ready.split(" ", 1)[1].strip()
            client = rim.TcpClient("127.0.0.1", port)
            stack.callback(client._stop)
            root = _root(client)
            stack.callback(root.stop)
            cases["bridge"], settle["bridge"] = _cases(root), root.waitOnUpdate
        yield info, cases, settle


def measure(seconds: float, repeats: int, sections: list[str], server: list[str] | None = None,
            server_core: str = "auto") -> dict[str, Any]:
    """Every case of ``sections`` (local, bridge, engine) on this interpreter's core, ``repeats`` runs each."""
    with _bench(sections, server, server_core) as (info, cases, settle):
        for section in ("local", "engine", "bridge"):
            if section in cases:
                info[section] = {k: _rate(fn, seconds, repeats, settle[section])
                                 for k, fn in cases[section].items()}
    return info


def work(sections: list[str], server: list[str] | None, server_core: str) -> None:
    """Worker mode, for ``python -m benchmarks``: set up once, then measure one case per request.

    Prints ``ready <JSON: the core's description and {section: [case, ...]}>``; then each stdin line
    ``SECTION|CASE|SECONDS`` is answered with ``rate <calls per second>`` (one timed run). Ends at end of input.
    Several workers (one per core) kept alive side by side let their runs of one case be interleaved seconds apart.
    """
    with _bench(sections, server, server_core) as (info, cases, settle):
        info["cases"] = {section: list(fns) for section, fns in cases.items()}
        print("ready " + json.dumps(info), flush=True)
        for line in sys.stdin:
            section, case, seconds = line.rstrip("\n").split("|")
            print(f"rate {_rate(cases[section][case], float(seconds), 1, settle[section])}", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, put pyrogue on the path, measure, print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--seconds", type=float, default=0.5, help="length of each timed run (default 0.5 s)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per case, the best is kept (default 3)")
    ap.add_argument("--sections", default="local,bridge,engine", help="comma-separated: local, bridge, engine")
    ap.add_argument("--pyrogue", default=str(pyrogue_dir()),
                    help="folder holding the pyrogue package (default: shared/peers beside the repository)")
    ap.add_argument("--core", choices=SERVER_CORES, default="auto",
                    help="rogue-bridge (this checkout), installed (this interpreter's rogue) or auto (C++ Rogue when "
                         "this interpreter imports it, else this checkout; the default); pyzmq for a server only")
    ap.add_argument("--server-python", metavar="CMD", help="interpreter command running the bridge's server, e.g. "
                    "~/.rogue-peer/rpy (default: this one)")
    ap.add_argument("--server-core", choices=SERVER_CORES, default="auto",
                    help="--core of the server (default auto); pyzmq: a bare pyzmq loop, the ceiling of any Python "
                         "server")
    ap.add_argument("--json", metavar="PATH", help="also write the JSON to PATH")
    ap.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--worker", action="store_true", help="measure one case per line of stdin (python -m benchmarks)")
    opts = ap.parse_args(argv)
    if opts.serve:
        if opts.core == "pyzmq":
            serve_lean(opts.serve)
        else:
            choose_core(opts.core)
            _serve(opts.serve)
        return 0
    if opts.core == "pyzmq":
        ap.error("--core pyzmq is a server only (--server-core pyzmq)")
    choose_core(opts.core)
    if not (Path(opts.pyrogue) / "pyrogue" / "__init__.py").is_file():
        print(f"no pyrogue at {opts.pyrogue} (give --pyrogue DIR)", file=sys.stderr)
        return 2
    sys.path.insert(0, opts.pyrogue)  # the same pyrogue on both cores (ahead of C++ Rogue's own copy)
    server = shlex.split(opts.server_python) if opts.server_python else None
    if opts.worker:
        work(opts.sections.split(","), server, opts.server_core)
        return 0
    result = measure(opts.seconds, opts.repeats, opts.sections.split(","), server, opts.server_core)
    text = json.dumps(result, indent=1)
    if opts.json:
        Path(opts.json).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
