"""PRBS across a stream bridge between two processes (ours at both ends), clean and corrupted in flight."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import rogue.interfaces.stream as ris
from rogue.utilities import Prbs

HERE = Path(__file__).parent


class BitFlipper(ris.Master, ris.Slave):
    """Forwards every frame; in frame number ``n`` of ``flips`` it flips the bits given there first."""

    def __init__(self) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.seen = 0
        self.flips: dict[int, list[tuple[int, int]]] = {}  # frame index -> [(byte offset, bit)]

    def _acceptFrame(self, frame: ris.Frame) -> None:
        n, self.seen = self.seen, self.seen + 1
        if n in self.flips:
            data = bytearray(frame.getBa())
            for offset, bit in self.flips[n]:
                data[offset] ^= 1 << bit
            frame = self._reqFrame(len(data), True)
            frame.write(data)
        self._sendFrame(frame)


class Counted(Prbs):
    """A Prbs checker that signals when a number of frames has been looked at."""

    def __init__(self) -> None:
        super().__init__()
        self.cv = threading.Condition()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        super()._acceptFrame(frame)
        with self.cv:
            self.cv.notify_all()

    def wait_seen(self, n: int, timeout: float = 30.0) -> bool:
        with self.cv:
            return self.cv.wait_for(lambda: self.getRxCount() + self.getRxErrors() >= n, timeout)


def _line(proc: subprocess.Popen[str]) -> dict:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, f"sender ended: {proc.stderr.read() if proc.stderr else ''}"
    return json.loads(line)


def _ask(proc: subprocess.Popen[str], text: str) -> None:
    assert proc.stdin is not None
    proc.stdin.write(text + "\n")
    proc.stdin.flush()


@pytest.mark.timeout(60)
def test_two_processes_clean_then_corrupted_in_flight(port: int) -> None:
    proc = subprocess.Popen([sys.executable, str(HERE / "prbs_peer.py"), str(port), "14"], cwd=HERE,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    client = None
    try:
        assert _line(proc) == {"ready": True}
        client = ris.TcpClient("127.0.0.1", port)
        flipper, rx = BitFlipper(), Counted()
        client >> flipper >> rx
        assert client.waitReady(10.0)

        # 300 frames of mixed sizes: no error, every byte counted.
        _ask(proc, "300")
        sent = _line(proc)
        sizes = sent["sizes"]
        assert len(sizes) == 300 and min(sizes) == 12 and max(sizes) == 1 << 20
        assert rx.wait_seen(300)
        assert (rx.getRxErrors(), rx.getRxCount(), rx.getRxBytes()) == (0, 300, sum(sizes))
        assert sent["txBytes"] == sum(sizes)

        # 20 more (frames 300..319): frame 305 gets a bit of its first payload word flipped: its
        # payload check fails (1 error); its sequence number was taken, so 306 is fine. Frame 312
        # gets bit 3 of its sequence number flipped (312 -> 304, 1 error); 313 then does not follow
        # the number received (a 2nd error) and resyncs the checker: 314 on are fine.
        flipper.flips = {305: [(8, 5)], 312: [(0, 3)]}
        _ask(proc, "20")
        more = _line(proc)["sizes"]
        assert rx.wait_seen(320)
        assert rx.getRxErrors() == 3
        assert rx.getRxCount() == 320 - 3
        bad = {305, 312, 313}
        assert rx.getRxBytes() == sum(sizes) + sum(s for i, s in enumerate(more, 300) if i not in bad)
        _ask(proc, "quit")
        assert proc.wait(20) == 0
    finally:
        if client is not None:
            client.stop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)
