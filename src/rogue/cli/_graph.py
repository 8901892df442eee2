"""Stream graph pieces the commands plug into bridges: a test-frame generator, counters, echo.

Built on the public stream API only (``ris.Master`` / ``ris.Slave``).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Callable

import rogue.interfaces.stream as ris

from ._common import Pacer, SenderThread
from ._pattern import Checker, payload

__all__ = ["CheckingSlave", "Echo", "FrameStats", "Generator"]

_MAX_LAG_S = 0.5  # a paced generator this far behind schedule resets it


class Generator(SenderThread, ris.Master):
    """Sends numbered test frames (see ``_pattern``) from its own thread.

    ``size_of(seq)`` gives each frame's size; ``rate`` is frames per second
    (0: as fast as the bridge takes them); ``count`` 0 means until ``stop()``.
    With ``channel`` None each frame carries ``seq & 0xFF`` as channel and
    ``seq & 0xFFFF`` as flags, else the fixed channel and flags 0.
    """

    def __init__(
        self,
        name: str,
        size_of: Callable[[int], int],
        rate: float = 0.0,
        count: int = 0,
        channel: int | None = None,
    ) -> None:
        super().__init__()
        self._size_of = size_of
        self._rate = rate
        self._count = count
        self._channel = channel
        self.frames = 0
        self.bytes = 0
        #: Optional flow control: a semaphore taken before each frame (the receiver releases it).
        self.credit: threading.Semaphore | None = None
        self._init_thread(f"rogue-bridge:cli.{name}:generator")

    def _loop(self) -> None:
        size_of, rate, count, channel = self._size_of, self._rate, self._count, self._channel
        stop, credit = self._halt, self.credit
        pacer = Pacer(rate, stop, _MAX_LAG_S)
        seq = 0
        while not stop.is_set() and (count == 0 or seq < count):
            if credit is not None:
                while not credit.acquire(timeout=0.1):
                    if stop.is_set():
                        return
            if not pacer.wait(seq):
                break
            size = size_of(seq)
            frame = self._reqFrame(size, True)
            if size:
                frame.write(payload(seq, size))
            if channel is None:
                frame.setChannel(seq & 0xFF)
                frame.setFlags(seq & 0xFFFF)
            else:
                frame.setChannel(channel)
            self._sendFrame(frame)
            seq += 1
            self.frames = seq
            self.bytes += size


class FrameStats(ris.Slave):
    """Counts received frames: bytes, sizes, channels, frames with a non-zero error.

    ``on_frame(frame)``, if given, is called for each frame (e.g. to print it);
    when ``limit`` frames have arrived, ``done`` is set.
    """

    def __init__(self, on_frame: Callable[[ris.Frame], None] | None = None, limit: int = 0) -> None:
        super().__init__()
        self.frames = 0
        self.bytes = 0
        self.errors = 0
        self.min_size = 0
        self.max_size = 0
        self.channels: Counter[int] = Counter()
        self._on_frame = on_frame
        self._limit = limit
        self.done = threading.Event()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        """Count one frame (none after ``limit``)."""
        if self._limit and self.frames >= self._limit:
            return
        size = frame.getPayload()
        if self.frames == 0 or size < self.min_size:
            self.min_size = size
        if size > self.max_size:
            self.max_size = size
        self.frames += 1
        self.bytes += size
        if frame.getError():
            self.errors += 1
        self.channels[frame.getChannel()] += 1
        if self._on_frame is not None:
            self._on_frame(frame)
        if self._limit and self.frames >= self._limit:
            self.done.set()

    def channel_text(self, most: int = 4) -> str:
        """``0:120 3:7`` (the busiest channels)."""
        if not self.channels:
            return "-"
        text = " ".join(f"{c}:{n}" for c, n in sorted(self.channels.most_common(most)))
        return text + (" ..." if len(self.channels) > most else "")

    def size_text(self) -> str:
        """``min/avg/max`` payload size in bytes."""
        if not self.frames:
            return "-"
        return f"{self.min_size}/{self.bytes // self.frames}/{self.max_size}"


class CheckingSlave(ris.Slave):
    """Checks every received test frame with a :class:`Checker`; ``done`` is set at ``expect`` frames."""

    def __init__(self, size_of: Callable[[int], int], meta: bool = True) -> None:
        super().__init__()
        self.checker = Checker(size_of, meta)
        self.expect = 0
        self.done = threading.Event()
        #: Released once per frame checked (the sender's flow control, see Generator.credit).
        self.credit: threading.Semaphore | None = None

    def _acceptFrame(self, frame: ris.Frame) -> None:
        """Check one frame."""
        c = self.checker
        c.check(frame.getBa(), frame.getChannel(), frame.getFlags(), frame.getError())
        if self.credit is not None:
            self.credit.release()
        if self.expect and c.frames >= self.expect:
            self.done.set()

    def set_expect(self, n: int) -> None:
        """Set ``done`` once ``n`` frames have arrived (at once if they already have)."""
        self.expect = n
        if self.checker.frames >= n:
            self.done.set()


class Echo(ris.Master, ris.Slave):
    """Sends every frame it receives back where it came from (``bridge == echo``)."""

    def __init__(self) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.frames = 0
        self.bytes = 0

    def _acceptFrame(self, frame: ris.Frame) -> None:
        """Count ``frame`` and send it back."""
        self.frames += 1
        self.bytes += frame.getPayload()
        self._sendFrame(frame)
