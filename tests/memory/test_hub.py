"""Hub: offsets, access-size and address queries through a chain, subclassed hubs."""

from __future__ import annotations

import queue
import threading

import pytest

import rogue
import rogue.interfaces.memory as rim


def rd(mst: rim.Master, address: int, size: int = 4) -> bytes:
    buf = bytearray(size)
    mst._clearError()
    mst._reqTransaction(address, buf, size, 0, rim.Read)
    mst._waitTransaction(0)
    if mst._getError():
        raise rogue.GeneralError("rd", mst._getError())
    return bytes(buf)


def wr(mst: rim.Master, address: int, data: bytes) -> None:
    mst._clearError()
    mst._reqTransaction(address, data, 0, 0, rim.Write)
    mst._waitTransaction(0)
    if mst._getError():
        raise rogue.GeneralError("wr", mst._getError())


def test_offset_is_added() -> None:
    mem = rim.Emulate(4, 4096)
    direct = rim.Master()
    direct >> mem
    hub = rim.Hub(0x1000, 0, 0)
    mst = rim.Master()
    assert (mst >> hub >> mem) is mem
    wr(mst, 0x10, b"\x01\x02\x03\x04")
    assert rd(direct, 0x1010) == b"\x01\x02\x03\x04"
    wr(direct, 0x1020, b"\xaa\xbb\xcc\xdd")
    assert rd(mst, 0x20) == b"\xaa\xbb\xcc\xdd"


def test_chain_of_hubs_and_queries() -> None:
    mem = rim.Emulate(2, 256)
    low = rim.Hub(0x10000, 0, 0)
    high = rim.Hub(0x100, 0, 0)
    mst = rim.Master()
    mst >> high >> low >> mem
    assert (high._getOffset(), low._getOffset()) == (0x100, 0x10000)
    assert low._getAddress() == 0x10000
    assert high._getAddress() == 0x10100
    assert mst._reqAddress() == 0x10100
    # A non-root hub takes any size (it splits), as in Rogue: only the minimum travels up.
    assert (mst._reqMinAccess(), mst._reqMaxAccess()) == (2, 0xFFFFFFFF)
    assert (high._blkMinAccess(), high._blkMaxAccess()) == (2, 0xFFFFFFFF)
    assert mst._reqSlaveId() == mem._doSlaveId()
    wr(mst, 0x4, b"\x09\x08\x07\x06")
    direct = rim.Master()
    direct >> mem
    assert rd(direct, 0x10104) == b"\x09\x08\x07\x06"


def test_root_hub_reports_its_own_access_sizes() -> None:
    mem = rim.Emulate(4, 4096)
    root = rim.Hub(0, 8, 1024)
    dev = rim.Hub(0x200, 0, 0)
    mst = rim.Master()
    mst >> dev >> root >> mem
    root.setName("root")
    assert (mst._reqMinAccess(), mst._reqMaxAccess()) == (8, 0xFFFFFFFF)  # dev is not a root: it splits
    assert (root._blkMinAccess(), root._blkMaxAccess()) == (8, 1024)
    assert (dev._blkMinAccess(), dev._blkMaxAccess()) == (8, 0xFFFFFFFF)
    assert mst._reqAddress() == 0x200  # a root reports address 0 upwards
    assert root._doAddress() == 0 and root._getAddress() == 0
    assert mst._reqSlaveName() == "root"


def test_lshift_chain() -> None:
    mem = rim.Emulate(4, 4096)
    hub = rim.Hub(0x40, 0, 0)
    mst = rim.Master()
    mem << hub
    hub << mst
    wr(mst, 0, b"\x05\x06\x07\x08")
    direct = rim.Master()
    direct >> mem
    assert rd(direct, 0x40) == b"\x05\x06\x07\x08"


def test_several_masters_share_a_hub() -> None:
    mem = rim.Emulate(4, 4096)
    hub = rim.Hub(0x8000, 0, 0)
    hub >> mem
    a, b = rim.Master(), rim.Master()
    a >> hub
    b >> hub
    wr(a, 0, b"AAAA")
    assert rd(b, 0) == b"AAAA"


def test_unconnected_hub_fails_the_transaction() -> None:
    mst = rim.Master()
    mst >> rim.Hub(0x10, 0, 0)
    with pytest.raises(rogue.GeneralError, match="unconnected memory bus"):
        rd(mst, 0)


