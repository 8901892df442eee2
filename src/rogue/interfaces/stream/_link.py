"""Bookkeeping for the stream bridge: link state, counters, rate-limited warnings.

No sockets here: :class:`PeerTracker` is fed ZeroMQ monitor events,
:class:`WarnLimiter` decides which warnings reach the logger, and
:class:`LinkStatus` is the part of the bridge's API that reports on the link.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable

import zmq

from ..._zmq import LINK_EVENTS, parse_event

__all__ = ["LINK_EVENTS", "LinkStatus", "PeerTracker", "WarnLimiter", "drain_events", "event_name", "parse_event"]


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
    def fds(self) -> list[int]:
        """File descriptors of the connections still open (handshake done or not)."""
        return [*self._up, *self._pending]

    @property
    def peers(self) -> int:
        """Connections whose handshake succeeded and that are still open."""
        return len(self._up)


class WarnLimiter:
    """Logs the first ``burst`` warnings, then at most one summary per ``period`` seconds.

    A flood of bad messages thus costs a bounded number of log lines. Used from
    one thread only (the bridge's receive thread), so it takes no lock.
    """

    def __init__(
        self, log: logging.Logger, what: str, burst: int = 10, period: float = 1.0, level: int = logging.WARNING
    ) -> None:
        self._log = log
        self._level = level
        self._what = what
        self._burst = burst
        self._period = period
        self._suppressed = 0
        self._last_reason = ""
        self._last_summary = time.monotonic()

    def warn(self, reason: str, exc_info: BaseException | None = None) -> None:
        """Report one event with its ``reason`` (and, while not suppressed, the exception's traceback)."""
        if self._burst > 0:
            self._burst -= 1
            self._log.log(self._level, "%s: %s", self._what, reason, exc_info=exc_info)
            return
        self._suppressed += 1
        self._last_reason = reason
        self.tick()

    def tick(self) -> None:
        """Log the summary of suppressed warnings if one is due (call it periodically)."""
        if self._suppressed:
            now = time.monotonic()
            if now - self._last_summary >= self._period:
                self._log.log(
                    self._level,
                    "%s: %d more in the last %.1f s (last: %s)",
                    self._what,
                    self._suppressed,
                    now - self._last_summary,
                    self._last_reason,
                )
                self._suppressed = 0
                self._last_summary = now


def event_name(event: int) -> str:
    """``"HANDSHAKE_SUCCEEDED"`` for a ZeroMQ event number (the number if unknown)."""
    try:
        return zmq.Event(event).name or str(event)
    except ValueError:
        return str(event)


def drain_events(mon: Any, peers: PeerTracker, log: logging.Logger, role: str,
                 on_event: Callable[[int, int], None] | None = None) -> bool:
    """Apply every waiting monitor event of one socket to ``peers``; True when its peer count changed.

    ``mon`` is a monitor socket, or anything read the same way (the memory
    server's ``EventQueue``). ``on_event(event, value)`` also sees each event
    (handshake outcomes, for the memory client). Each event is a debug line.
    """
    changed = False
    while True:
        try:
            msg = mon.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return changed
        event, value, endpoint = parse_event(msg)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s socket event %s value=%d %s", role, event_name(event), value, endpoint)
        if on_event is not None:
            on_event(event, value)
        if peers.event(event, value):
            changed = True


class LinkStatus:
    """Link state and counters of a bridge (mixed into ``TcpCore``).

    The receive thread sets the link state and the rx counters, senders the tx
    counters; reading them needs no lock (each is one int written by one thread).
    """

    _loss: Any  # the bridge's rogue._heartbeat.LinkLoss (link losses)

    def _init_status(self) -> None:
        self._running = False
        self._link = threading.Condition()
        self._connected = False
        self._tx_frames = self._tx_bytes = self._tx_dropped = 0
        self._rx_frames = self._rx_bytes = self._malformed = 0
        self._rebuilds = 0

    def _set_connected(self, up: bool) -> bool:
        """Record the link state; True when it changed."""
        with self._link:
            if up == self._connected:
                return False
            self._connected = up
            self._link.notify_all()
        return True

    def isConnected(self) -> bool:
        """True while the far side is connected on both ports (from ZeroMQ socket events)."""
        return self._connected

    def waitReady(self, timeout: float = 10.0) -> bool:
        """Wait up to ``timeout`` seconds for the far side; True once it is connected."""
        with self._link:
            self._link.wait_for(lambda: self._connected or not self._running, timeout)
            return self._connected

    def getTxFrameCount(self) -> int:
        """Frames sent to the far side."""
        return self._tx_frames

    def getTxByteCount(self) -> int:
        """Payload bytes sent to the far side."""
        return self._tx_bytes

    def getTxDropCount(self) -> int:
        """Frames handed in that were not sent because the bridge was stopped."""
        return self._tx_dropped

    def getRxFrameCount(self) -> int:
        """Frames received from the far side and given to the slaves."""
        return self._rx_frames

    def getRxByteCount(self) -> int:
        """Payload bytes received from the far side."""
        return self._rx_bytes

    def getMalformedCount(self) -> int:
        """Received messages dropped as malformed (wrong part count or header sizes)."""
        return self._malformed

    def getLinkLossCount(self) -> int:
        """Times the link was lost after being up (a silent peer, or one that closed)."""
        return self._loss.losses

    def stats(self) -> dict[str, Any]:
        """All counters and the link state in one dict (for monitoring)."""
        return {
            "connected": self._connected,
            "txFrames": self._tx_frames,
            "txBytes": self._tx_bytes,
            "txDropped": self._tx_dropped,
            "rxFrames": self._rx_frames,
            "rxBytes": self._rx_bytes,
            "malformed": self._malformed,
            "pushRebuilds": self._rebuilds,
            "linkLosses": self._loss.losses,
        }
