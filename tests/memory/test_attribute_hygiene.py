"""Our base classes leave the instance ``__dict__`` to their subclasses (pyrogue's Device, Root, RemoteVariable, users).

In C++ Rogue the base classes keep their state in C++, so pyrogue and user
subclasses use any attribute name they like. Every base class here (memory
Master, Slave, Hub, Emulate, and Block and Variable when present; stream
Master, Slave, Pool) keeps its state under name-mangled attributes
(``_Master__timeout``): it sets none of the names pyrogue sets
(``vectors/registers_attrs.txt``, a copy of the shared spec's list), neither
when made nor in use, and a subclass using the plain names keeps working.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris

from conftest import SPEC, shared_or_skip

HERE = Path(__file__).parent / "vectors"
ATTRS = HERE / "registers_attrs.txt"


def pyrogue_names() -> set[str]:
    """Every attribute name pyrogue sets on its objects (``self._x`` in the list; mangled ``self.__x`` left out)."""
    names = set()
    for line in ATTRS.read_text().splitlines():
        if line.startswith("=="):
            continue
        for word in line.split():
            name = word.removeprefix("self.")
            if not name.startswith("__"):  # pyrogue's own mangled names: per class, never ours
                names.add(name)
    return names


PYROGUE = pyrogue_names()


def test_attribute_list_copy_matches_shared() -> None:
    assert ATTRS.read_bytes() == shared_or_skip(SPEC / "registers_attrs.txt").read_bytes()


def test_attribute_list_has_the_known_clashes() -> None:
    assert {"_timeout", "_root", "_name", "_block", "_log", "_lock", "_parent", "_path"} <= PYROGUE
    assert len(PYROGUE) > 100


# -- each base class, made and used --------------------------------------------------------------
def xfer(mst: Any, address: int, data: Any, ttype: int) -> None:
    mst._clearError()
    mst._reqTransaction(address, data, len(data), 0, ttype)
    mst._waitTransaction(0)
    assert mst._getError() == ""


def use_memory_master() -> list[Any]:
    mst = rim.Master()
    made = dict(vars(mst))
    mem = rim.Emulate(4, 0x1000)
    mst >> mem
    mst._setTimeout(2_000_000)
    xfer(mst, 0x10, b"\x01\x02\x03\x04", rim.Write)
    xfer(mst, 0x10, bytearray(4), rim.Read)
    mst._reqSlaveId(), mst._reqSlaveName(), mst._reqMinAccess(), mst._reqMaxAccess(), mst._reqAddress()
    return [made, mst, mem]


def use_memory_slave() -> list[Any]:
    class Later(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            self._addTransaction(transaction)
            self._getTransaction(transaction.id()).done()  # type: ignore[union-attr]

    slv = Later(4, 8)
    made = dict(vars(slv))
    slv.setName("regs")
    mst = rim.Master()
    mst >> slv
    xfer(mst, 0, bytearray(4), rim.Read)
    plain = rim.Slave(4, 4)
    rim.Master() >> plain
    return [made, slv, plain]


def use_hub() -> list[Any]:
    hub = rim.Hub(0x100, 0, 0)
    made = dict(vars(hub))
    root = rim.Hub(0, 4, 16)
    mst = rim.Master()
    mst >> hub >> root >> rim.Emulate(4, 8)
    xfer(mst, 0, bytes(40), rim.Write)  # split by hub (16) and by root (8)
    xfer(hub, 0, bytearray(4), rim.Read)  # a hub is a master too
    hub._getAddress(), hub._getOffset(), hub._blkMinAccess(), hub._blkMaxAccess(), hub._doSlaveName()
    return [made, hub, root]


def use_emulate() -> list[Any]:
    mem = rim.Emulate(4, 0x1000)
    made = dict(vars(mem))
    mst = rim.Master()
    mst >> mem
    xfer(mst, 0xFF0, bytes(range(32)), rim.Write)
    xfer(mst, 0xFF0, bytearray(32), rim.Read)
    return [made, mem]


def use_stream_master() -> list[Any]:
    mst = ris.Master()
    made = dict(vars(mst))
    slv = ris.Slave()
    mst >> slv
    frame = mst._reqFrame(16, True)
    frame.write(b"abcd", 0)
    mst._sendFrame(frame)
    mst._slaveCount()
    return [made, mst]


def use_stream_slave() -> list[Any]:
    slv = ris.Slave()
    made = dict(vars(slv))
    slv.setDebug(4, "hygiene")
    slv.setFixedSize(8)
    slv.setPoolSize(4)
    mst = ris.Master()
    mst >> slv
    frame = mst._reqFrame(20, True)
    frame.write(b"abcd", 0)
    mst._sendFrame(frame)
    assert slv.getFrameCount() == 1 and slv.getAllocCount() == 3
    return [made, slv]


def use_pool() -> list[Any]:
    pool = ris.Pool()
    made = dict(vars(pool))
    pool.setFixedSize(16)
    pool.setPoolSize(2)
    frame = pool._acceptReq(40, True)
    pool.getAllocCount(), pool.getAllocBytes()
    del frame
    return [made, pool]


def use_block_and_variable() -> list[Any]:
    model = SimpleNamespace(modelId=getattr(rim, "UInt", 2), isBigEndian=False, bitReverse=False, binPoint=0)
    listData = SimpleNamespace(numValues=0, valueBits=32, valueStride=32)
    var = rim.Variable("v", "RW", 0, 0, 0, [0], [32], False, True, True, True, model, listData, 0)  # type: ignore[attr-defined]
    blk = rim.Block(0, 4)  # type: ignore[attr-defined]
    made = {**vars(var), **vars(blk)}
    blk._setSlave(rim.Emulate(4, 0x1000))
    blk._setTimeout(1_000_000)
    blk.addVariables([var])
    blk.setEnable(True)
    var._set(0x12345678, -1)
    blk._startTransaction(rim.Write, True, False, None, -1)
    blk._checkTransaction()
    blk._startTransaction(rim.Read, True, True, None, -1)
    assert var._get(-1) == 0x12345678
    return [made, var, blk]


def engine(name: str) -> Any:
    """A case for the register engine, skipped until rim.Block and rim.Variable exist."""
    present = hasattr(rim, "Block") and hasattr(rim, "Variable")
    return pytest.param(use_block_and_variable, id=name,
                        marks=pytest.mark.skipif(not present, reason="rim.Block / rim.Variable not present yet"))


CASES = [
    pytest.param(use_memory_master, id="memory.Master"),
    pytest.param(use_memory_slave, id="memory.Slave"),
    pytest.param(use_hub, id="memory.Hub"),
    pytest.param(use_emulate, id="memory.Emulate"),
    pytest.param(use_stream_master, id="stream.Master"),
    pytest.param(use_stream_slave, id="stream.Slave"),
    pytest.param(use_pool, id="stream.Pool"),
    engine("memory.Block+Variable"),
]


@pytest.mark.parametrize("use", CASES)
def test_base_class_sets_no_pyrogue_name(use: Callable[[], list[Any]]) -> None:
    made, *objs = use()
    clash = set(made) & PYROGUE
    assert not clash, f"set when made: {sorted(clash)}"
    for obj in objs:
        clash = set(vars(obj)) & PYROGUE
        assert not clash, f"{type(obj).__name__} sets {sorted(clash)}"


OURS = [use_memory_master, use_memory_slave, use_hub, use_emulate, use_stream_master, use_stream_slave, use_pool]
MANGLED = re.compile(r"_(Master|Slave|Hub|Emulate|Pool)__[A-Za-z]\w*$")


@pytest.mark.parametrize("use", OURS, ids=lambda f: f.__name__)
def test_base_class_state_is_all_mangled(use: Callable[[], list[Any]]) -> None:
    # Stricter than the list: not even names pyrogue does not use today (_offset, _slaves...).
    made, *objs = use()
    for obj in objs:
        if type(obj).__module__.startswith("rogue."):  # not this file's subclasses
            plain = [k for k in vars(obj) if not MANGLED.match(k)]
            assert not plain, f"{type(obj).__name__} sets {plain}"
    assert all(MANGLED.match(k) for k in made)


def test_instances_keep_a_dict() -> None:
    for obj in (rim.Master(), rim.Slave(4, 4), rim.Hub(0), rim.Emulate(4, 4), ris.Master(), ris.Slave(), ris.Pool()):
        obj.anything = 1  # type: ignore[attr-defined]  # tests monkeypatch instances
        assert vars(obj)["anything"] == 1


def test_memory_and_stream_bases_share_no_name() -> None:
    # One object can be both (pyrogue's DataReceiver is a Device and a stream Slave; Root calls
    # stream Master.__init__ on itself; SrpV3 is a memory Slave and a stream Master and Slave).
    memory = set(vars(rim.Hub(0))) | set(vars(rim.Emulate(4, 4)))
    stream = set(vars(ris.Master())) | set(vars(ris.Slave()))
    assert not memory & stream


# -- subclasses using the plain names keep working ---------------------------------------------------
class Squatter(rim.Hub):
    """A Device-like hub that uses the attribute names pyrogue (or a user) uses for its own things."""

    def __init__(self, offset: int) -> None:
        self._timeout = 2.5  # before the base's __init__, as pyrogue's Root does
        self._name = "x"
        super().__init__(offset, 0, 0)
        self._root = object()  # pyrogue's Node._root: the Root object, truthy
        self._offset = 7
        self._slave = None
        self._error = "x"
        self._trans: dict[int, Any] = {}
        self._min = self._max = 0

    def plain(self) -> tuple[Any, ...]:
        return (self._timeout, self._name, self._offset, self._slave, self._error, self._trans, self._min)


SQUATTED = (2.5, "x", 7, None, "x", {}, 0)


def test_hub_subclass_with_pyrogue_names_keeps_working() -> None:
    mem = rim.Emulate(4, 16)
    mem.setName("memory")
    dev = Squatter(0x1000)
    mst = rim.Master()
    mst >> dev >> mem
    assert dev.plain() == SQUATTED  # the base class overwrote none of them
    # Sizes, address, names: a non-root hub (its truthy _root is not ours).
    assert (dev._blkMinAccess(), dev._blkMaxAccess()) == (4, 0xFFFFFFFF)
    assert (dev._getOffset(), dev._getAddress()) == (0x1000, 0x1000)
    assert dev._doSlaveName() == "memory" and dev._reqSlaveName() == "memory"
    assert dev._doSlaveId() == mem._doSlaveId()
    # Transactions through it (offset applied, split at 16) and from it (as a master).
    xfer(mst, 0x20, bytes(range(40)), rim.Write)
    direct = rim.Master()
    direct >> mem
    buf = bytearray(40)
    xfer(direct, 0x1020, buf, rim.Read)
    assert bytes(buf) == bytes(range(40))
    dev._setTimeout(3_000_000)
    buf = bytearray(4)
    xfer(dev, 0x1024, buf, rim.Read)
    assert bytes(buf) == bytes(range(4, 8))
    assert dev._getError() == ""
    assert dev.plain() == SQUATTED


def test_root_like_hub_keeps_its_own_timeout() -> None:
    # pyrogue: Root.__init__ stores the user's timeout, then Device.__init__ -> rim.Hub.__init__.
    class RootLike(rim.Hub):
        def __init__(self, timeout: float) -> None:
            self._timeout = timeout
            rim.Hub.__init__(self, 0, 0, 0)
            ris.Master.__init__(self)  # as Root does, without inheriting it

    root = RootLike(2.5)
    assert root._timeout == 2.5
    rim.Master._setTimeout(root, int(root._timeout * 1e6))
    assert root._timeout == 2.5


def test_device_and_stream_slave_in_one_object() -> None:
    # pyrogue's DataReceiver: a Device (memory Hub) and a stream Slave, state of both intact.
    class Receiver(rim.Hub, ris.Slave):
        def __init__(self) -> None:
            rim.Hub.__init__(self, 0x40, 0, 0)
            ris.Slave.__init__(self)
            self._name = "rx"
            self._frame_count = "mine"

    rx = Receiver()
    rx >> rim.Emulate(4, 0x100)
    src = ris.Master()
    src >> rx
    src._sendFrame(src._reqFrame(8, True))
    assert rx.getFrameCount() == 1 and rx._frame_count == "mine"
    xfer(rx, 0, bytearray(4), rim.Read)
    assert rx._doSlaveName().startswith("Unnamed_") and rx._name == "rx"


def test_stream_subclass_with_plain_names_keeps_working() -> None:
    class Relay(ris.Master, ris.Slave):
        def __init__(self) -> None:
            ris.Master.__init__(self)
            ris.Slave.__init__(self)
            self._slaves = ["mine"]
            self._leases = None
            self._fixed_size = "x"
            self._debug_log = "x"

        def _acceptFrame(self, frame: ris.Frame) -> None:
            ris.Slave._acceptFrame(self, frame)
            self._sendFrame(frame)

    relay, sink = Relay(), ris.Slave()
    src = ris.Master()
    src >> relay >> sink
    frame = src._reqFrame(32, True)  # from relay's pool
    src._sendFrame(frame)
    assert relay.getFrameCount() == 1 and sink.getFrameCount() == 1
    assert relay._slaveCount() == 1 and relay.getAllocCount() == 1
    assert relay._slaves == ["mine"] and relay._leases is None


def test_memory_client_reports_rogues_slave_name(port: int) -> None:
    # The client's own _name (its log name) is not the slave name: Rogue's TcpClient is "Unnamed_<id>".
    client = rim.TcpClient("127.0.0.1", port)
    try:
        mst = rim.Master()
        mst >> client
        assert mst._reqSlaveName() == f"Unnamed_{client._doSlaveId()}"
        client.setName("link")
        assert mst._reqSlaveName() == "link"
    finally:
        client.stop()
