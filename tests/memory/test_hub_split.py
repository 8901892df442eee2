"""Hub: a transaction larger than the bus below takes is split into sub-transactions (Rogue's Hub.cpp:108-153)."""

from __future__ import annotations

import queue
import threading

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps
from conftest import HANG_S, free_port_pair, wait_until


class Recorder(rim.Emulate):
    """Emulated memory that records every transaction it executes: (address, size, type)."""

    def __init__(self, minAccess: int, maxAccess: int) -> None:
        super().__init__(minAccess, maxAccess)
        self.seen: list[tuple[int, int, int]] = []
        self.ids: list[int] = []

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        self.seen.append((transaction.address(), transaction.size(), transaction.type()))
        self.ids.append(transaction.id())
        super()._doTransaction(transaction)


class FailAt(Recorder):
    """Fails the pieces starting at the given addresses (with their address in the text), executes the others."""

    def __init__(self, minAccess: int, maxAccess: int, bad: set[int], raise_: bool = False) -> None:
        super().__init__(minAccess, maxAccess)
        self.bad = bad
        self.raise_ = raise_

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        if transaction.address() in self.bad:
            self.seen.append((transaction.address(), transaction.size(), transaction.type()))
            self.ids.append(transaction.id())
            if self.raise_:
                raise KeyError(f"no page at 0x{transaction.address():x}")
            transaction.error(f"bad chunk at 0x{transaction.address():x}")
            return
        super()._doTransaction(transaction)


def xfer(mst: rim.Master, address: int, data: bytes | bytearray, ttype: int) -> str:
    """One transaction, waited for; its error text ("" if none)."""
    mst._clearError()
    mst._reqTransaction(address, data, len(data), 0, ttype)
    mst._waitTransaction(0)
    return mst._getError()


PATTERN = bytes((7 * i + 3) & 0xFF for i in range(100))


def test_100_bytes_through_a_hub_over_emulate_4_16() -> None:
    mem = Recorder(4, 16)
    hub = rim.Hub(0x1000, 0, 0)
    mst = rim.Master()
    mst >> hub >> mem
    assert mst._reqMaxAccess() == 0xFFFFFFFF and hub._blkMaxAccess() == 0xFFFFFFFF
    assert mst._reqMinAccess() == 4
    assert xfer(mst, 0x20, PATTERN, rim.Write) == ""
    pieces = [(0x1020 + 16 * i, 16, rim.Write) for i in range(6)] + [(0x1020 + 96, 4, rim.Write)]
    assert mem.seen == pieces
    mem.seen.clear()
    buf = bytearray(100)
    assert xfer(mst, 0x20, buf, rim.Read) == ""
    assert bytes(buf) == PATTERN
    assert mem.seen == [(a, s, rim.Read) for a, s, _ in pieces]
    direct = rim.Master()  # the bytes landed where they belong
    direct >> mem
    back = bytearray(100)
    assert xfer(direct, 0x1020, back, rim.Read) == "" and bytes(back) == PATTERN
    buf.extend(b"x")  # every piece released the caller's buffer (no export left behind)


@pytest.mark.parametrize("ttype", [rim.Read, rim.Write, rim.Post, rim.Verify])
def test_every_type_and_a_remainder_smaller_than_min(ttype: int) -> None:
    mem = Recorder(4, 16)
    mst = rim.Master()
    mst >> rim.Hub(0, 0, 0) >> mem
    assert xfer(mst, 0, bytearray(34), ttype) == ""
    assert mem.seen == [(0, 16, ttype), (16, 16, ttype), (32, 2, ttype)]


def test_within_the_maximum_the_transaction_object_goes_down_as_it_is() -> None:
    mem = Recorder(4, 16)
    mst = rim.Master()
    mst >> rim.Hub(0x40, 0, 0) >> mem
    tid = mst._reqTransaction(0, bytearray(16), 16, 0, rim.Read)
    mst._waitTransaction(0)
    assert mem.ids == [tid] and mem.seen == [(0x40, 16, rim.Read)]


def test_a_failed_piece_fails_the_parent_with_its_text() -> None:
    # Only a middle piece fails: Rogue would report success (only the last piece's error reaches its parent).
    mem = FailAt(4, 16, {0x10})
    mst = rim.Master()
    mst >> rim.Hub(0, 0, 0) >> mem
    buf = bytearray(64)
    err = xfer(mst, 0, buf, rim.Read)
    bad_id = mem.ids[1]
    assert err == f"Transaction error. Subtransaction {bad_id} failed with error: bad chunk at 0x10.\n"
    assert [a for a, _, _ in mem.seen] == [0, 0x10, 0x20, 0x30]  # the others ran all the same
    assert mst._getError() == err


