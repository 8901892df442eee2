"""Transaction: ids, data access, single completion, expiry, the bridge fast path."""

from __future__ import annotations

import itertools
import threading

import pytest

import rogue
import rogue.interfaces.memory as rim
from rogue.interfaces.memory import transaction as tmod


class Keeper(rim.Slave):
    """Keeps every transaction for the test to finish by hand."""

    def __init__(self) -> None:
        super().__init__(4, 4096)
        self.got: list[rim.Transaction] = []

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        self.got.append(transaction)


@pytest.fixture
def pair() -> tuple[rim.Master, Keeper]:
    mst = rim.Master()
    slv = Keeper()
    mst >> slv
    return mst, slv


def test_constants() -> None:
    assert (rim.Read, rim.Write, rim.Post, rim.Verify) == (1, 2, 3, 4)
    assert rim.TcpBridgeProbe == 0xFFFFFFFE
    assert "TcpBridgeProbe" not in rim.__all__


def test_description(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    buf = bytearray(16)
    tid = mst._reqTransaction(0x1234, buf, 8, 4, rim.Verify)
    tran = slv.got[0]
    assert (tran.id(), tran.address(), tran.size(), tran.type()) == (tid, 0x1234, 8, rim.Verify)
    assert "id=" in repr(tran)
    tran.done()


def test_ids_unique_nonzero_32bit(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    ids = {mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read) for _ in range(500)}
    assert len(ids) == 500
    assert all(0 < i <= 0xFFFFFFFF for i in ids)
    assert ids == {t.id() for t in slv.got}
    for t in slv.got:
        t.done()
    mst._waitTransaction(0)


def test_id_wraps_skipping_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tmod, "_id_counter", itertools.count(0xFFFFFFFE))
    assert [tmod._next_id() for _ in range(3)] == [0xFFFFFFFE, 0xFFFFFFFF, 1]