def test_address_wraps_at_64_bits() -> None:
    seen: list[int] = []

    class Probe(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            seen.append(transaction.address())
            transaction.done()

    mst = rim.Master()
    mst >> rim.Hub(0x10, 0, 0) >> Probe(4, 4)
    rd(mst, 0xFFFFFFFFFFFFFFF8)
    assert seen == [0x8]


@pytest.mark.timeout(10)
def test_hub_forwards_to_async_slave(no_thread_leak: None) -> None:
    inbox: "queue.Queue[rim.Transaction | None]" = queue.Queue()

    class Deferred(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            inbox.put(transaction)

    def serve() -> None:
        while (tran := inbox.get()) is not None:
            with tran.lock():
                if not tran.expired():
                    tran.setData(tran.address().to_bytes(4, "little"))
                    tran.done()

    t = threading.Thread(target=serve, name="rogue-bridge:test:deferred")
    t.start()
    try:
        mst = rim.Master()
        mst >> rim.Hub(0x300, 0, 0) >> Deferred(4, 4)
        bufs = [bytearray(4) for _ in range(20)]
        for i, b in enumerate(bufs):
            mst._reqTransaction(4 * i, b, 4, 0, rim.Read)
        mst._waitTransaction(0)
        assert mst._getError() == ""
        assert [int.from_bytes(b, "little") for b in bufs] == [0x300 + 4 * i for i in range(20)]
    finally:
        inbox.put(None)
        t.join(5)


class PagedSlave(rim.Slave):
    """Hardware reached through registers: 0x100 address, 0x104 write data, 0x108 read data."""

    def __init__(self) -> None:
        super().__init__(4, 4)
        self.addr = 0
        self.mem: dict[int, bytes] = {}

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        with transaction.lock():
            if transaction.size() != 4:
                transaction.error(f"PagedSlave: size {transaction.size()} is not 4")
                return
            reg = transaction.address()
            data = bytearray(4)
            if transaction.type() == rim.Write and reg == 0x100:
                transaction.getData(data, 0)
                self.addr = int.from_bytes(data, "little")
            elif transaction.type() == rim.Write and reg == 0x104:
                transaction.getData(data, 0)
                self.mem[self.addr] = bytes(data)
            elif transaction.type() == rim.Read and reg == 0x108:
                transaction.setData(self.mem.get(self.addr, bytes(4)), 0)
            else:
                transaction.error(f"PagedSlave: no register 0x{reg:x} for type {transaction.type()}")
                return
            transaction.done()


class PagedHub(rim.Hub):
    """A user hub that turns each 4-byte access into register accesses below it."""

    def __init__(self) -> None:
        super().__init__(0, 0, 0)

    def _sub(self, address: int, data: bytearray, type: int) -> str:
        self._clearError()
        self._reqTransaction(address, data, 4, 0, type)
        self._waitTransaction(0)
        return self._getError()

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        with transaction.lock():
            if transaction.size() != 4:
                transaction.error(f"PagedHub: size {transaction.size()} is not 4")
                return
            err = self._sub(0x100, bytearray(transaction.address().to_bytes(4, "little")), rim.Write)
            data = bytearray(4)
            if not err and transaction.type() in (rim.Write, rim.Post):
                transaction.getData(data, 0)
                err = self._sub(0x104, data, rim.Write)
            elif not err:
                err = self._sub(0x108, data, rim.Read)
                if not err:
                    transaction.setData(data, 0)
            if err:
                transaction.error(err)
            else:
                transaction.done()


def test_user_hub_translates_transactions() -> None:
    hw = PagedSlave()
    mst = rim.Master()
    mst >> PagedHub() >> hw
    wr(mst, 0x2000, b"\x10\x20\x30\x40")
    wr(mst, 0x3000, b"\x50\x60\x70\x80")
    assert rd(mst, 0x2000) == b"\x10\x20\x30\x40"
    assert rd(mst, 0x3000) == b"\x50\x60\x70\x80"
    assert hw.mem == {0x2000: b"\x10\x20\x30\x40", 0x3000: b"\x50\x60\x70\x80"}
    with pytest.raises(rogue.GeneralError, match="PagedHub: size 8 is not 4"):
        rd(mst, 0x2000, 8)
    mst._clearError()
    buf = bytearray(4)
    mst._reqTransaction(0, buf, 4, 0, rim.Verify)  # Verify reads through 0x108 too
    mst._waitTransaction(0)
    assert mst._getError() == ""


def test_exception_in_user_hub_becomes_error() -> None:
    class BadHub(rim.Hub):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            raise KeyError("no such page")

    mst = rim.Master()
    mst >> BadHub(0, 0, 0) >> rim.Emulate(4, 4)
    with pytest.raises(rogue.GeneralError, match="no such page"):
        rd(mst, 0)