def test_several_failed_pieces_report_the_first_in_address_order() -> None:
    mem = FailAt(4, 16, {0x20, 0x10})
    mst = rim.Master()
    mst >> rim.Hub(0, 0, 0) >> mem
    err = xfer(mst, 0, bytearray(64), rim.Write)
    assert f"Subtransaction {mem.ids[1]} failed with error: bad chunk at 0x10." in err


def test_a_piece_raising_in_the_slave_fails_only_that_piece() -> None:
    mem = FailAt(4, 16, {0x10}, raise_=True)
    mst = rim.Master()
    mst >> rim.Hub(0, 0, 0) >> mem
    err = xfer(mst, 0, PATTERN[:48], rim.Write)
    assert "failed with error: 'no page at 0x10'" in err
    assert [a for a, _, _ in mem.seen] == [0, 0x10, 0x20]


class Deferred(rim.Slave):
    """Keeps every transaction for a worker thread to finish later (an asynchronous slave)."""

    def __init__(self, maxAccess: int) -> None:
        super().__init__(4, maxAccess)
        self.inbox: "queue.Queue[rim.Transaction]" = queue.Queue()

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        self.inbox.put(transaction)


def finish(tran: rim.Transaction, mem: dict[int, int]) -> bool:
    """Finish ``tran`` as a well-behaved asynchronous slave does; False if it had expired."""
    with tran.lock():
        if tran.expired():
            return False
        size, addr = tran.size(), tran.address()
        if tran.type() in (rim.Write, rim.Post):
            data = bytearray(size)
            tran.getData(data, 0)
            mem.update((addr + i, b) for i, b in enumerate(data))
        else:
            tran.setData(bytes(mem.get(addr + i, 0) for i in range(size)), 0)
        tran.done()
        return True


@pytest.mark.timeout(20)
def test_async_slave_finishes_the_pieces_from_another_thread(no_thread_leak: None) -> None:
    slave = Deferred(16)
    mem: dict[int, int] = {}
    stop = threading.Event()

    def worker() -> None:
        # Take all the pieces of one transaction, then finish them last first.
        while not stop.is_set():
            try:
                first = slave.inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            batch = [first]
            while len(batch) < 7:
                batch.append(slave.inbox.get(timeout=HANG_S))
            for tran in reversed(batch):
                assert finish(tran, mem)

    t = threading.Thread(target=worker, name="rogue-bridge:test:async-pieces")
    t.start()
    try:
        mst = rim.Master()
        mst._setTimeout(int(HANG_S * 1e6))
        mst >> rim.Hub(0x200, 0, 0) >> slave
        assert xfer(mst, 0, PATTERN, rim.Write) == ""
        assert bytes(mem[0x200 + i] for i in range(100)) == PATTERN
        buf = bytearray(100)
        assert xfer(mst, 0, buf, rim.Read) == ""
        assert bytes(buf) == PATTERN
    finally:
        stop.set()
        t.join(HANG_S)


def test_timeout_of_a_split_transaction_leaves_the_buffer_alone() -> None:
    mem = {i: 0x11 for i in range(40)}

    class FirstNow(Deferred):
        """Finishes the first piece at once (before the timer starts), keeps the others."""

        def _doTransaction(self, transaction: rim.Transaction) -> None:
            if transaction.address() == 0:
                assert finish(transaction, mem)
            else:
                super()._doTransaction(transaction)

    slave = FirstNow(16)
    mst = rim.Master()
    mst._setTimeout(20_000)  # 20 ms: the held pieces are only finished after the wait gave up
    mst >> rim.Hub(0, 0, 0) >> slave
    buf = bytearray(b"\xee" * 40)
    mst._reqTransaction(0, buf, 40, 0, rim.Read)
    held = [slave.inbox.get_nowait() for _ in range(2)]
    mst._waitTransaction(0)
    assert mst._getError().startswith("Timeout waiting for register transaction")
    assert all(p.expired() for p in held)
    assert not finish(held[0], mem)  # late: expired, nothing copied
    assert held[1]._complete(bytes(8), "") is False  # a bridge's late response: refused
    assert bytes(buf) == b"\x11" * 16 + b"\xee" * 24
    del held  # the slave drops what it found expired
    buf.extend(b"x")  # then no piece holds the caller's buffer any more


