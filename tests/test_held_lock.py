"""One lock helper (``rogue._held_lock``): the held, lazily made lock behind ``Frame.lock()`` and ``Transaction.lock()``."""

from __future__ import annotations

import threading

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from rogue._held_lock import HeldLock


class _Owner:
    def __init__(self) -> None:
        self._rlock: threading.RLock | None = None


def test_of_makes_the_owners_lock_once_even_when_threads_race_for_it() -> None:
    owners = [_Owner() for _ in range(200)]
    start = threading.Barrier(8)
    seen: list[list[object]] = [[] for _ in range(8)]

    def take(k: int) -> None:
        start.wait()
        for owner in owners:
            with HeldLock.of(owner) as held:
                seen[k].append(held._lock)

    threads = [threading.Thread(target=take, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(s == seen[0] for s in seen)  # every thread got each owner's one lock
    assert [o._rlock for o in owners] == seen[0]


def test_of_returns_the_callers_class_held_and_reentrant() -> None:
    owner = _Owner()
    held = HeldLock.of(owner)
    assert owner._rlock is not None and held._held
    with HeldLock.of(owner):  # reentrant in the same thread
        pass
    held.unlock()
    assert owner._rlock.acquire(False)  # released: free for this thread
    owner._rlock.release()


def test_frame_and_transaction_locks_come_from_the_helper() -> None:
    frame = ris.Frame._wrap(bytearray(4), 0, 0, 0)
    with frame.lock() as lk:
        assert type(lk) is ris.FrameLock and lk._lock is frame._rlock
    tran = rim.Transaction(0, memoryview(bytearray(4)), 4, rim.Read, 1.0)
    with tran.lock() as tl:
        assert type(tl) is rim.TransactionLock and tl._lock is tran._rlock
    assert frame.lock()._lock is frame._rlock and tran.lock()._lock is tran._rlock  # made once, then reused
