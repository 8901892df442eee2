"""rim.Block without pyrogue: update notification, threads, instance attributes and _lock, the rest of its API."""

from __future__ import annotations

import logging
import re
import sys
import threading
from typing import Any

import pytest

import rogue.interfaces.memory as rim

from conftest import SPEC, wait_until
from engine_helpers import R, V, W, ListData, Model, block_of, bus, ge, variable


# -- updates -------------------------------------------------------------------------------------------------
class Notified(rim.Variable):
    def __init__(self, seen: list[tuple[str, bool]], name: str, bitOffset: int, fail: bool = False,
                 updateNotify: bool = True) -> None:
        super().__init__(name, "RW", 0, 255, 0, [bitOffset], [8], False, True, True, updateNotify, Model(rim.UInt),
                         ListData(), 0)
        self.seen, self.fail = seen, fail

    def _queueUpdate(self) -> None:
        lock = self._block_lock()
        free = lock.acquire(False)
        if free:
            lock.release()
        self.seen.append((self._Variable__rb.name, free))  # type: ignore[attr-defined]
        if self.fail:
            raise RuntimeError("listener failed")

    def _block_lock(self) -> Any:
        return self._Variable__rb.bst.lock  # type: ignore[attr-defined]


def test_updates_in_order_outside_the_lock(caplog: pytest.LogCaptureFixture) -> None:
    rec, hub = bus(0)
    seen: list[tuple[str, bool]] = []
    a = Notified(seen, "A", 0)
    b = Notified(seen, "B", 8, fail=True)
    c = Notified(seen, "C", 16, updateNotify=False)
    d = Notified(seen, "D", 24)
    blk = block_of(a, b, c, d, slave=hub)
    blk._startTransaction(R, False, False, None, -1)
    assert seen == []
    blk._checkTransaction()
    assert seen == [("A", True), ("B", True), ("D", True)]  # B's exception is logged, D still notified
    assert any("_queueUpdate" in r.getMessage() for r in caplog.records)
    seen.clear()
    blk._startTransaction(R, False, True, a, -1)
    assert [n for n, _ in seen] == ["A", "B", "D"]
    seen.clear()
    a._set(1, -1)
    blk._startTransaction(W, False, True, a, -1)  # a waited write notifies too
    assert [n for n, _ in seen] == ["A", "B", "D"]


def test_a_failed_check_keeps_the_update_pending() -> None:
    rec, hub = bus(0)
    seen: list[tuple[str, bool]] = []
    a = Notified(seen, "A", 0)
    blk = block_of(a, slave=hub)
    rec.fail = 1
    blk._startTransaction(R, False, False, None, -1)
    with ge("boom"):
        blk._checkTransaction()
    assert seen == []
    blk._checkTransaction()  # registers.md 2.9 item 6
    assert seen == [("A", True)]


# -- threads ---------------------------------------------------------------------------------------------------
class Held(rim.Slave):
    """Emulated memory that completes every transaction only when released."""

    def __init__(self) -> None:
        super().__init__(4, 4096)
        self.mem = rim.Emulate(4, 4096)
        self.pending: list[Any] = []
        self.seen: list[tuple[int, bytes]] = []

    def _doTransaction(self, t: Any) -> None:
        self.pending.append(t)

    def release(self) -> None:
        while self.pending:
            t = self.pending.pop(0)
            data = bytearray(t.size())
            if t.type() == W:
                t.getData(data, 0)  # the live staging buffer, read at completion
            self.seen.append((t.type(), bytes(data)))
            self.mem._doTransaction(t)


def _in_store(thread: threading.Thread) -> bool:
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_filename.endswith(("_access.py", "_access_fast.py")):  # in a setter
            return True
        frame = frame.f_back
    return False