def test_chain_of_hubs_splits_at_the_hub_above_the_small_slave() -> None:
    mem = Recorder(4, 16)
    low = rim.Hub(0x100, 0, 0)
    high = rim.Hub(0x1000, 0, 0)
    mst = rim.Master()
    mst >> high >> low >> mem
    assert xfer(mst, 0x8, PATTERN[:40], rim.Write) == ""
    assert mem.seen == [(0x1108, 16, rim.Write), (0x1118, 16, rim.Write), (0x1128, 8, rim.Write)]
    buf = bytearray(40)
    assert xfer(mst, 0x8, buf, rim.Read) == "" and bytes(buf) == PATTERN[:40]


def test_chain_under_a_root_hub_splits_at_the_roots_maximum() -> None:
    mem = Recorder(4, 16)
    root = rim.Hub(0, 4, 8)  # a root reports its own maximum (8): the device hub above it splits at 8
    dev = rim.Hub(0x40, 0, 0)
    mst = rim.Master()
    mst >> dev >> root >> mem
    assert (dev._blkMinAccess(), dev._blkMaxAccess()) == (4, 0xFFFFFFFF)
    assert (root._blkMinAccess(), root._blkMaxAccess()) == (4, 8)
    assert xfer(mst, 0, PATTERN[:20], rim.Write) == ""
    assert mem.seen == [(0x40, 8, rim.Write), (0x48, 8, rim.Write), (0x50, 4, rim.Write)]


def test_split_over_srpv3_into_4096_byte_requests(no_thread_leak: None) -> None:
    srp, emu = rps.SrpV3(), rps.SrpV3Emulation()
    try:
        srp == emu
        mst = rim.Master()
        mst >> rim.Hub(0x10000, 0, 0) >> srp
        data = bytes(i & 0xFF for i in range(10000))
        assert xfer(mst, 0, data, rim.Write) == ""
        buf = bytearray(10000)
        assert xfer(mst, 0, buf, rim.Read) == "" and bytes(buf) == data
        direct = rim.Master()
        direct >> srp
        back = bytearray(16)
        assert xfer(direct, 0x10000 + 8192, back, rim.Read) == "" and bytes(back) == data[8192:8208]
    finally:
        emu.stop()


@pytest.mark.timeout(30)
def test_split_across_the_memory_bridge(no_thread_leak: None) -> None:
    # The pieces go to a TcpClient (which receives in the waiting master's thread); the server's
    # own transactions are split too, by a hub in front of a small slave.
    port = free_port_pair()
    mem = Recorder(4, 16)
    server = rim.TcpServer("127.0.0.1", port)
    client = rim.TcpClient("127.0.0.1", port)
    try:
        server >> rim.Hub(0x100, 0, 0) >> mem
        wait_until(lambda: client.waitReady(1.0), what="the memory server")
        mst = rim.Master()
        mst._setTimeout(int(HANG_S * 1e6))
        tiny = rim.Hub(0, 4, 32)  # a root of 32 bytes at most: the hub above it splits for the client
        mst >> rim.Hub(0, 0, 0) >> tiny >> client
        assert xfer(mst, 0, PATTERN, rim.Write) == ""
        buf = bytearray(100)
        assert xfer(mst, 0, buf, rim.Read) == "" and bytes(buf) == PATTERN
        assert {s for _, s, _ in mem.seen} == {16, 4}  # the server side split each 32-byte piece again
    finally:
        client.stop()
        server.stop()


def test_pieces_split_again_below_a_root_hub() -> None:
    mem = FailAt(4, 16, {0x30})
    inner = rim.Hub(0, 0, 0)
    mst = rim.Master()
    mst >> rim.Hub(0, 0, 0) >> rim.Hub(0, 4, 32) >> inner >> mem  # pieces of 32, each split again into 16s
    err = xfer(mst, 0, PATTERN[:64], rim.Write)
    assert [(a, s) for a, s, _ in mem.seen] == [(0, 16), (0x10, 16), (0x20, 16), (0x30, 16)]
    assert err.startswith("Transaction error. Subtransaction ")
    assert f"Subtransaction {mem.ids[3]} failed with error: bad chunk at 0x30.\n" in err
    mem.bad.clear()
    mem.seen.clear()
    buf = bytearray(64)
    assert xfer(mst, 0, PATTERN[:64], rim.Write) == "" and xfer(mst, 0, buf, rim.Read) == ""
    assert bytes(buf) == PATTERN[:64]
