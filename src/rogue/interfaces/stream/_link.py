"""Bookkeeping for the stream bridge: peers seen by a socket, rate-limited warnings.

No sockets here: :class:`PeerTracker` is fed ZeroMQ monitor events, and
:class:`WarnLimiter` decides which warnings reach the logger.
"""

from __future__ import annotations

import logging
import time

import zmq

__all__ = ["PeerTracker", "WarnLimiter"]

_OPENED = zmq.EVENT_CONNECTED | zmq.EVENT_ACCEPTED
_FAILED = zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_AUTH


class PeerTracker:
    """Counts the ZMTP peers of one socket from its monitor events.

    A TCP connection counts once its ZMTP handshake succeeded (so a port scanner
    does not make a link "up"). libzmq reports the file descriptor with
    CONNECTED/ACCEPTED/DISCONNECTED but 0 with HANDSHAKE_SUCCEEDED, so a
    handshake is credited to the oldest connection still waiting for one.
    """

    __slots__ = ("_pending", "_up")

    def __init__(self) -> None:
        self._pending: list[int] = []
        self._up: set[int] = set()

    def event(self, event: int, value: int) -> bool:
        """Apply one monitor event; True when the peer count changed."""
        before = len(self._up)
        if event & _OPENED:
            self._pending.append(value)
        elif event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            if self._pending:
                self._up.add(self._pending.pop(0))
        elif event & _FAILED:
            if self._pending:
                self._pending.pop(0)
        elif event == zmq.EVENT_DISCONNECTED:
            if value in self._pending:
                self._pending.remove(value)
            self._up.discard(value)
        elif event == zmq.EVENT_MONITOR_STOPPED:
            self.reset()
        return len(self._up) != before

    def reset(self) -> None:
        """Forget every connection (the socket was closed or rebuilt)."""
        self._pending.clear()
        self._up.clear()

    @property
    def peers(self) -> int:
        """Connections whose handshake succeeded and that are still open."""
        return len(self._up)


class WarnLimiter:
    """Logs the first ``burst`` warnings, then at most one summary per ``period`` seconds.

    A flood of bad messages thus costs a bounded number of log lines. Used from
    one thread only (the bridge's receive thread), so it takes no lock.
    """

    def __init__(self, log: logging.Logger, what: str, burst: int = 10, period: float = 1.0) -> None:
        self._log = log
        self._what = what
        self._burst = burst
        self._period = period
        self._suppressed = 0
        self._last_reason = ""
        self._last_summary = time.monotonic()

    def warn(self, reason: str) -> None:
        """Report one event with its ``reason``."""
        if self._burst > 0:
            self._burst -= 1
            self._log.warning("%s: %s", self._what, reason)
            return
        self._suppressed += 1
        self._last_reason = reason
        self.tick()

    def tick(self) -> None:
        """Log the summary of suppressed warnings if one is due (call it periodically)."""
        if self._suppressed:
            now = time.monotonic()
            if now - self._last_summary >= self._period:
                self._log.warning(
                    "%s: %d more in the last %.1f s (last: %s)",
                    self._what,
                    self._suppressed,
                    now - self._last_summary,
                    self._last_reason,
                )
                self._suppressed = 0
                self._last_summary = now
