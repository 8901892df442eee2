"""Building rim.Variable / rim.Block for tests without pyrogue (the arguments pyrogue would pass), and a recording bus."""

from __future__ import annotations

from typing import Any, Callable

import pytest

import rogue.interfaces.memory as rim
from rogue import GeneralError


class Model:
    """What ``rim.Variable`` reads from a pyrogue model (``modelId`` ... ``binPoint``, ``toBytes``/``fromBytes``)."""

    def __init__(self, modelId: int, isBigEndian: bool = False, binPoint: int = 0,
                 toBytes: Callable[[Any], Any] | None = None, fromBytes: Callable[[bytes], Any] | None = None) -> None:
        self.modelId = modelId
        self.isBigEndian = isBigEndian
        self.bitReverse = False
        self.binPoint = binPoint
        if toBytes is not None:
            self.toBytes = toBytes
        if fromBytes is not None:
            self.fromBytes = fromBytes


class ListData:
    """pyrogue's ``VariableListData``."""

    def __init__(self, numValues: int = 0, valueBits: int = 0, valueStride: int = 0) -> None:
        self.numValues, self.valueBits, self.valueStride = numValues, valueBits, valueStride


def variable(model: Any, bitSize: Any = 32, bitOffset: Any = 0, *, name: str = "V", mode: str = "RW",
             minimum: Any = None, maximum: Any = None, offset: int = 0, numValues: int = 0, valueBits: int = 0,
             valueStride: int = 0, overlapEn: bool = False, verify: bool = True, bulkOpEn: bool = True,
             updateNotify: bool = True, retryCount: int = 0) -> rim.Variable:
    """A ``rim.Variable`` as pyrogue builds it (lists: ``bitSize`` becomes numValues*valueBits)."""
    if isinstance(model, int):
        model = Model(model)
    sizes = list(bitSize) if isinstance(bitSize, (list, tuple)) else [bitSize]
    offsets = list(bitOffset) if isinstance(bitOffset, (list, tuple)) else [bitOffset]
    if numValues:
        sizes = [numValues * valueBits]
    return rim.Variable(name, mode, minimum, maximum, offset, offsets, sizes, overlapEn, verify, bulkOpEn,
                        updateNotify, model, ListData(numValues, valueBits, valueStride), retryCount)


def block_of(*variables: rim.Variable, size: int | None = None, offset: int = 0, slave: Any = None,
             enable: bool = True, minAccess: int = 1, block: Any = None) -> Any:
    """A Block holding ``variables`` (shifted to ``minAccess`` first, as pyrogue does), enabled."""
    for v in variables:
        v._shiftOffsetDown(v._offset() % minAccess, minAccess)
    if size is None:
        size = max(v._varBytes() for v in variables)
    b = block if block is not None else rim.Block(offset, size)
    if slave is not None:
        b._setSlave(slave)
    b.addVariables(list(variables))
    b.setEnable(enable)
    return b


def staged(v: Any) -> bytes:
    """The block image the variable lives in (tests look at what _set staged)."""
    return bytes(v._Variable__rb.bst.data)


W, P = rim.Write, rim.Post
R, V = rim.Read, rim.Verify


class Recorder(rim.Slave):
    """Sparse memory that records (type, address, bytes) of every transaction; can corrupt or fail them."""

    def __init__(self) -> None:
        super().__init__(4, 0x10000)
        self.mem = rim.Emulate(4, 0x10000)
        self.log: list[tuple[int, int, bytes]] = []
        self.flip: dict[int, int] = {}  # address -> xor mask applied to what Read/Verify return
        self.fail = 0  # fail this many transactions

    def _doTransaction(self, t: Any) -> None:
        data = bytearray(t.size())
        if t.type() in (W, P):
            t.getData(data, 0)
        self.log.append((t.type(), t.address(), bytes(data)))
        if self.fail:
            self.fail -= 1
            t.error("boom")
            return
        if t.type() in (R, V) and self.flip:
            self.mem._doTransaction(t)
            got = bytearray(t.size())
            t.getData(got, 0)
            for k in range(len(got)):
                got[k] ^= self.flip.get(t.address() + k, 0)
            t.setData(got, 0)
            return
        self.mem._doTransaction(t)

    def poke(self, address: int, data: bytes) -> None:
        raw = rim.Master()
        raw._setSlave(self.mem)
        raw._reqTransaction(address, bytearray(data), len(data), 0, W)
        raw._waitTransaction(0)


def bus(offset: int = 0x100) -> tuple[Recorder, rim.Hub]:
    rec = Recorder()
    hub = rim.Hub(offset, 0, 0)
    hub._setSlave(rec)
    return rec, hub


def ge(pattern: str) -> Any:
    return pytest.raises(GeneralError, match=pattern)


def record_made(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[Any]:
    """Every object ``module.<name>(...)`` makes from now on (e.g. the Transactions a master makes), in a list."""
    seen: list[Any] = []
    real = getattr(module, name)

    def recording(*args: Any) -> Any:
        made = real(*args)
        seen.append(made)
        return made

    monkeypatch.setattr(module, name, recording)
    return seen
