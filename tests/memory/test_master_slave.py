"""Master and Slave: user-style register access, timeouts, async slaves, errors, many in flight."""

from __future__ import annotations

import logging
import queue
import random
import threading

import numpy as np
import pytest

import rogue
import rogue.interfaces.memory as rim


class MyMemMaster(rim.Master):
    """A user's register master, written as for Rogue."""

    def __init__(self) -> None:
        super().__init__()

    def intWrite(self, address: int, value: int, post: bool = False) -> None:
        ba = bytearray(value.to_bytes(4, "little", signed=False))
        self._clearError()
        self._reqTransaction(address, ba, 4, 0, rim.Post if post else rim.Write)
        self._waitTransaction(0)
        if self._getError() != "":
            raise rogue.GeneralError("MyMemMaster.intWrite", self._getError())

    def intRead(self, address: int) -> int:
        ba = bytearray(4)
        self._clearError()
        self._reqTransaction(address, ba, 4, 0, rim.Read)
        self._waitTransaction(0)
        if self._getError() != "":
            raise rogue.GeneralError("MyMemMaster.intRead", self._getError())
        return int.from_bytes(ba, "little", signed=False)

    def setBits(self, address: int, mask: int) -> int:
        """Read-modify-write."""
        value = self.intRead(address) | mask
        self.intWrite(address, value)
        return value


class AsyncSlave(rim.Slave):
    """Keeps transactions and finishes them from its own thread (like a bridge)."""

    def __init__(self, delay: float = 0.0, shuffle: bool = False) -> None:
        super().__init__(4, 4096)
        self.mem = rim.Emulate(4, 4096)
        self.queue: "queue.Queue[int | None]" = queue.Queue()
        self.delay = delay
        self.shuffle = shuffle
        self.thread = threading.Thread(target=self._run, name="rogue-bridge:AsyncSlave:rx")
        self.thread.start()

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        self._addTransaction(transaction)
        self.queue.put(transaction.id())

    def _run(self) -> None:
        wait = threading.Event()
        while True:
            tid = self.queue.get()
            if tid is None:
                return
            batch = [tid]
            if self.shuffle:
                while not self.queue.empty():
                    nxt = self.queue.get()
                    if nxt is None:
                        self.queue.put(None)
                        break
                    batch.append(nxt)
                random.shuffle(batch)
            if self.delay:
                wait.wait(self.delay)
            for t in batch:
                tran = self._getTransaction(t)
                if tran is None:
                    continue
                with tran.lock():
                    if tran.expired():
                        continue
                    buf = bytearray(tran.size())
                    if tran.type() in (rim.Write, rim.Post):
                        tran.getData(buf, 0)
                        self._store(tran.address(), buf)
                    else:
                        self._load(tran.address(), buf)
                        tran.setData(buf, 0)
                    tran.done()

    def _store(self, address: int, buf: bytearray) -> None:
        m = rim.Master()
        m >> self.mem
        m._reqTransaction(address, buf, 0, 0, rim.Write)
        m._waitTransaction(0)

    def _load(self, address: int, buf: bytearray) -> None:
        m = rim.Master()
        m >> self.mem
        m._reqTransaction(address, buf, 0, 0, rim.Read)
        m._waitTransaction(0)

    def _stop(self) -> None:
        self.queue.put(None)
        self.thread.join(5)


@pytest.fixture
def async_slave():
    slv = AsyncSlave()
    yield slv
    slv._stop()


def test_user_master_against_emulate() -> None:
    mst = MyMemMaster()
    mem = rim.Emulate(4, 4096)
    assert (mst >> mem) is mem
    assert mst.intRead(0x100) == 0
    mst.intWrite(0x100, 0xDEADBEEF)
    assert mst.intRead(0x100) == 0xDEADBEEF
    mst.intWrite(0x104, 0x12345678, post=True)
    assert mst.intRead(0x104) == 0x12345678
    assert mst.setBits(0x100, 0x10) == 0xDEADBEFF
    assert mst.intRead(0x100) == 0xDEADBEFF
    assert mst._reqMinAccess() == 4 and mst._reqMaxAccess() == 4096 and mst._reqAddress() == 0


def test_user_master_against_async_slave(async_slave: AsyncSlave, no_thread_leak: None) -> None:
    mst = MyMemMaster()
    mst >> async_slave
    mst.intWrite(0x20, 7)
    mst.intWrite(0x24, 9, post=True)
    assert mst.intRead(0x20) == 7 and mst.intRead(0x24) == 9
    assert mst.setBits(0x20, 0x100) == 0x107


