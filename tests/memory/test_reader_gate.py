"""A value read while another thread starts or checks a transaction on the block: ``_reader_gate.ReaderGate``.

Rogue's reader waits for the holder of the block's mutex and reads the bytes the hold leaves; ours does the
same without queueing on the block's lock, so it never holds that lock while it waits for the GIL (a lock
convoy that made pyrogue's update thread fall behind a loop of accesses across the bridge).
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
import pytest

import rogue.interfaces.memory as rim
from rogue.interfaces.memory._reader_gate import ReaderGate

from conftest import running, wait_until
from engine_helpers import R, W, block_of, ge, variable

pytestmark = pytest.mark.timeout(60)


class _Call(threading.Thread):
    """``fn()`` in a thread of its own; its result or exception kept."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.fn, self.result, self.error = fn, None, None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001
            self.error = exc

    def value(self) -> Any:
        self.join(10)
        assert not self.is_alive(), "the call did not return"
        if self.error is not None:
            raise self.error
        return self.result


# -- the gate alone ------------------------------------------------------------------------------------------
def test_a_reader_during_a_hold_reads_what_the_hold_publishes_without_the_lock() -> None:
    gate, lock, data = ReaderGate(), threading.Lock(), bytearray(b"old")
    with lock:
        gate.waiting = True
        readers = [_Call(lambda: gate.read(lock, data, bytes)) for _ in range(3)]
        for r in readers:
            r.start()
        wait_until(lambda: gate.readers == 3, what="the readers to register at the gate")
        data[:] = b"new"
        gate.waiting = False
        gate.publish(data)
        # The holder still holds the lock: the readers never needed it.
        assert [r.value() for r in readers] == [b"new"] * 3
        assert lock.locked()
    assert gate.readers == 0 and gate._snap == b""  # the copy goes with its last reader


def test_a_reader_of_any_other_hold_waits_for_the_lock() -> None:
    gate, lock, data = ReaderGate(), threading.Lock(), bytearray(b"old")
    lock.acquire()
    reader = _Call(lambda: gate.read(lock, data, bytes))
    reader.start()
    wait_until(lambda: running(reader, "read"), what="the reader to wait")
    assert gate.readers == 0 and reader.is_alive()
    data[:] = b"new"
    lock.release()
    assert reader.value() == b"new"


# -- blocks: every read path, during a check and during a start -----------------------------------------------
class Held(rim.Slave):
    """Emulated memory that completes transactions only when released; ``block`` keeps ``_doTransaction`` busy."""

    def __init__(self) -> None:
        super().__init__(4, 4096)
        self.mem = rim.Emulate(4, 4096)
        self.pending: list[Any] = []
        self.block_issue = threading.Event()  # set: _doTransaction itself waits for ``go`` (a slow issue)
        self.go = threading.Event()

    def _doTransaction(self, t: Any) -> None:
        if self.block_issue.is_set():
            self.go.wait(10)
        self.pending.append(t)

    def release(self, error: str = "") -> None:
        while self.pending:
            t = self.pending.pop(0)
            if error:
                t.error(error)
            else:
                self.mem._doTransaction(t)


def _poke(held: Held, address: int, data: bytes) -> None:
    """Put ``data`` into the emulated memory directly (what the hardware holds)."""
    m = rim.Master()
    m._setSlave(held.mem)
    m._reqTransaction(address, bytearray(data), 0, 0, W)
    m._waitTransaction(0)
    assert m._getError() == ""


CASES = {
    # name: (variable, bytes in memory, the value read)
    "u32 (fast scalar)": (lambda: variable(rim.UInt, 32, minimum=0, maximum=2 ** 32 - 1),
                          bytes.fromhex("78563412"), 0x12345678),
    "12-bit field (general scalar)": (lambda: variable(rim.UInt, 12, 4), bytes.fromhex("f0ab0000"), 0xABF),
    "u32 x4 list (fast list)": (lambda: variable(rim.UInt, numValues=4, valueBits=32, valueStride=32),
                                bytes(range(16)), np.frombuffer(bytes(range(16)), "<u4")),
    "12-bit x4 list (general list)": (lambda: variable(rim.UInt, numValues=4, valueBits=12, valueStride=12),
                                      bytes.fromhex("ffffffffffff0000"), np.array([0xFFF] * 4, dtype=np.uint16)),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_get_during_a_check_waits_for_the_read_and_returns_it(case: str, no_thread_leak: None) -> None:
    make, memory, expected = CASES[case]
    held = Held()
    v = make()
    blk = block_of(v, slave=held)
    _poke(held, 0, memory)
    checker = _Call(lambda: blk._startTransaction(R, False, True, None, -1))  # start and check: holds the lock
    checker.start()
    wait_until(lambda: held.pending and running(checker, "__check"), what="the check to wait for the read")
    reader = _Call(lambda: v._get(-1))
    reader.start()
    gate = blk._Block__rb.gate
    wait_until(lambda: gate.readers == 1, what="the get to wait at the block's gate")
    held.release()
    checker.value()
    got = reader.value()
    if isinstance(expected, np.ndarray):
        assert got.dtype == expected.dtype and list(got) == list(expected)
    else:
        assert got == expected
    assert gate.readers == 0 and not blk._Block__rb.lock.locked()


def test_a_get_during_a_failed_check_is_answered_too(no_thread_leak: None) -> None:
    held = Held()
    v = variable(rim.UInt, 32, minimum=0, maximum=2 ** 32 - 1)
    blk = block_of(v, slave=held)
    v._set(7, -1)
    blk._Block__rb.stale = False  # not written: the read goes out
    checker = _Call(lambda: blk._startTransaction(R, False, True, None, -1))
    checker.start()
    wait_until(lambda: held.pending and running(checker, "__check"), what="the check to wait for the read")
    reader = _Call(lambda: v._get(-1))
    reader.start()
    wait_until(lambda: blk._Block__rb.gate.readers == 1, what="the get to wait at the block's gate")
    held.release("bus error")
    with ge("bus error"):
        checker.value()
    assert reader.value() == 7  # the image as the failed check left it


def test_a_get_during_a_slow_start_reads_what_the_start_leaves(no_thread_leak: None) -> None:
    held = Held()
    v = variable(rim.UInt, 32, minimum=0, maximum=2 ** 32 - 1)
    blk = block_of(v, slave=held)
    v._set(0x55, -1)
    held.block_issue.set()
    writer = _Call(lambda: blk._startTransaction(W, False, False, None, -1))  # a slave slow to take the write
    writer.start()
    wait_until(lambda: running(writer, "_doTransaction"), what="the start to issue the write")
    reader = _Call(lambda: v._get(-1))
    reader.start()
    wait_until(lambda: blk._Block__rb.gate.readers == 1, what="the get to wait at the block's gate")
    held.go.set()
    writer.value()
    assert reader.value() == 0x55
    held.release()
    blk._checkTransaction()
