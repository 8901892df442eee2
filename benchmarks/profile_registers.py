"""The register engine's cost per call: ``rim.Variable``/``rim.Block`` alone and under pyrogue, on a local Emulate.

``python -m benchmarks.profile_registers`` prints calls per second (best of
five runs) and the CPU µs per call of the calling thread for:

* the engine alone (no pyrogue): ``_set``/``_get`` of a 32-bit UInt and of a
  16-element UInt list (staging only), and the transactions pyrogue issues for
  ``set(write=True)`` (write, verify, check) and ``get(read=True)`` (read,
  check), beside the same transactions made by a bare ``rim.Master``;
* pyrogue ``RemoteVariable.get(read=True)``/``set(write=True)`` on the same
  variables, once with the engine and once with the block's transaction
  methods and the variable's ``_set``/``_get`` replaced by no-ops (what
  pyrogue's own Python costs: an upper bound for any core's rate).

pyrogue comes from ``<repo>/../shared/peers`` (its rows are skipped, saying
why, where it is absent). Issue 24's targets compare with C++ Rogue's rate,
measured separately with the same pyrogue.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402

import rogue.interfaces.memory as rim  # noqa: E402

_N = 20000


def _rate(op: Callable[[], Any], n: int = _N) -> tuple[float, float]:
    """(best calls/s over five runs of ``n`` calls, the calling thread's CPU µs per call in that run)."""
    for _ in range(200):
        op()
    best = (0.0, 0.0)
    for _ in range(5):
        t, c = time.perf_counter(), time.thread_time()
        for _ in range(n):
            op()
        wall, cpu = time.perf_counter() - t, time.thread_time() - c
        if n / wall > best[0]:
            best = (n / wall, cpu / n * 1e6)
    return best


def _row(name: str, op: Callable[[], Any], n: int = _N) -> float:
    rate, cpu = _rate(op, n)
    print(f"{name:46s} {rate:10.0f} /s {cpu:8.2f} us CPU")
    return rate


class _Model:
    modelId, isBigEndian, bitReverse, binPoint = rim.UInt, False, False, 0


class _List:
    def __init__(self, n: int = 0, bits: int = 0) -> None:
        self.numValues, self.valueBits, self.valueStride = n, bits, bits


def engine() -> None:
    """The engine without pyrogue."""
    mem = rim.Emulate(4, 0x1000)
    hub = rim.Hub(0x100, 0, 0)
    hub._setSlave(mem)
    word = rim.Variable("A", "RW", 0, 2 ** 32 - 1, 0, [0], [32], False, True, True, False, _Model(), _List(), 0)
    lst = rim.Variable("L", "RW", 0, 2 ** 32 - 1, 16, [0], [512], False, True, True, False, _Model(), _List(16, 32), 0)
    blocks = []
    for v in (word, lst):
        b = rim.Block(v._offset(), v._varBytes())
        b._setSlave(hub)
        b.addVariables([v])
        b.setEnable(True)
        blocks.append(b)
    bw, bl = blocks
    arr = np.arange(16, dtype=np.uint32)
    raw = rim.Master()
    raw._setSlave(hub)
    buf, vbuf = bytearray(4), bytearray(4)

    def eng_set(v: Any, b: Any, value: Any) -> Callable[[], None]:
        def op() -> None:
            v._set(value, -1)
            b._startTransaction(rim.Write, True, False, v, -1)
            b._startTransaction(rim.Verify, False, False, None, -1)
            b._checkTransaction()
        return op

    def eng_get(v: Any, b: Any) -> Callable[[], Any]:
        def op() -> Any:
            b._startTransaction(rim.Read, False, False, v, -1)
            b._checkTransaction()
            return v._get(-1)
        return op

    def raw_wv() -> None:
        raw._clearError()
        raw._reqTransaction(0, buf, 4, 0, rim.Write)
        raw._reqTransaction(0, vbuf, 4, 0, rim.Verify)
        raw._waitTransaction(0)
        raw._getError()

    def raw_r() -> None:
        raw._clearError()
        raw._reqTransaction(0, buf, 4, 0, rim.Read)
        raw._waitTransaction(0)
        raw._getError()

    print("engine alone (no pyrogue), local Emulate behind a Hub")
    _row("UInt32 _set (staging only)", lambda: word._set(5, -1))
    _row("UInt32 _get (staging only)", lambda: word._get(-1))
    _row("UInt[16] _set(ndarray) (staging only)", lambda: lst._set(arr, -1))
    _row("UInt[16] _get (staging only)", lambda: lst._get(-1))
    _row("UInt32 set: _set, write, verify, check", eng_set(word, bw, 5))
    _row("  bare Master: write + verify, wait", raw_wv)
    _row("UInt32 get: read, check, _get", eng_get(word, bw))
    _row("  bare Master: read, wait", raw_r)
    _row("UInt[16] set: _set, write, verify, check", eng_set(lst, bl, arr))
    _row("UInt[16] get: read, check, _get", eng_get(lst, bl))


def _null(var: Any, value: Any) -> Callable[[], None]:
    """Replace the engine under ``var`` by no-ops (pyrogue's update call kept); returns the undo."""
    blk = var._block
    blk._startTransaction = lambda *a: None
    blk._checkTransaction = lambda: var._queueUpdate()
    var._get = lambda index: value
    var._set = lambda value, index: None

    def undo() -> None:
        for k in ("_get", "_set"):
            var.__dict__.pop(k, None)
        for k in ("_startTransaction", "_checkTransaction"):
            blk.__dict__.pop(k, None)
    return undo


def pyrogue_rows() -> None:
    """pyrogue RemoteVariable get/set with the engine, and with the engine replaced by no-ops."""
    from benchmarks.registers import pyrogue_dir
    PEERS = pyrogue_dir()
    if not (PEERS / "pyrogue").exists():
        print(f"pyrogue rows skipped: pyrogue not present at {PEERS}")
        return
    sys.path.insert(0, str(PEERS))
    import pyrogue as pr

    class Dev(pr.Device):
        def __init__(self, **kw: Any) -> None:
            super().__init__(**kw)
            self.add(pr.RemoteVariable(name="A", offset=0, bitSize=32, base=pr.UInt))
            self.add(pr.RemoteVariable(name="L", offset=0x10, numValues=16, valueBits=32, valueStride=32,
                                       base=pr.UInt))

    class Root(pr.Root):
        def __init__(self) -> None:
            super().__init__(name="root", pollEn=False)
            self.mem = rim.Emulate(4, 0x1000)
            self.addInterface(self.mem)
            self.add(Dev(name="D", offset=0x100, memBase=self.mem))

    arr = np.arange(16, dtype=np.uint32)
    print("\npyrogue RemoteVariable on a local Emulate: with the engine / with the engine as no-ops (ratio)")
    with Root() as root:
        a, lst = root.D.A, root.D.L
        for name, var, value, op in [("UInt32 get(read=True)", a, 5, lambda: a.get(read=True)),
                                     ("UInt32 set(write=True)", a, 5, lambda: a.set(5, write=True)),
                                     ("UInt[16] get(read=True)", lst, arr, lambda: lst.get(read=True)),
                                     ("UInt[16] set(ndarray, write=True)", lst, arr, lambda: lst.set(arr, write=True))]:
            ours = _row(name, op, 5000)
            undo = _null(var, value)
            try:
                bare = _row("  no-op engine", op, 5000)
            finally:
                undo()
            print(f"{'  ratio':46s} {ours / bare:10.2f}")


if __name__ == "__main__":
    engine()
    pyrogue_rows()
