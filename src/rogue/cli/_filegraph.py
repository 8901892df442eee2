"""The stream pieces of ``record`` and ``play``: between a bridge and a StreamWriter, between a StreamReader and a bridge."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

import rogue.interfaces.stream as ris

if TYPE_CHECKING:
    from rogue.utilities import fileio

__all__ = ["Pacer", "Recorder"]


class Recorder(ris.Master, ris.Slave):
    """Between the bridge and the writer: selects a channel, stops after ``limit`` frames, opens the file.

    The file is opened (and truncated) when the link comes up or the first frame
    arrives, whichever is first, so nothing is written over when nothing answers.
    A frame that cannot be recorded (larger than ``--max-size``, a failed open)
    stops the recording with ``failure`` set, instead of an error per frame.
    """

    def __init__(self, writer: fileio.StreamWriter, path: str, channel: int | None, limit: int, max_size: int,
                 raw: bool) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.writer, self.path = writer, path
        self.channel, self.limit, self.max_size = channel, limit, max_size
        from rogue.utilities.fileio import HEADER_SIZE  # loaded with the writer already

        self.overhead = 0 if raw else HEADER_SIZE
        self.frames = self.bytes = self.empty = 0
        self.failure = ""
        self.opened = False
        self.done = threading.Event()
        self._lock = threading.Lock()

    def open(self) -> None:
        """Open the file (once); a failure ends the recording."""
        with self._lock:
            if self.opened or self.failure:
                return
            try:
                self.writer.open(self.path)
                self.opened = True
            except Exception as exc:  # noqa: BLE001 - the one line says which file and why
                self._fail(f"cannot record to {self.path}: {getattr(exc, 'msg', exc)}")

    def _fail(self, text: str) -> None:
        self.failure = self.failure or text
        self.done.set()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if self.done.is_set() or (self.channel is not None and frame.getChannel() != self.channel):
            return
        n = frame.getPayload()
        if self.max_size and n and n + self.overhead > self.max_size:
            what = f"a {n + self.overhead}-byte record" if self.overhead else f"{n} bytes"
            self._fail(f"a frame of {n} bytes ({what}) does not fit in files of --max-size {self.max_size} bytes; "
                       f"recording stopped after {self.writer.getFrameCount()} frames")
            return
        if not self.opened:
            self.open()
            if self.failure:
                return
        try:
            self._sendFrame(frame)
        except Exception as exc:  # noqa: BLE001 - one line for the command, not a traceback per frame
            self._fail(f"recording stopped after {self.writer.getFrameCount()} frames: "
                       f"{getattr(exc, 'msg', None) or exc}")
            return
        self.frames += 1
        self.bytes += n
        if not n:
            self.empty += 1
        if self.limit and self.frames >= self.limit:
            self.done.set()


class Pacer(ris.Master, ris.Slave):
    """Forwards frames (of ``channel`` only, when given) at ``rate`` frames/s (0: as they come); stops on ``stop``."""

    def __init__(self, rate: float, stop: threading.Event, channel: int | None = None) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.rate, self._halt, self.channel = rate, stop, channel  # not _stop: Master._stop() is a method
        self.frames = self.bytes = 0
        self._t0 = 0.0

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if self._halt.is_set() or (self.channel is not None and frame.getChannel() != self.channel):
            return
        if self.rate:
            if not self.frames:
                self._t0 = time.monotonic()
            delay = self._t0 + self.frames / self.rate - time.monotonic()
            if delay > 0 and self._halt.wait(delay):
                return
        self._sendFrame(frame)
        self.frames += 1
        self.bytes += frame.getPayload()
