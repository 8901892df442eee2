"""ZeroMQ socket monitors for every bridge end: which events, their reader, their parser, peers counted from them.

Every bridge end follows its sockets' connections through libzmq monitors:
:data:`LINK_EVENTS` is the set it asks for, :func:`monitor_reader` attaches
the socket that reads them, :func:`parse_event` is the one parser (pyzmq's
``parse_monitor_message``), :func:`waiting_events` the one reader, and
:class:`Monitor` turns the events of one socket into its count of peers whose
handshake succeeded (:class:`PeerTracker`). A monitor's events come from its
reader socket or, for an exclusive server socket whose monitor the ZAP
service owns, from an :class:`EventQueue` the service passes them on to; both
are read the same way (``recv_multipart(NOBLOCK)`` raising ``zmq.Again`` when
empty).
"""

from __future__ import annotations

import itertools
import logging
from collections import deque
from collections.abc import Callable, Iterator
from typing import Union

import zmq
from zmq.utils.monitor import parse_monitor_message

from .context import context

__all__ = [
    "LINK_EVENTS", "EventQueue", "Monitor", "MonitorSource", "PeerTracker", "drain_events", "event_name",
    "monitor_reader", "parse_event", "waiting_events",
]

# The monitor events a bridge asks for: connection events only. libzmq blocks its I/O
# thread (every bridge of the process) when a monitor queue is full, so periodic events
# (CONNECT_RETRIED every 100 ms without a server) are not asked for; and BIND_FAILED
# would overwrite the errno (EADDRINUSE) of the failed bind.
LINK_EVENTS = (
    zmq.EVENT_LISTENING
    | zmq.EVENT_CONNECTED
    | zmq.EVENT_ACCEPTED
    | zmq.EVENT_DISCONNECTED
    | zmq.EVENT_HANDSHAKE_SUCCEEDED
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_AUTH
    # Posted once, by disable_monitor(): how stop() wakes a receive loop that sleeps in poll().
    | zmq.EVENT_MONITOR_STOPPED
)
_NOBLOCK = int(zmq.NOBLOCK)
_mon_ids = itertools.count(1)


class EventQueue:
    """Monitor events passed from the ZAP service's thread to a bridge's thread.

    Read like a monitor socket (``recv_multipart(zmq.NOBLOCK)`` raises
    ``zmq.Again`` when empty), but a deque: no ZeroMQ socket, so no file
    descriptor (a PAIR pair per server socket cost two). ``notify`` (set by the
    reader, called by the service after each event) wakes the reader's poll.
    """

    def __init__(self) -> None:
        self._q: deque[list[bytes]] = deque()
        self.notify: Callable[[], None] | None = None

    def put(self, msg: list[bytes]) -> None:
        """Queue one monitor message and wake the reader (service thread)."""
        self._q.append(msg)
        notify = self.notify
        if notify is not None:
            notify()

    def __len__(self) -> int:
        """Messages waiting (a cheap look before reading: an empty read raises)."""
        return len(self._q)

    def recv_multipart(self, flags: int = 0) -> list[bytes]:
        """The oldest queued message; ``zmq.Again`` when there is none (never blocks)."""
        try:
            return self._q.popleft()
        except IndexError:
            raise zmq.Again() from None

    def close(self, linger: int | None = None) -> None:
        """Drop what is queued and stop waking the reader (idempotent)."""
        self.notify = None
        self._q.clear()


#: Where a monitor's events are read from: its reader socket, or the ZAP service's queue.
MonitorSource = Union["zmq.Socket[bytes]", EventQueue]


def monitor_reader(sock: zmq.Socket[bytes], events: int = LINK_EVENTS) -> zmq.Socket[bytes]:
    """Attach a monitor for ``events`` to ``sock`` (before its bind/connect) and return the socket that reads it.

    The reader is unbounded (``RCVHWM`` 0: libzmq blocks its I/O thread, every
    bridge's, on a full monitor) and lingers for nothing. Each monitor gets a
    unique ``inproc`` name, so a rebuilt socket's never collides with its
    predecessor's. Disable the monitor (``sock.disable_monitor()``) before
    closing the reader: libzmq blocks on a monitor whose reader is gone.
    """
    endpoint = f"inproc://rogue-bridge.monitor.{next(_mon_ids)}"
    sock.monitor(endpoint, events)
    reader: zmq.Socket[bytes] = context().socket(zmq.PAIR)
    reader.rcvhwm = 0
    reader.linger = 0
    reader.connect(endpoint)
    return reader