def test_lshift_connects() -> None:
    mst = MyMemMaster()
    mem = rim.Emulate(4, 4096)
    assert (mem << mst) is mst
    assert mst._getSlave() is mem
    mst.intWrite(0, 1)
    assert mst.intRead(0) == 1


def test_indirect_connection_objects() -> None:
    mem = rim.Emulate(4, 4096)
    mst = MyMemMaster()

    class Wrapper:
        def _getMemorySlave(self):
            return mem

        def _getMemoryMaster(self):
            return mst

    w = Wrapper()
    mst >> w
    assert mst._getSlave() is mem
    mem << w
    with pytest.raises(rogue.GeneralError, match="not a memory slave"):
        mst >> object()
    with pytest.raises(rogue.GeneralError, match="not a memory master"):
        mem << object()


def test_unconnected_master_fails_transaction() -> None:
    mst = MyMemMaster()
    with pytest.raises(rogue.GeneralError, match="Unsupported transaction using unconnected memory bus"):
        mst.intRead(0)


def test_size_zero_and_offset() -> None:
    mst = rim.Master()
    mst >> rim.Emulate(4, 4096)
    mst._reqTransaction(0x10, bytes(range(8)), 0, 0, rim.Write)
    mst._waitTransaction(0)
    buf = bytearray(10)
    mst._reqTransaction(0x12, buf, 0, 4, rim.Read)  # size 0: the 6 bytes after offset 4
    mst._waitTransaction(0)
    assert buf == bytearray(4) + bytes(range(2, 8))


def test_numpy_and_memoryview_buffers() -> None:
    mst = rim.Master()
    mst >> rim.Emulate(4, 4096)
    mst._reqTransaction(0, np.arange(4, dtype=np.uint32), 0, 0, rim.Write)
    mst._waitTransaction(0)
    out = np.zeros(4, dtype=np.uint32)
    mst._reqTransaction(0, out, 0, 0, rim.Read)
    mst._waitTransaction(0)
    assert out.tolist() == [0, 1, 2, 3]
    raw = bytearray(16)
    mst._reqTransaction(4, memoryview(raw)[4:8], 0, 0, rim.Verify)
    mst._waitTransaction(0)
    assert raw[4:8] == b"\x01\x00\x00\x00"


def test_bad_buffers_raise() -> None:
    mst = rim.Master()
    mst >> rim.Emulate(4, 4096)
    with pytest.raises(rogue.GeneralError, match="not a contiguous buffer"):
        mst._reqTransaction(0, 1234, 4, 0, rim.Write)
    with pytest.raises(rogue.GeneralError, match="writable"):
        mst._reqTransaction(0, b"\x00" * 4, 4, 0, rim.Read)
    with pytest.raises(rogue.GeneralError, match="writable"):
        mst._reqTransaction(0, b"\x00" * 4, 4, 0, rim.Verify)
    with pytest.raises(rogue.GeneralError, match=r"Attempt to access 4 bytes in python buffer with size 4 at offset 2"):
        mst._reqTransaction(0, bytearray(4), 4, 2, rim.Read)
    with pytest.raises(rogue.GeneralError, match="at offset 6"):
        mst._reqTransaction(0, bytearray(4), 0, 6, rim.Read)
    with pytest.raises(rogue.GeneralError, match="not a contiguous buffer"):
        mst._reqTransaction(0, np.zeros((4, 4), dtype=np.uint8)[:, 0], 0, 0, rim.Read)
    assert mst._Master__trans == {}  # nothing left outstanding


