"""SrpV3Emulation on its own: request frames in, response frames out (srpv3.md)."""

from __future__ import annotations

import json
import logging
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import rogue
import rogue.interfaces.stream as ris
from rogue.protocols.srp import _wire as c
from rogue.protocols.srp.emulation import SrpV3Emulation

from conftest import HANG_S, wait_until

VECTORS = json.loads((Path(__file__).parent / "vectors" / "srpv3.json").read_text())
WAIT_S = 5.0


class Sender(ris.Master):
    """Sends raw request bytes as frames."""

    def send(self, data: bytes, error: int = 0) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        if error:
            frame.setError(error)
        self._sendFrame(frame)


class Capture(ris.Slave):
    """Keeps received frames' bytes; wait_for(n) blocks until n have arrived."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []
        self._cond = threading.Condition()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        with self._cond:
            self.frames.append(frame.getBytes())
            self._cond.notify_all()

    def wait_for(self, n: int) -> list[bytes]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.frames) >= n, WAIT_S), f"got {len(self.frames)} of {n} frames"
            return list(self.frames)


@pytest.fixture
def emu(no_thread_leak: None) -> Iterator[tuple[SrpV3Emulation, Sender, Capture]]:
    emu = SrpV3Emulation()
    tx, rx = Sender(), Capture()
    tx >> emu
    emu >> rx
    yield emu, tx, rx
    emu.stop()


def _read(tid: int, address: int, size: int) -> bytes:
    return c.encode_request(c.OP_READ, tid, address, size, timeout=0)


def _write(tid: int, address: int, data: bytes, op: int = c.OP_WRITE) -> bytes:
    return c.encode_request(op, tid, address, len(data), data, timeout=0)


def test_worker_thread_name(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    names = [t.name for t in threading.enumerate()]
    assert "rogue-bridge:SrpV3Emulation:worker" in names


def test_rogue_vectors_in_order(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    e, tx, rx = emu
    expected = []
    for vec in VECTORS["emulation"]:
        tx.send(bytes.fromhex(vec["request_frame"]))
        if vec["response_frame"] is not None:
            resp = bytes.fromhex(vec["response_frame"])
            if "never written" in vec["note"]:
                resp = resp[:20] + bytes(4) + resp[24:]  # ours: zeros, not uninitialised bytes
            expected.append(resp)
    assert rx.wait_for(len(expected)) == expected
    assert e.getDropCount() == 0


def test_never_written_reads_zero_and_allocates_nothing(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    e, tx, rx = emu
    tx.send(_read(1, 0xDEAD_0000, 4096))
    (resp,) = rx.wait_for(1)
    assert resp == _read(1, 0xDEAD_0000, 4096) + bytes(4096) + bytes(4)
    assert e.getPageCount() == 0


def test_sparse_pages_and_page_crossing(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    e, tx, rx = emu
    data = bytes(range(1, 17))
    tx.send(_write(1, 0x1FF8, data))  # 8 bytes in page 1, 8 in page 2
    tx.send(_read(2, 0x1FF4, 24))
    tx.send(_write(3, 0xFFFF_FFFF_FFFF_F000, b"\xAA" * 4096))
    tx.send(_read(4, 0xFFFF_FFFF_FFFF_FFFC, 4))
    w, r, w2, r2 = rx.wait_for(4)
    assert w == _write(1, 0x1FF8, data) + bytes(4)  # write response: the data now stored
    assert r[20:44] == bytes(4) + data + bytes(4)
    assert w2[20:-4] == b"\xAA" * 4096
    assert r2[20:] == b"\xAA" * 4 + bytes(4)
    assert e.getPageCount() == 3


def test_post_stores_without_response(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    _e, tx, rx = emu
    tx.send(_write(1, 0x40, b"\x01\x02\x03\x04", op=c.OP_POST))
    tx.send(_read(2, 0x40, 4))
    (resp,) = rx.wait_for(1)
    assert c.decode_header(resp).id == 2
    assert resp[20:] == b"\x01\x02\x03\x04" + bytes(4)


def test_response_keeps_hardware_timeout_byte(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    _e, tx, rx = emu
    req = c.encode_request(c.OP_READ, 9, 0x100, 4, timeout=0x0A)
    tx.send(req)
    (resp,) = rx.wait_for(1)
    assert resp[:20] == req


def test_arrival_order(emu: tuple[SrpV3Emulation, Sender, Capture]) -> None:
    _e, tx, rx = emu
    n = 200
    for i in range(n):
        tx.send(_write(2 * i, 0x1000, struct.pack("<I", i)))
        tx.send(_read(2 * i + 1, 0x1000, 4))
    frames = rx.wait_for(2 * n)
    assert [c.decode_header(f).id for f in frames] == list(range(2 * n))
    for i in range(n):
        assert frames[2 * i + 1][20:24] == struct.pack("<I", i)


BAD = [
    (bytes(19), "undersized frame of 19 bytes"),
    (b"\x02" + _read(1, 0, 4)[1:], "version 0x2 is not 3"),
    (struct.pack("<5I", 0x303, 7, 0, 0, 3), "invalid opcode 0x3 (id=7)"),
    (struct.pack("<5I", 0x003, 7, 0, 0, 2), "invalid request size 3 (id=7)"),
    (struct.pack("<5I", 0x003, 7, 0, 0, 1), "invalid request size 2 (id=7)"),
    (struct.pack("<5I", 0x003, 7, 0, 0, 4096), "invalid request size 4097 (id=7)"),
    (_write(7, 0, bytes(8))[:-4], "write frame of 24 bytes lacks data: need 28 (id=7)"),
    (_write(7, 0, bytes(8), op=c.OP_POST)[:-1], "lacks data"),
]


@pytest.mark.parametrize(("frame", "text"), BAD, ids=[t for _f, t in BAD])
def test_malformed_dropped_with_warning(
    emu: tuple[SrpV3Emulation, Sender, Capture], caplog: pytest.LogCaptureFixture, frame: bytes, text: str
) -> None:
    rogue.Logging.setFilter("pyrogue.SrpV3Emulation", rogue.Logging.Warning)
    e, tx, rx = emu
    tx.send(frame)
    tx.send(_read(99, 0, 4))  # handled in order, so the bad one was seen first
    (resp,) = rx.wait_for(1)
    assert c.decode_header(resp).id == 99
    assert e.getDropCount() == 1
    warnings = [r for r in caplog.records if r.name == "pyrogue.SrpV3Emulation"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert text in warnings[0].getMessage()


def test_errored_frame_dropped(emu: tuple[SrpV3Emulation, Sender, Capture], caplog: pytest.LogCaptureFixture) -> None:
    rogue.Logging.setFilter("pyrogue.SrpV3Emulation", rogue.Logging.Warning)
    e, tx, rx = emu
    tx.send(_write(1, 0, b"abcd"), error=0x5)
    tx.send(_read(2, 0, 4))
    (resp,) = rx.wait_for(1)
    assert resp[20:24] == bytes(4)  # the errored write was not stored
    assert e.getDropCount() == 1
    assert "errored frame, error=0x5" in caplog.text


def test_drop_warnings_rate_limited(emu: tuple[SrpV3Emulation, Sender, Capture], caplog: pytest.LogCaptureFixture) -> None:
    rogue.Logging.setFilter("pyrogue.SrpV3Emulation", rogue.Logging.Warning)
    e, tx, rx = emu
    e._warn_period = 3600.0  # no second warning in this test, however slow the machine
    for _ in range(50):
        tx.send(bytes(4))
    tx.send(_read(1, 0, 4))
    rx.wait_for(1)
    assert e.getDropCount() == 50
    # One warning, the rest only counted.
    assert len([r for r in caplog.records if r.name == "pyrogue.SrpV3Emulation"]) == 1


def test_suppressed_drops_are_reported_with_the_next_warning(
    emu: tuple[SrpV3Emulation, Sender, Capture], caplog: pytest.LogCaptureFixture
) -> None:
    rogue.Logging.setFilter("pyrogue.SrpV3Emulation", rogue.Logging.Warning)
    e, tx, rx = emu
    e._warn_period = 3600.0
    for _ in range(3):
        tx.send(bytes(4))
    tx.send(_read(1, 0, 4))
    rx.wait_for(1)
    e._next_warn = 0.0  # the period is over
    tx.send(bytes(5))
    tx.send(_read(2, 0, 4))
    rx.wait_for(2)
    msgs = [r.getMessage() for r in caplog.records if r.name == "pyrogue.SrpV3Emulation"]
    assert len(msgs) == 2
    assert msgs[1].endswith("undersized frame of 5 bytes (2 more dropped since the last warning)")
    assert e.getDropCount() == 4


def test_keeps_serving_after_downstream_raises(no_thread_leak: None) -> None:
    class Boom(ris.Slave):
        def __init__(self) -> None:
            super().__init__()
            self.calls = 0
            self.second = threading.Event()

        def _acceptFrame(self, frame: ris.Frame) -> None:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("downstream failure")
            self.second.set()

    e, tx, boom = SrpV3Emulation(), Sender(), Boom()
    tx >> e >> boom
    try:
        tx.send(_read(1, 0, 4))
        tx.send(_read(2, 0, 4))
        assert boom.second.wait(WAIT_S)
    finally:
        e.stop()


def test_stop_is_quick_idempotent_and_leaves_no_thread(no_thread_leak: None) -> None:
    """stop() discards the queued requests (it does not serve them first), is idempotent, leaves no thread."""
    held, release = threading.Event(), threading.Event()

    class Held(Capture):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            super()._acceptFrame(frame)
            if len(self.frames) == 1:  # hold the worker in the first response: the other 299 stay queued
                held.set()
                release.wait(3 * HANG_S)

    e, tx, rx = SrpV3Emulation(), Sender(), Held()
    tx >> e >> rx
    stopper = threading.Thread(target=e.stop, name="test:srp-stop")
    try:
        for i in range(300):
            tx.send(_read(i, 0, 4096))
        assert held.wait(HANG_S)
        stopper.start()
        wait_until(lambda: not e._running, what="stop() under way")
        release.set()  # the worker ends after the request in hand instead of serving the queue
        stopper.join(HANG_S)
        assert not stopper.is_alive(), "stop() hung"
    finally:
        release.set()
        e.stop()
    assert len(rx.frames) == 1  # the 299 queued requests were discarded, not served
    assert not any(t.name == "rogue-bridge:SrpV3Emulation:worker" for t in threading.enumerate() if t.is_alive())
    n = len(rx.frames)
    e.stop()
    e._stop()
    e.close()
    tx.send(_read(1000, 0, 4))  # ignored after stop
    assert len(rx.frames) == n
