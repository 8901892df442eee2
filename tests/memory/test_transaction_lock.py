"""rim.TransactionLock (what Transaction.lock() returns) and ris.FrameLock: held when made, as in Rogue."""

from __future__ import annotations

import threading

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris


class _Keeper(rim.Slave):
    def __init__(self) -> None:
        super().__init__(4, 4096)
        self.got: list[rim.Transaction] = []

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        self.got.append(transaction)


def _held_elsewhere(lock_owner: object) -> bool:
    """True when another thread cannot take the lock now."""
    result: list[bool] = []

    def probe() -> None:
        rl = lock_owner._lock  # type: ignore[attr-defined]
        got = rl.acquire(timeout=0.05)
        if got:
            rl.release()
        result.append(not got)

    t = threading.Thread(target=probe, name="test:lock-probe")
    t.start()
    t.join(5)
    return result[0]


def test_transaction_lock_is_held_when_made_and_released_by_unlock_and_with() -> None:
    master, slave = rim.Master(), _Keeper()
    master >> slave
    master._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slave.got[0]
    lk = tran.lock()
    assert isinstance(lk, rim.TransactionLock)
    assert _held_elsewhere(lk)
    lk.unlock()
    assert not _held_elsewhere(lk)
    lk.unlock()  # twice: nothing
    lk.lock()
    assert _held_elsewhere(lk)
    lk.unlock()
    with tran.lock() as inner:
        assert _held_elsewhere(inner)
        with tran.lock():  # reentrant in the same thread
            tran.setData(b"\x01\x02\x03\x04")
            tran.done()
        assert _held_elsewhere(inner)
    assert not _held_elsewhere(inner)
    master._waitTransaction(0)
    assert master._getError() == ""


def test_a_dropped_lock_is_released() -> None:
    master, slave = rim.Master(), _Keeper()
    master >> slave
    master._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slave.got[0]
    lk = tran.lock()

    class Raw:
        _lock = lk._lock

    assert _held_elsewhere(Raw)
    del lk  # Rogue's destructor unlocks
    assert not _held_elsewhere(Raw)
    tran.done()
    master._waitTransaction(0)


def test_the_masters_timeout_waits_for_a_held_lock() -> None:
    master, slave = rim.Master(), _Keeper()
    master >> slave
    master._setTimeout(1000)  # 1 ms
    master._reqTransaction(0, bytearray(4), 4, 0, rim.Read)
    tran = slave.got[0]
    with tran.lock():
        waiter = threading.Thread(target=master._waitTransaction, args=(0,), name="test:waiter")
        waiter.start()
        waiter.join(0.2)
        assert waiter.is_alive()  # the timeout needs the lock we hold
        if not tran.expired():  # expired: its time is over, so the slave must not finish it
            tran.done()
    waiter.join(5)
    assert "Timeout" in master._getError()


def test_frame_lock_is_held_when_made() -> None:
    frame = ris.Master()._reqFrame(4, True)
    lk = frame.lock()
    assert isinstance(lk, ris.FrameLock) and _held_elsewhere(lk)
    lk.unlock()
    assert not _held_elsewhere(lk)
    with frame.lock() as held:
        assert _held_elsewhere(held)
    assert not _held_elsewhere(held)
