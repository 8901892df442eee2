"""``Filter``: passes the frames of one channel, optionally only error-free ones."""

from __future__ import annotations

import logging

from ..._errors import GeneralError
from ..._logging import Logging
from .frame import Frame
from .master import Master
from .slave import Slave

__all__ = ["Filter"]


class Filter(Master, Slave):
    """A master+slave that forwards only frames of ``channel``.

    ``Filter(dropErrors, channel)``: with ``dropErrors`` true, frames whose
    error field is non-zero are dropped as well.
    """

    def __init__(self, dropErrors: bool, channel: int) -> None:
        Master.__init__(self)
        Slave.__init__(self)
        channel = int(channel)
        if not 0 <= channel <= 0xFF:
            raise GeneralError("Filter", f"channel {channel} is out of range 0..255")
        self._drop_errors = bool(dropErrors)
        self._channel = channel
        self._log = Logging.create("stream.Filter")

    def _acceptFrame(self, frame: Frame) -> None:
        """Forward ``frame`` when its channel matches (and, with ``dropErrors``, its error is 0)."""
        if frame._channel != self._channel:
            return
        if self._drop_errors and frame._error:
            if self._log.isEnabledFor(logging.DEBUG):
                self._log.debug("Dropping errored frame: Channel=%d, Error=0x%x", self._channel, frame._error)
            return
        self._sendFrame(frame)

    def __repr__(self) -> str:
        return f"<Filter channel={self._channel} dropErrors={self._drop_errors}>"