def test_read_data_lands_at_offset(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    buf = bytearray(b"\xee" * 8)
    mst._reqTransaction(0, buf, 4, 2, rim.Read)
    tran = slv.got[0]
    tran.setData(b"\x01\x02", 0)
    tran.setData(bytearray(b"\x03\x04"), 2)
    tran.done()
    mst._waitTransaction(0)
    assert buf == bytearray(b"\xee\xee\x01\x02\x03\x04\xee\xee")
    assert mst._getError() == ""


def test_get_data_of_write(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._reqTransaction(0, b"abcdefgh", 4, 4, rim.Write)
    tran = slv.got[0]
    out = bytearray(2)
    tran.getData(out, 1)
    assert out == b"fg"
    assert bytes(tran._data()) == b"efgh"
    with pytest.raises(rogue.GeneralError, match="read-only"):
        tran.setData(b"zz", 0)  # a write's data belongs to the caller
    tran.done()
    mst._waitTransaction(0)


def test_set_get_past_size_raise(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slv.got[0]
    with pytest.raises(rogue.GeneralError, match=r"Attempt to set 4 bytes at offset 2 .* size 4"):
        tran.setData(b"\x00" * 4, 2)
    with pytest.raises(rogue.GeneralError, match=r"Attempt to get 5 bytes from offset 0 .* size 4"):
        tran.getData(bytearray(5), 0)
    with pytest.raises(rogue.GeneralError, match="read-only"):
        tran.getData(b"\x00", 0)
    with pytest.raises(rogue.GeneralError, match="not a contiguous buffer"):
        tran.setData(12, 0)
    tran.done()
    mst._waitTransaction(0)


def test_done_once_then_ignored(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slv.got[0]
    assert not tran.expired()
    tran.error("first")
    assert tran.expired()
    tran.done()
    tran.error("second")
    assert tran._complete(b"1234") is False
    mst._waitTransaction(0)
    assert mst._getError() == "first"


def test_error_with_empty_text_still_fails(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    tid = mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    slv.got[0].error("")
    mst._waitTransaction(tid)
    assert str(tid) in mst._getError()


def test_lock_is_reentrant_context_manager(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slv.got[0]
    assert isinstance(tran.lock(), rim.TransactionLock)
    with tran.lock():
        with tran.lock():
            if not tran.expired():
                tran.setData(b"\x05\x06\x07\x08")
                tran.done()
    mst._waitTransaction(0)
    assert mst._getError() == ""


def test_complete_fast_path(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    buf = bytearray(4)
    mst._reqTransaction(0, buf, 4, 0, rim.Read)
    assert slv.got[0]._complete(memoryview(b"\x0a\x0b\x0c\x0d")) is True
    mst._waitTransaction(0)
    assert buf == b"\x0a\x0b\x0c\x0d" and mst._getError() == ""


def test_complete_wrong_size_fails_without_touching_buffer(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    buf = bytearray(4)
    mst._reqTransaction(0, buf, 4, 0, rim.Read)
    assert slv.got[0]._complete(b"\x01\x02") is True
    mst._waitTransaction(0)
    assert buf == bytearray(4)
    assert "received 2 data bytes for a transaction of size 4" in mst._getError()


def test_complete_with_error(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    buf = bytearray(4)
    mst._reqTransaction(0, buf, 4, 0, rim.Read)
    assert slv.got[0]._complete(b"\x01\x02\x03\x04", "far side failed") is True
    mst._waitTransaction(0)
    assert buf == bytearray(4) and mst._getError() == "far side failed"


def test_expired_after_timeout_and_late_complete_ignored(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._setTimeout(1000)  # 1 ms
    buf = bytearray(4)
    tid = mst._reqTransaction(0, buf, 4, 0, rim.Read)
    tran = slv.got[0]
    mst._waitTransaction(tid)
    assert mst._getError() == f"Timeout waiting for register transaction {tid} message response."
    assert tran.expired()
    assert tran._complete(b"\x01\x02\x03\x04") is False
    tran.done()
    assert buf == bytearray(4)
    with pytest.raises(rogue.GeneralError, match="no data"):
        tran.setData(b"\x01")  # the caller's buffer was released after the wait


def test_passed_deadline_counts_as_timeout_even_before_the_wait(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._setTimeout(1)  # 1 us: already past when we look
    buf = bytearray(4)
    tid = mst._reqTransaction(0, buf, 4, 0, rim.Read)
    tran = slv.got[0]
    end = threading.Event()
    while not tran.expired():
        end.wait(0.001)
    assert tran._complete(b"\x01\x02\x03\x04") is False
    mst._waitTransaction(tid)
    assert buf == bytearray(4)
    assert mst._getError().startswith("Timeout waiting for register transaction")


def test_two_waiters_on_one_transaction(pair: tuple[rim.Master, Keeper]) -> None:
    mst, slv = pair
    mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slv.got[0]
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(tran._wait()), name=f"rogue-bridge:test:w{i}")
               for i in range(2)]
    for t in threads:
        t.start()
    tran.error("boom")
    for t in threads:
        t.join(5)
    assert results == ["boom", "boom"]
    mst._waitTransaction(0)


def test_waiter_hook_completes_in_the_waiting_thread() -> None:
    calls: list[tuple[int, float]] = []

    class Inline(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            transaction._waiter = self._drive

        def _drive(self, tran: rim.Transaction, deadline: float) -> None:
            calls.append((tran.id(), deadline))
            assert threading.current_thread() is threading.main_thread()
            tran._complete(b"\x01\x02\x03\x04")

    mst = rim.Master()
    mst >> Inline(4, 4)
    buf = bytearray(4)
    tid = mst._reqTransaction(0, buf, 4, 0, rim.Read)
    mst._waitTransaction(tid)
    assert buf == b"\x01\x02\x03\x04" and mst._getError() == ""
    assert calls and calls[0][0] == tid and calls[0][1] != float("inf")


def test_waiter_hook_exception_fails_transaction() -> None:
    class Broken(rim.Slave):
        def _doTransaction(self, transaction: rim.Transaction) -> None:
            transaction._waiter = self._drive

        def _drive(self, tran: rim.Transaction, deadline: float) -> None:
            raise OSError("socket gone")

    mst = rim.Master()
    mst >> Broken(4, 4)
    mst._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert "waiting failed" in mst._getError() and "socket gone" in mst._getError()