def test_set_waits_for_a_transaction_in_progress(no_thread_leak: None) -> None:
    held = Held()
    v = variable(rim.UInt, 32, minimum=0, maximum=2 ** 32 - 1)
    blk = block_of(v, slave=held)
    v._set(0x11111111, -1)
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            blk._startTransaction(W, True, True, v, -1)  # holds the block lock until the write completes
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    tw = threading.Thread(target=writer)
    tw.start()
    wait_until(lambda: held.pending, what="the write to reach the slave")
    ts = threading.Thread(target=v._set, args=(0x22222222, -1))
    ts.start()
    wait_until(lambda: _in_store(ts), what="the set to wait for the block lock")
    assert blk._Block__rb.lock.locked() and ts.is_alive()  # type: ignore[attr-defined]
    held.release()
    tw.join(10)
    ts.join(10)
    assert not errors
    assert held.seen == [(W, bytes.fromhex("11111111"))]  # the set could not change the bytes being written
    assert v._get(-1) == 0x22222222


# -- instances: __dict__, hygiene, _lock --------------------------------------------------------------------------
def test_state_lives_under_one_mangled_name() -> None:
    attrs = SPEC / "registers_attrs.txt"
    v = variable(rim.UInt, 32)
    blk = block_of(v)
    assert set(vars(v)) == {"_Variable__rb"}
    assert "_Block__rb" in vars(blk) and not any(k.startswith("_Variable") for k in vars(blk))
    if attrs.exists():
        names = set(re.findall(r"self\.(\w+)", attrs.read_text()))
        assert not names & set(vars(v)) and not names & {k for k in vars(blk) if k.startswith("_Block")}
    blk.setEnable = lambda state: None  # type: ignore[method-assign]  # tests monkeypatch instances
    v._getDumpValue = lambda read: "x"  # type: ignore[method-assign]
    assert v._getDumpValue(True) == "x"


def test_user_lock_is_not_the_engine_lock() -> None:
    v = variable(rim.UInt, 32)
    blk = block_of(v)
    with blk._lock:
        with blk._lock:  # re-entrant
            v._set(3, -1)  # does not deadlock: the engine uses its own lock
    assert v._get(-1) == 3

    class Custom(rim.Block):
        def __init__(self) -> None:
            self._lock = "mine"
            super().__init__(0, 4)

    assert Custom()._lock == "mine"


# -- the rest of the Python API -------------------------------------------------------------------------------
def test_dump_with_read_log_level_rate_tests(capsys: pytest.CaptureFixture[str]) -> None:
    rec, hub = bus(0x100)
    v = variable(rim.UInt, 16, 8, name="A", minimum=0, maximum=0xFFFF)
    blk = block_of(v, slave=hub, minAccess=4)
    rec.poke(0x100, bytes([0, 0x34, 0x12, 0]))
    assert v._getDumpValue(False) == "A = 0\n"
    assert v._getDumpValue(True) == "A = 4660\n"  # read first
    v._setLogLevel(logging.DEBUG)
    assert logging.getLogger("pyrogue.memory.block.A").level == logging.DEBUG
    variable(rim.UInt, 8)._setLogLevel(logging.DEBUG)  # no block yet: nothing to do
    v._rateTest(3)
    blk._rateTest(3)
    out = capsys.readouterr().out
    assert "Variable get: Read 3 times in" in out and "Variable set: Wrote 3 times in" in out
    assert "Block raw: Read 3 times in" in out and "Block raw: Wrote 3 times in" in out
    with pytest.raises(TypeError, match="is not a rogue.interfaces.memory.Variable"):
        blk._startTransaction(R, False, False, object(), -1)
    with pytest.raises(TypeError, match="is not a rogue.interfaces.memory.Variable"):
        rim.Block(0, 4).addVariables([object()])


def test_building_blocks_does_not_reset_every_logger(monkeypatch: pytest.MonkeyPatch) -> None:
    """A block's logger costs no pass over all loggers (setLevel clears every logger's cache): building stays linear."""
    block_of(variable(rim.UInt, 32, name="First"))  # the library loggers exist from here on
    calls: list[int] = []
    manager = logging.Logger.manager
    real = manager._clear_cache  # type: ignore[attr-defined]
    monkeypatch.setattr(manager, "_clear_cache", lambda: (calls.append(1), real())[1])
    for k in range(50):
        v = variable(rim.UInt, 32, name=f"V{k}")
        v._updatePath(f"root.Dev.Many{k}")
        block_of(v)
    assert len(calls) <= 2
    assert logging.getLogger("pyrogue.memory.block.root.Dev.Many3").getEffectiveLevel() == logging.ERROR  # Rogue's default
