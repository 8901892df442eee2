"""ris.Pool (the base of ris.Slave): Rogue's frame allocation and its accounting (issue 13)."""

from __future__ import annotations

import gc
import threading

import pytest

import rogue
import rogue.interfaces.stream as ris


def test_slave_is_a_pool() -> None:
    assert issubclass(ris.Slave, ris.Pool)
    assert isinstance(ris.Fifo(0, 0, False), ris.Pool)


def test_counts_are_of_buffers_in_use_and_return_when_frames_are_freed() -> None:
    pool = ris.Pool()
    a = pool._acceptReq(100, True)
    b = pool._acceptReq(28, False)
    assert (a.getSize(), a.getPayload(), b.getSize()) == (100, 0, 28)
    assert (pool.getAllocCount(), pool.getAllocBytes()) == (2, 128)
    del a
    gc.collect()
    assert (pool.getAllocCount(), pool.getAllocBytes()) == (1, 28)
    del b
    assert (pool.getAllocCount(), pool.getAllocBytes()) == (0, 0)


@pytest.mark.parametrize(("size", "capacity", "buffers"), [
    (0, 0, 0),        # Rogue allocates buffers until the size is covered: none for 0
    (1, 1, 1),        # one 64-byte buffer, 1 usable byte
    (64, 64, 1),
    (65, 128, 2),
    (200, 256, 4),
])
def test_fixed_size_buffers(size: int, capacity: int, buffers: int) -> None:
    pool = ris.Pool()
    pool.setFixedSize(64)
    frame = pool._acceptReq(size, True)
    assert frame.getSize() == capacity
    assert (pool.getAllocCount(), pool.getAllocBytes()) == (buffers, 64 * buffers)
    frame.write(bytes(range(capacity % 256)) if capacity < 256 else bytes(capacity))
    assert frame.getPayload() == capacity


def test_master_asks_its_primary_slave_and_frames_travel_on() -> None:
    m, first, second = ris.Master(), ris.Slave(), ris.Slave()
    m >> first
    m >> second
    kept: list[ris.Frame] = []

    class Keeper(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            kept.append(frame)

    m >> Keeper()
    frame = m._reqFrame(10, True)
    frame.write(b"0123456789")
    m._sendFrame(frame)
    del frame
    assert first.getAllocCount() == 1 and second.getAllocCount() == 0  # a slave downstream still holds it
    kept.clear()
    assert first.getAllocCount() == 0


def test_counts_are_right_with_many_threads() -> None:
    pool = ris.Pool()
    held: list[list[ris.Frame]] = [[] for _ in range(4)]

    def work(k: int) -> None:
        for i in range(2000):
            frame = pool._acceptReq(16, True)
            if i % 2:
                held[k].append(frame)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert (pool.getAllocCount(), pool.getAllocBytes()) == (4000, 64000)
    held.clear()
    gc.collect()
    assert pool.getAllocCount() == 0


def test_bad_sizes_raise() -> None:
    pool = ris.Pool()
    with pytest.raises(rogue.GeneralError):
        pool._acceptReq(-1, True)
    with pytest.raises(rogue.GeneralError):
        pool.setFixedSize(-4)
    with pytest.raises(rogue.GeneralError):
        pool.setPoolSize(-1)
    pool.setPoolSize(16)
    assert pool.getPoolSize() == 16 and pool.getFixedSize() == 0