def parse_event(msg: list[bytes]) -> tuple[int, int, str]:
    """``(event, value, endpoint)`` from a ZeroMQ monitor message, parsed by pyzmq's ``parse_monitor_message``.

    Monitor events are per connection, not per frame: pyzmq's parser (~1.5 us) costs nothing that shows.
    A malformed message raises RuntimeError (pyzmq's).
    """
    ev = parse_monitor_message(msg)
    return int(ev["event"]), int(ev["value"]), ev["endpoint"].decode(errors="replace")


def waiting_events(source: MonitorSource) -> Iterator[tuple[int, int, str, list[bytes]]]:
    """``(event, value, endpoint, message)`` for each monitor message waiting in ``source``, without blocking."""
    recv = source.recv_multipart
    while True:
        try:
            msg = recv(_NOBLOCK)
        except zmq.Again:
            return
        event, value, endpoint = parse_event(msg)
        yield event, value, endpoint, msg


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


def event_name(event: int) -> str:
    """``"HANDSHAKE_SUCCEEDED"`` for a ZeroMQ event number (the number if unknown)."""
    try:
        return zmq.Event(event).name or str(event)
    except ValueError:
        return str(event)


def drain_events(source: MonitorSource, peers: PeerTracker, log: logging.Logger, role: str,
                 on_event: Callable[[int, int], None] | None = None) -> bool:
    """Apply every waiting monitor event of one socket to ``peers``; True when its peer count changed.

    ``on_event(event, value)`` also sees each event (handshake outcomes, for
    the memory client). Each event is a debug line naming ``role``.
    """
    changed = False
    debug = log.isEnabledFor(logging.DEBUG)
    for event, value, endpoint, _ in waiting_events(source):
        if debug:
            log.debug("%s socket event %s value=%d %s", role, event_name(event), value, endpoint)
        if on_event is not None:
            on_event(event, value)
        if peers.event(event, value):
            changed = True
    return changed


class Monitor:
    """One bridge socket's monitor events and the peers they count, whatever delivers them.

    The source is the socket's monitor reader, which the bridge polls
    (:attr:`pollable`), or, for an exclusive server socket whose monitor the
    ZAP service owns, the :class:`EventQueue` the service passes its events on
    to (no file descriptor: :attr:`pollable` is None and ``wake`` is called
    after each event). Either way :meth:`drain` applies what is waiting.
    ``role`` names the socket in debug lines.
    """

    __slots__ = ("source", "role", "peers", "pollable", "_queue", "_log", "_wake")

    def __init__(self, source: MonitorSource, role: str, log: logging.Logger,
                 wake: Callable[[], None] | None = None) -> None:
        self.role = role
        self.peers = PeerTracker()
        self._log = log
        self._wake = wake
        self.source: MonitorSource
        self.pollable: zmq.Socket[bytes] | None
        self._queue: EventQueue | None
        self._attach(source)

    def _attach(self, source: MonitorSource) -> None:
        self.source = source
        if isinstance(source, EventQueue):
            self.pollable, self._queue = None, source
            source.notify = self._wake
        else:
            self.pollable, self._queue = source, None

    def replace(self, source: MonitorSource) -> None:
        """Read ``source`` from now on (the socket was rebuilt): its connections are forgotten."""
        self.peers.reset()
        self._attach(source)

    def drain(self, on_event: Callable[[int, int], None] | None = None) -> bool:
        """Apply every waiting event (see :func:`drain_events`); True when the peer count changed."""
        queue = self._queue
        if queue is not None and not len(queue):  # a queue is looked at first: an empty read raises
            return False
        return drain_events(self.source, self.peers, self._log, self.role, on_event)
