"""The direct access: a master above plain Hubs and an Emulate has an access done at once, with no Transaction.

Every case is run twice, once as it is and once with the direct access turned
off (``Slave._rbDirect`` answering for every class), and must leave the same
memory, buffers, errors and page count; the cases the direct access takes must
make no ``Transaction``, and the others (a slave or hub with a
``_doTransaction`` of its own, an instance's own ``_doTransaction``, a split,
an unknown type, an access spanning pages, debug logging) must make one.
"""

from __future__ import annotations

import logging
import random
from typing import Any

import pytest

import rogue.interfaces.memory as rim
from rogue.interfaces.memory import master as master_mod
from rogue.interfaces.memory.slave import Slave

from engine_helpers import block_of, record_made, variable


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every Transaction a master makes from now on."""
    return record_made(monkeypatch, master_mod, "Transaction")


def _access(mst: rim.Master, address: int, data: Any, ttype: int) -> str:
    mst._clearError()
    mst._reqTransaction(address, data, 0, 0, ttype)
    mst._waitTransaction(0)
    return mst._getError()


def _chain(direct: bool, hubs: int = 2, maxAccess: int = 0x10000) -> tuple[rim.Master, Any]:
    mem = rim.Emulate(4, maxAccess)
    below: Any = mem
    for k in range(hubs):
        hub = rim.Hub(0x100 * (k + 1), 0, 0)
        hub._setSlave(below)
        below = hub
    mst = rim.Master()
    mst._setSlave(below)
    if not direct:  # the usual way only: every class answers as the base class does
        for obj in _walk(mst):
            obj._rbDirect = Slave._rbDirect.__get__(obj)
        mst._setSlave(below)
    return mst, mem


def _walk(mst: Any) -> list[Any]:
    out = []
    obj = mst._getSlave()
    while True:
        out.append(obj)
        if not isinstance(obj, rim.Hub):
            return out
        obj = obj._getSlave()


def test_a_register_access_makes_no_transaction(made: list[Any]) -> None:
    mst, mem = _chain(True)
    assert _access(mst, 0x40, b"\x01\x02\x03\x04", rim.Write) == ""
    buf = bytearray(4)
    assert _access(mst, 0x40, buf, rim.Read) == ""
    assert _access(mst, 0x40, buf, rim.Verify) == ""
    assert _access(mst, 0x44, b"\x05\x06", rim.Post) == ""
    assert buf == b"\x01\x02\x03\x04" and made == []
    assert mem._pageCount() == 1


def test_ids_stay_unique_and_nonzero(made: list[Any]) -> None:
    mst, _ = _chain(True)
    ids = {mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read) for _ in range(100)}
    assert len(ids) == 100 and 0 not in ids and made == []
    mst._waitTransaction(0)


def test_many_accesses_match_the_usual_way() -> None:
    rnd = random.Random(7)
    fast, fmem = _chain(True)
    slow, smem = _chain(False)
    for _ in range(600):
        ttype = rnd.choice([rim.Read, rim.Write, rim.Post, rim.Verify, 7])
        address = rnd.choice([0, 0x1000 - 0x200, 0x2FFC - 0x200, rnd.randrange(0, 0x4000)])
        size = rnd.choice([1, 4, 8, 64, 0x1004, rnd.randrange(1, 300)])
        data = bytes(rnd.randrange(256) for _ in range(size))
        a, b = bytearray(data), bytearray(data)
        assert _access(fast, address, a, ttype) == _access(slow, address, b, ttype)
        assert a == b
    assert fmem._pageCount() == smem._pageCount() > 0
    for page in range(0, 0x5000, 0x1000):
        a, b = bytearray(0x1000), bytearray(0x1000)
        _access(fast, page, a, rim.Read)
        _access(slow, page, b, rim.Read)
        assert a == b


class _SeeingEmulate(rim.Emulate):
    def __init__(self) -> None:
        super().__init__(4, 0x1000)
        self.seen: list[int] = []

    def _doTransaction(self, transaction: Any) -> None:
        self.seen.append(transaction.address())
        super()._doTransaction(transaction)


class _SeeingHub(rim.Hub):
    def __init__(self) -> None:
        super().__init__(0x10, 0, 0)
        self.seen: list[int] = []

    def _doTransaction(self, transaction: Any) -> None:
        self.seen.append(transaction.address())
        super()._doTransaction(transaction)


def test_a_slave_or_hub_of_its_own_sees_every_transaction(made: list[Any]) -> None:
    mem = _SeeingEmulate()
    mst = rim.Master()
    mst._setSlave(mem)
    assert _access(mst, 0x20, bytearray(4), rim.Read) == "" and mem.seen == [0x20] and len(made) == 1
    hub = _SeeingHub()
    hub._setSlave(rim.Emulate(4, 0x1000))
    mst._setSlave(hub)
    assert _access(mst, 0x20, bytearray(4), rim.Read) == "" and hub.seen == [0x20] and len(made) == 2


def test_an_instances_own_do_transaction_sees_every_transaction(made: list[Any]) -> None:
    for patched in ("hub", "emulate"):
        mst, mem = _chain(True, hubs=1)
        hub = mst._getSlave()
        seen: list[int] = []
        obj = hub if patched == "hub" else mem
        cls_do = type(obj)._doTransaction

        def own(tran: Any, obj: Any = obj, cls_do: Any = cls_do) -> None:
            seen.append(tran.address())
            cls_do(obj, tran)

        obj._doTransaction = own
        before = len(made)
        assert _access(mst, 0x20, bytearray(4), rim.Read) == ""
        assert seen == [0x20 if patched == "hub" else 0x120] and len(made) == before + 1


def test_the_other_cases_take_the_usual_way(made: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    mst, mem = _chain(True, maxAccess=8)
    assert _access(mst, 0, bytearray(16), rim.Read) == ""  # split by the hub above the Emulate
    assert len(made) == 1
    mst, mem = _chain(True)
    assert _access(mst, 0x1000 - 0x300 - 8, bytearray(16), rim.Write) == ""  # spans two pages (hubs add 0x300)
    assert len(made) == 2
    assert "unsupported transaction type 9" in _access(mst, 0, bytearray(4), 9)
    assert len(made) == 3
    with caplog.at_level(logging.DEBUG, logger="pyrogue.memory.Master"):
        assert _access(mst, 0, bytearray(4), rim.Read) == ""
    assert len(made) == 4 and "Request transaction type=1" in caplog.text
    unconnected = rim.Master()
    assert _access(unconnected, 0, bytearray(4), rim.Read) != ""
    assert len(made) == 5


def test_a_block_on_a_device_chain_makes_no_transaction(made: list[Any]) -> None:
    mst, mem = _chain(True, hubs=1)
    hub = mst._getSlave()
    v = variable(rim.UInt, bitSize=32)
    blk = block_of(v, slave=hub, minAccess=4)
    v._set(0x12345678, -1)
    blk._startTransaction(rim.Write, True, False, v, -1)
    blk._startTransaction(rim.Verify, False, False, None, -1)
    blk._checkTransaction()
    blk._startTransaction(rim.Read, False, True, v, -1)
    assert v._get(-1) == 0x12345678 and made == []
    buf = bytearray(4)
    assert _access(mst, 0, buf, rim.Read) == "" and buf == (0x12345678).to_bytes(4, "little")  # at 0x100 in mem
