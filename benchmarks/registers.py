"""pyrogue register access rates on whichever ``rogue`` core this Python imports (rogue-bridge or C++ Rogue).

One harness for both cores, so their figures compare: ``python benchmarks/registers.py`` measures rogue-bridge
(run from the repository root, or with rogue-bridge installed); ``~/.rogue-peer/rpy benchmarks/registers.py``
measures C++ Rogue 6.15 with the same pyrogue (``--pyrogue DIR``, default ``../shared/peers`` beside the
repository, is put first on the path for both). Prints one JSON object: calls per second of

* ``local``: a pyrogue ``RemoteVariable`` on a Device whose ``memBase`` is an ``rim.Emulate`` in this process;
* ``bridge``: the same Device across the memory bridge, ``rim.TcpClient`` here and ``rim.TcpServer >>
  rim.Emulate`` in a second process of the same interpreter (the same core on both ends);
* ``engine``: the register engine alone, ``var._set(v, -1)`` / ``var._get(-1)`` (no transaction),

each for a 32-bit ``UInt`` (``u32``) and a 16-element 32-bit ``UInt`` list (``list16``), ``get(read=True)`` and
``set(value, write=True)`` (a write then a verify, as pyrogue does by default). ``python -m benchmarks --only
registers`` runs this harness for rogue-bridge, and for C++ Rogue too when ``ROGUE_PEER_PYTHON`` names its
interpreter, and prints both with their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

_REPO = Path(__file__).resolve().parents[1]
_ADDR = 0x1000


def _serve(port: int) -> None:
    """The far end of the bridge case: ``TcpServer >> Emulate`` until stdin closes."""
    import rogue.interfaces.memory as rim

    mem = rim.Emulate(4, 0x10000)
    srv = rim.TcpServer("127.0.0.1", port)
    srv >> mem
    print("ready", flush=True)
    sys.stdin.read()
    srv._stop()


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


def _rate(fn: Callable[[], Any], count: int, repeats: int) -> float:
    """Best calls per second of ``fn`` over ``repeats`` runs of ``count`` calls (after a short warm-up)."""
    for _ in range(max(10, count // 20)):
        fn()
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(count):
            fn()
        best = max(best, count / (time.perf_counter() - t0))
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

    u32, lst = root.Regs.U32, root.Regs.List16
    arr = np.arange(16, dtype=np.uint32)
    return {
        "u32 _set": lambda: u32._set(0x12345678, -1),
        "u32 _get": lambda: u32._get(-1),
        "list16 _set": lambda: lst._set(arr, -1),
        "list16 _get": lambda: lst._get(-1),
    }


def measure(count: int, repeats: int, sections: list[str]) -> dict[str, Any]:
    """Every case of ``sections`` (local, bridge, engine) on this interpreter's core."""
    import rogue
    import rogue.interfaces.memory as rim

    cpp = str(getattr(rogue, "__file__", "")).endswith(".so")  # C++ Rogue is one extension module
    out: dict[str, Any] = {"core": "C++ Rogue" if cpp else "rogue-bridge",
                           "rogue_version": rogue.Version.current(), "python": sys.version.split()[0]}
    if "local" in sections or "engine" in sections:
        root = _root(rim.Emulate(4, 0x10000))
        try:
            if "local" in sections:
                out["local"] = {k: _rate(fn, count, repeats) for k, fn in _cases(root).items()}
            if "engine" in sections:
                out["engine"] = {k: _rate(fn, count * 5, repeats) for k, fn in _engine_cases(root).items()}
        finally:
            root.stop()
    if "bridge" in sections:
        port = _free_port_pair()
        srv = subprocess.Popen([sys.executable, __file__, "--serve", str(port)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, env=os.environ.copy(), text=True)
        try:
            # C++ Rogue prints a banner line on import: read up to the server's own word.
            if srv.stdout is None or not any(line.strip() == "ready" for line in iter(srv.stdout.readline, "")):
                raise RuntimeError("the bridge server did not start")
            client = rim.TcpClient("127.0.0.1", port)
            root = _root(client)
            try:
                out["bridge"] = {k: _rate(fn, count, repeats) for k, fn in _cases(root).items()}
            finally:
                root.stop()
                client._stop()
        finally:
            if srv.stdin:
                srv.stdin.close()
            srv.wait(30)
    return out


def main(argv: list[str] | None = None) -> int:
    """Parse the options, put pyrogue on the path, measure, print JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--count", type=int, default=5000, help="calls per run (default 5000)")
    ap.add_argument("--repeats", type=int, default=3, help="runs per case, the best is kept (default 3)")
    ap.add_argument("--sections", default="local,bridge,engine", help="comma-separated: local, bridge, engine")
    ap.add_argument("--pyrogue", default=str(_REPO.parent / "shared" / "peers"),
                    help="folder holding the pyrogue package (default ../shared/peers)")
    ap.add_argument("--serve", type=int, metavar="PORT", help=argparse.SUPPRESS)
    opts = ap.parse_args(argv)
    if (Path(opts.pyrogue) / "pyrogue").is_dir():  # the same pyrogue on both cores
        sys.path.insert(0, opts.pyrogue)
    try:
        import rogue  # noqa: F401 - whichever core is installed (C++ Rogue's wrapper puts its own first)
    except ImportError:
        sys.path.insert(0, str(_REPO / "src"))  # rogue-bridge from this checkout
    if opts.serve:
        _serve(opts.serve)
        return 0
    print(json.dumps(measure(opts.count, opts.repeats, opts.sections.split(",")), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
