"""When a new stream bridge starts reading: once a slave is attached, or after a grace period (no sockets, no clock of its own).

Frames are not read while the bridge has no slave yet, for at most
:data:`ATTACH_GRACE_S` after its creation: ``TcpClient(...)`` connects at once,
and frames a waiting far side sends before ``tcp >> slave`` ran would
otherwise be given to nobody. They wait in ZeroMQ's queue (the far sender
feels back-pressure); past the grace a bridge with no slave drops what it
receives, as Rogue does (a send-only bridge). Within the grace the receive
thread looks for a first slave after 5 ms, then twice as long each time up to
100 ms: a slave attached right after creation is seen at once, and a bridge
that never gets one wakes ~25 times in its grace instead of 400.
"""

from __future__ import annotations

__all__ = ["ATTACH_GRACE_S", "AttachGrace"]

ATTACH_GRACE_S = 2.0
_FIRST_MS = 5
_MAX_MS = 100


class AttachGrace:
    """The receive thread's wait for a first slave: :meth:`step` says when to start reading."""

    __slots__ = ("reading", "poll_ms", "_end")

    def __init__(self, created: float) -> None:
        self.reading = False
        self.poll_ms = _FIRST_MS  # how long the next poll may sleep while not reading
        self._end = created + ATTACH_GRACE_S

    def step(self, has_slaves: bool, now: float) -> bool:
        """Call before each poll while not :attr:`reading`; True when reading starts now."""
        if has_slaves or now >= self._end:
            self.reading = True
            return True
        self.poll_ms = min(2 * self.poll_ms, _MAX_MS)
        return False