@pytest.mark.timeout(10)
def test_timeout_text_and_late_completion_ignored() -> None:
    kept: list[rim.Transaction] = []

    class Silent(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            self._addTransaction(transaction)
            kept.append(transaction)

    mst = rim.Master()
    slv = Silent(4, 4)
    mst >> slv
    mst._setTimeout(50_000)
    mst._setTimeout(0)  # 0 leaves it unchanged
    buf = bytearray(4)
    tid = mst._reqTransaction(0, buf, 4, 0, rim.Read)
    mst._waitTransaction(tid)
    assert mst._getError() == f"Timeout waiting for register transaction {tid} message response."
    late = slv._getTransaction(tid)
    assert late is kept[0] and late.expired()
    with late.lock():
        late.done()
    late.error("too late")
    assert mst._getError().startswith("Timeout")
    assert slv._getTransaction(tid) is None
    mst._clearError()
    assert mst._getError() == ""
    with pytest.raises(rogue.GeneralError, match="negative"):
        mst._setTimeout(-1)


def test_error_is_sticky_until_cleared() -> None:
    class Picky(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            if transaction.address() == 0xBAD:
                transaction.error("bad address 0xbad")
            else:
                transaction.done()

    mst = rim.Master()
    mst >> Picky(4, 4)
    mst._reqTransaction(0xBAD, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    mst._reqTransaction(0x0, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == "bad address 0xbad"


def test_exception_in_do_transaction_becomes_error(caplog: pytest.LogCaptureFixture) -> None:
    class Broken(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            raise ValueError(f"cannot reach 0x{transaction.address():x}")

    mst = MyMemMaster()
    mst >> Broken(4, 4)
    with caplog.at_level(logging.ERROR, logger="pyrogue.memory.Master"):
        with pytest.raises(rogue.GeneralError, match="cannot reach 0x40"):
            mst.intRead(0x40)
    assert any(r.exc_info and r.exc_info[0] is ValueError for r in caplog.records)  # logged with its traceback
    assert caplog.records[0].name == "pyrogue.memory.Master"


def test_exception_in_async_slave_after_done_is_harmless() -> None:
    class DoneThenRaise(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            transaction.done()
            raise RuntimeError("after done")

    mst = rim.Master()
    mst >> DoneThenRaise(4, 4)
    mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == ""  # the transaction had already finished


@pytest.mark.timeout(20)
def test_many_outstanding_out_of_order(no_thread_leak: None) -> None:
    slv = AsyncSlave(shuffle=True)
    try:
        mst = rim.Master()
        mst >> slv
        n = 300
        for i in range(n):
            mst._reqTransaction(4 * i, (i * 7919).to_bytes(4, "little"), 4, 0, rim.Write)
        mst._waitTransaction(0)
        assert mst._getError() == ""
        bufs = [bytearray(4) for _ in range(n)]
        ids = [mst._reqTransaction(4 * i, bufs[i], 4, 0, rim.Read) for i in range(n)]
        assert len(set(ids)) == n
        mst._waitTransaction(ids[-1])  # one specific id first
        mst._waitTransaction(0)
        assert mst._getError() == ""
        assert [int.from_bytes(b, "little") for b in bufs] == [i * 7919 for i in range(n)]
        assert mst._Master__trans == {}
    finally:
        slv._stop()


@pytest.mark.timeout(10)
def test_waiter_is_woken_by_completion_from_another_thread(no_thread_leak: None) -> None:
    kept: "queue.Queue[rim.Transaction]" = queue.Queue()

    class Deferred(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            kept.put(transaction)

    mst = rim.Master()
    mst >> Deferred(4, 4)
    mst._setTimeout(5_000_000)
    buf = bytearray(4)
    tid = mst._reqTransaction(0, buf, 4, 0, rim.Read)
    ticks = []
    stop = threading.Event()

    def completer() -> None:
        tran = kept.get(timeout=5)
        # The waiter does not hold the GIL: this thread runs while it waits.
        for i in range(1000):
            ticks.append(i)
        tran._complete(b"\x11\x22\x33\x44")
        stop.set()

    t = threading.Thread(target=completer, name="rogue-bridge:test:completer")
    t.start()
    mst._waitTransaction(tid)
    t.join(5)
    assert stop.is_set() and len(ticks) == 1000
    assert buf == b"\x11\x22\x33\x44" and mst._getError() == ""


def test_wait_unknown_id_returns() -> None:
    mst = rim.Master()
    mst._waitTransaction(123456)
    mst._waitTransaction(0)
    assert mst._getError() == ""


def test_slave_descriptions() -> None:
    a, b = rim.Slave(1, 8), rim.Slave(2, 16)
    assert a._doSlaveId() != b._doSlaveId()
    assert a._doSlaveName().startswith("Unnamed_")
    a.setName("regs")
    mst = rim.Master()
    mst >> a
    assert mst._reqSlaveName() == "regs" and mst._reqSlaveId() == a._doSlaveId()
    assert (mst._reqMinAccess(), mst._reqMaxAccess(), mst._reqAddress()) == (1, 8, 0)
    a._stop()
    mst._stop()


def test_get_transaction_drops_finished_ones() -> None:
    slv = rim.Slave(4, 4)
    mst = rim.Master()
    mst >> slv
    trans = []

    class Keep(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            trans.append(transaction)

    mst >> Keep(4, 4)
    for _ in range(200):
        mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    for t in trans[:150]:
        t.done()
    for t in trans:
        slv._addTransaction(t)
    assert len(slv._Slave__pending) < 200  # finished ones were pruned on the way
    assert slv._getTransaction(trans[-1].id()) is trans[-1]
    assert slv._getTransaction(trans[-1].id()) is None
    for t in trans[150:]:
        t.done()
    mst._waitTransaction(0)
