"""``Slave``: the receiving end of a stream connection (and, as a ``Pool``, where its master's frames come from)."""

from __future__ import annotations

import threading
from typing import Any

from ..._errors import GeneralError
from ..._logging import Logging
from .frame import Frame
from .pool import Pool

__all__ = ["Slave"]


class Slave(Pool):
    """Receives frames in ``_acceptFrame``; also the pool that allocates frames (a :class:`Pool`).

    Subclass it, call ``super().__init__()`` and override
    ``_acceptFrame(frame)``. The base ``_acceptFrame`` counts frames and bytes
    and, after ``setDebug``, logs each frame. As the primary slave of a master
    it answers that master's ``_reqFrame`` (``Pool._acceptReq``).
    """

    def __init__(self) -> None:
        Pool.__init__(self)
        # State under mangled names (``_Slave__...``, distinct from the memory Slave's, as one
        # object may be both): pyrogue and user subclasses own every plain attribute name.
        self.__countLock = threading.Lock()
        self.__frameCount = 0
        self.__byteCount = 0
        self.__debugBytes = 0
        self.__debugLog: Any = None

    # -- receiving -----------------------------------------------------------
    def _acceptFrame(self, frame: Frame) -> None:
        """Receive one frame: the base class counts it and logs it after ``setDebug``."""
        with self.__countLock:
            self.__frameCount += 1
            self.__byteCount += frame._payload
        log = self.__debugLog
        if log is not None:
            n = min(self.__debugBytes, frame._payload)
            data = " ".join(f"0x{b:02x}" for b in memoryview(frame._buf)[:n])
            log.critical("Got Size: %d, Error: %d, Data: %s", frame._payload, frame._error, data)

    def setDebug(self, maxBytes: int, name: str) -> None:
        """Log every frame received by the base ``_acceptFrame`` (size, error, first ``maxBytes`` bytes)."""
        self.__debugBytes = int(maxBytes)
        self.__debugLog = Logging.create(name)

    def getFrameCount(self) -> int:
        """Frames received by the base ``_acceptFrame``."""
        return self.__frameCount

    def getByteCount(self) -> int:
        """Payload bytes received by the base ``_acceptFrame``."""
        return self.__byteCount

    def _stop(self) -> None:
        """Stop the slave (release its resources; the base class holds none)."""

    # -- operators ---------------------------------------------------------------
    def __lshift__(self, other: Any) -> Any:
        """``slave << master``: connect ``master >> slave`` and return ``master``."""
        if not hasattr(other, "_addSlave"):
            raise GeneralError("Slave.__lshift__", f"{other!r} is not a stream master")
        other._addSlave(self)
        return other

    def __eq__(self, other: object) -> Any:
        """``a == b`` connects both ways when both are master and slave."""
        from .master import Master

        if isinstance(self, Master):
            return Master.__eq__(self, other)
        if isinstance(other, (Master, Slave)):
            raise GeneralError("Slave.__eq__", f"{self!r} == {other!r}: both sides must be stream master and slave")
        return NotImplemented

    __hash__ = object.__hash__

    def __ne__(self, other: object) -> bool:
        """Identity test: Python's default ``!=`` would call ``__eq__`` and connect the two."""
        return self is not other
