"""``rogue.utilities.Prbs`` behaviour: configuration, frame content, checking rules, the generator thread."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

import rogue
import rogue.interfaces.stream as ris
import rogue.utilities
from rogue.utilities import Prbs
from conftest import wait_until
from test_prbs_lfsr import reference_frame, reference_words


class Keep(ris.Slave):
    """Keeps every frame's bytes and signals each arrival."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []
        self.cv = threading.Condition()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        with self.cv:
            self.frames.append(frame.getBytes())
            self.cv.notify_all()

    def wait(self, n: int, timeout: float = 10.0) -> bool:
        with self.cv:
            return self.cv.wait_for(lambda: len(self.frames) >= n, timeout)


class Source(ris.Master):
    def send(self, data: bytes, error: int = 0) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        frame.setError(error)
        self._sendFrame(frame)


def _tx_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "rogue-bridge:Prbs:tx" and t.is_alive()]


def test_module_and_defaults() -> None:
    assert rogue.utilities.Prbs is Prbs and "Prbs" in rogue.utilities.__all__
    p = Prbs()
    assert isinstance(p, ris.Master) and isinstance(p, ris.Slave)
    assert p.getRxEnable() is True and p.getTxPeriod() == 0
    for get in (p.getRxErrors, p.getRxCount, p.getRxBytes, p.getTxErrors, p.getTxCount, p.getTxBytes):
        assert get() == 0
    for get in (p.getRxRate, p.getRxBw, p.getTxRate, p.getTxBw):
        assert get() == 0.0
    keep = Keep()
    p >> keep
    p.genFrame(16)  # frame 0: default width 32, taps [1, 2, 6, 31]
    assert keep.frames == [reference_frame(32, [1, 2, 6, 31], 0, 16)]


@pytest.mark.parametrize("taps", [bytes([3, 63]), bytearray([3, 63]), np.array([3, 63], dtype=np.uint8), [3, 63], (3, 63)])
def test_set_taps_forms(taps: object) -> None:
    p, keep = Prbs(), Keep()
    p >> keep
    p.setWidth(64)
    p.setTaps(taps)
    p.genFrame(8 * 400)
    p.genFrame(8 * 400)
    assert keep.frames[1] == reference_frame(64, [3, 63], 1, 8 * 400)


def test_set_taps_rejects() -> None:
    p = Prbs()
    with pytest.raises(rogue.GeneralError, match="tap 256 is out of range"):
        p.setTaps([1, 256])
    with pytest.raises(rogue.GeneralError) as err:
        p.setTaps(5)
    assert str(err.value) == "Prbs::setTapsPy: General Error: Python Buffer Error"


def test_taps_rules_repeat_cancels_and_above_width_reads_zero() -> None:
    a, b, keep_a, keep_b = Prbs(), Prbs(), Keep(), Keep()
    a >> keep_a
    b >> keep_b
    a.setTaps([1, 2, 6, 31, 6, 6, 40, 200])  # 6 three times = once; 40 and 200 are above the width
    b.setTaps([1, 2, 6, 31])
    for _ in range(3):
        a.genFrame(4000)
        b.genFrame(4000)
    assert keep_a.frames == keep_b.frames


@pytest.mark.parametrize("width", [0, -32, 16, 33, 544, 1024])
def test_bad_widths_refused_with_rogue_text(width: int) -> None:
    with pytest.raises(rogue.GeneralError) as err:
        Prbs().setWidth(width)
    assert str(err.value) == "Prbs::setWidth: General Error: Invalid width."


