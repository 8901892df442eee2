"""``RateDrop``: thins a stream, by time period or by frame count."""

from __future__ import annotations

import time

from ..._errors import GeneralError
from .frame import Frame
from .master import Master
from .slave import Slave

__all__ = ["RateDrop"]

_clock = time.monotonic  # module-level so tests can substitute a clock


class RateDrop(Master, Slave):
    """A master+slave that forwards only some of the frames it receives.

    ``RateDrop(True, value)``: forward at most one frame per ``value`` seconds;
    a frame passes when the previous pass (or, for the first, the construction)
    is more than ``value`` seconds ago. ``RateDrop(False, value)`` (or
    ``value == 0``): forward one frame, drop the next ``int(value)``, repeat;
    the first frame passes.
    """

    def __init__(self, period: bool, value: float) -> None:
        Master.__init__(self)
        Slave.__init__(self)
        if value < 0:
            raise GeneralError("RateDrop", f"value {value} is negative")
        self._period = bool(period) and value != 0
        if self._period:
            self._interval = float(value)
            self._next = _clock() + self._interval
        else:
            self._target = int(value)
            self._count = self._target  # so the first frame passes

    def _acceptFrame(self, frame: Frame) -> None:
        """Forward ``frame`` or drop it, by the period or the count."""
        if self._period:
            now = _clock()
            if now > self._next:
                self._next = now + self._interval
                self._sendFrame(frame)
        elif self._count == self._target:
            self._count = 0
            self._sendFrame(frame)
        else:
            self._count += 1

    def __repr__(self) -> str:
        if self._period:
            return f"<RateDrop period={self._interval}s>"
        return f"<RateDrop pass 1 drop {self._target}>"