@pytest.mark.parametrize("width", range(32, 513, 32))
def test_every_width_round_trip_small_and_large(width: int) -> None:
    tx, rx = Prbs(), Prbs()
    tx >> rx
    for p in (tx, rx):
        p.setWidth(width)
        p.setTaps([0, 3, 5, 17, 31, width - 1 if width <= 256 else 255])
    wb = width // 8
    sizes = [3 * wb, 10 * wb, 300 * wb, (1 << 18) // wb * wb]
    for s in sizes:
        tx.genFrame(s)
    assert (rx.getRxErrors(), rx.getRxCount(), rx.getRxBytes()) == (0, 4, sum(sizes))


def test_checker_seeds_from_the_whole_first_word() -> None:
    # Rogue seeds the expected payload with the received word 0, all of it (not only the sequence).
    rx, src = Prbs(), Source()
    src >> rx
    rx.setWidth(64)
    for seq, words in ((7, 5), (8, 500)):
        seed = (0xA5 << 56) | seq
        payload = reference_words(64, [1, 2, 6, 31], seed, words - 2)
        src.send(seed.to_bytes(8, "little") + (words - 1).to_bytes(8, "little") + payload)
    assert (rx.getRxCount(), rx.getRxErrors()) == (2, 0)
    # the next frame with that payload but word 0 = sequence only: its payload no longer matches
    src.send((9).to_bytes(8, "little") + (499).to_bytes(8, "little") + payload)
    assert (rx.getRxCount(), rx.getRxErrors()) == (2, 1)


@pytest.mark.parametrize("words", [5, 5000])
def test_send_count_and_gen_payload_off(words: int) -> None:
    p, keep = Prbs(), Keep()
    p >> keep
    p.setWidth(64)
    p.sendCount(True)
    p.genFrame(8 * words)
    head = bytes(8) + (words - 1).to_bytes(8, "little")
    assert keep.frames[0] == head + b"".join(i.to_bytes(8, "little") for i in range(2, words))
    p.sendCount(False)
    p.genPayload(False)
    p.genFrame(8 * words)
    assert keep.frames[1] == (1).to_bytes(8, "little") + (words - 1).to_bytes(8, "little") + bytes(8 * (words - 2))


def test_sequence_wraps_and_reset_count_keeps_it() -> None:
    tx, rx, keep = Prbs(), Prbs(), Keep()
    tx >> keep
    tx >> rx
    tx.genFrame(12)
    tx.genFrame(12)
    tx.resetCount()
    assert (tx.getTxCount(), tx.getTxBytes()) == (0, 0)
    tx.genFrame(400)
    assert keep.frames[-1] == reference_frame(32, [1, 2, 6, 31], 2, 400)
    tx._tx_seq = 2**32 - 1  # white box: jump to the end of the sequence
    tx.genFrame(400)
    tx.genFrame(400)
    assert keep.frames[-2][:4] == b"\xff\xff\xff\xff" and keep.frames[-1][:4] == bytes(4)
    # the jump costs the checker one error; the wrap to 0 never does
    assert (rx.getRxCount(), rx.getRxErrors()) == (4, 1)


def test_corrupt_large_frame_logs_first_bad_word(caplog: pytest.LogCaptureFixture) -> None:
    tx, flip, rx = Prbs(), Source(), Prbs()
    keep = Keep()
    tx >> keep
    flip >> rx
    tx.genFrame(4096)
    tx.genFrame(4096)
    data = bytearray(keep.frames[1])
    data[8 + 4 * 700 + 2] ^= 0x10  # payload word 700
    data[8 + 4 * 900] ^= 0x01  # and 900: only the first is reported
    rogue.Logging.setFilter("pyrogue.prbs", rogue.Logging.Warning)
    flip.send(keep.frames[0])
    with caplog.at_level(logging.WARNING, logger="pyrogue.prbs.rx"):
        flip.send(bytes(data))
    assert (rx.getRxCount(), rx.getRxErrors()) == (1, 1)
    text = "\n".join(r.getMessage() for r in caplog.records if r.name == "pyrogue.prbs.rx")
    assert "Bad value at index 700. count=1, size=1023" in text
    assert "\n   700:2 Got=0x" in text and "index 900" not in text


def test_loopback_into_itself_and_no_slave() -> None:
    p = Prbs()
    p.genFrame(64)  # no slave: generated and counted
    p >> p
    p.genFrame(64)  # Rogue would deadlock on its own mutex here
    assert (p.getTxCount(), p.getRxCount(), p.getRxErrors()) == (2, 1, 0)


def test_rx_disabled_holds_the_sender_until_enabled_or_stopped(no_thread_leak: None) -> None:
    tx, rx = Prbs(), Prbs()
    tx >> rx
    rx.setRxEnable(False)
    assert rx.getRxEnable() is False
    t = threading.Thread(target=tx.genFrame, args=(64,))
    t.start()
    t.join(0.2)
    assert t.is_alive() and rx.getRxCount() == 0 and tx.getTxCount() == 0
    rx.setRxEnable(True)
    t.join(5)
    assert not t.is_alive() and rx.getRxCount() == 1 and tx.getTxCount() == 1
    rx.setRxEnable(False)
    t = threading.Thread(target=tx.genFrame, args=(64,))
    t.start()
    t.join(0.1)
    assert t.is_alive()
    rx.stop()  # a stopped checker no longer holds anybody back
    t.join(5)
    assert not t.is_alive()


def test_enable_paced_by_tx_period_then_disable(no_thread_leak: None) -> None:
    tx, rx = Prbs(), Prbs()
    tx >> rx
    keep = Keep()
    tx >> keep
    tx.setTxPeriod(20_000)  # 50 frames/s
    assert tx.getTxPeriod() == 20_000
    tx.enable(1024)
    tx.enable(1024)  # already running: nothing more
    assert len(_tx_threads()) == 1
    assert keep.wait(2)
    t0 = time.monotonic()
    assert keep.wait(62, 30)
    rate = 60 / (time.monotonic() - t0)
    tx.disable()
    assert _tx_threads() == []
    n = tx.getTxCount()
    assert 25 <= rate <= 100, rate
    assert 25 <= tx.getTxRate() <= 100 and 25 * 1024 <= tx.getTxBw() <= 100 * 1024
    assert 25 <= rx.getRxRate() <= 100 and 25 * 1024 <= rx.getRxBw() <= 100 * 1024
    assert rx.getRxErrors() == 0 and rx.getRxCount() == n == len(keep.frames)
    tx.disable()  # again: nothing
    # restart: the sequence carries on, the checker sees no gap
    tx.setTxPeriod(0)
    tx.enable(64)
    assert keep.wait(n + 50)
    tx.stop()
    assert _tx_threads() == []
    assert rx.getRxErrors() == 0 and rx.getRxCount() == tx.getTxCount()


class Gate(ris.Slave):
    """Blocks every frame until the gate opens."""

    def __init__(self) -> None:
        super().__init__()
        self.open = threading.Event()
        self.arrived = threading.Event()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.arrived.set()
        self.open.wait(10)


def test_blocked_send_blocks_the_generator_nothing_dropped(no_thread_leak: None) -> None:
    tx, gate, rx = Prbs(), Gate(), Prbs()
    tx >> rx
    tx >> gate  # attached last: gets each frame first and holds it
    tx.enable(256)
    assert gate.arrived.wait(5)
    time.sleep(0.1)
    assert tx.getTxCount() == 0 and rx.getRxCount() == 0  # stuck in the first send
    gate.open.set()
    wait_until(lambda: rx.getRxCount() >= 100, what="100 frames received")
    tx.disable()
    assert _tx_threads() == []
    assert rx.getRxErrors() == 0 and rx.getRxCount() == tx.getTxCount() >= 100


def test_generator_error_is_counted_and_ends_the_thread(no_thread_leak: None) -> None:
    tx = Prbs()
    tx.setTxPeriod(1000)
    tx.enable(36)  # fine for width 32 ...
    tx.setWidth(64)  # ... not for 64: the next genFrame fails
    wait_until(lambda: not _tx_threads(), what="the generator thread ending")
    assert tx.getTxErrors() == 1
    tx.disable()
