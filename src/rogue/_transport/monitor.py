"""ZeroMQ socket monitors for the bridges: which events, parsed once, peers counted from them.

Every bridge end follows its sockets' connections through libzmq monitors:
:data:`LINK_EVENTS` is the set it asks for, :func:`parse_event` the one parser
(pyzmq's ``parse_monitor_message``), :func:`drain_events` the one reader, and
:class:`PeerTracker` turns the events of one socket into its count of peers
whose handshake succeeded. Anything read like a monitor socket works
(``recv_multipart(NOBLOCK)`` raising ``zmq.Again`` when empty).
"""

from __future__ import annotations

import logging
from typing import Any, Callable

import zmq
from zmq.utils.monitor import parse_monitor_message

__all__ = ["LINK_EVENTS", "Monitor", "PeerTracker", "drain_events", "event_name", "parse_event"]

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

def parse_event(msg: list[bytes]) -> tuple[int, int, str]:
    """``(event, value, endpoint)`` from a ZeroMQ monitor message, parsed by pyzmq's ``parse_monitor_message``.

    Monitor events are per connection, not per frame: pyzmq's parser (~1.5 us) costs nothing that shows.
    A malformed message raises RuntimeError (pyzmq's).
    """
    ev = parse_monitor_message(msg)
    return int(ev["event"]), int(ev["value"]), ev["endpoint"].decode(errors="replace")



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


class Monitor:
    """One bridge socket's monitor events and the peers they count, whatever delivers them.

    The source is the socket's monitor socket, which the reader polls
    (:attr:`pollable`), or, for an exclusive server socket whose monitor the
    ZAP service owns, the queue the service passes its events on to
    (``rogue._security.zap_policy.EventQueue``: no file descriptor; :attr:`pollable` is
    None and ``wake`` is called after each event). Either way :meth:`drain`
    applies what is waiting.
    """

    __slots__ = ("source", "role", "peers", "pollable", "_log")

    def __init__(self, source: Any, role: str, log: logging.Logger, wake: Callable[[], None] | None = None) -> None:
        self.source = source
        self.role = role
        self.peers = PeerTracker()
        self._log = log
        self.pollable: zmq.Socket | None = source if isinstance(source, zmq.Socket) else None
        if self.pollable is None:
            source.notify = wake

    def drain(self, on_event: Callable[[int, int], None] | None = None) -> bool:
        """Apply every waiting event (see :func:`drain_events`); True when the peer count changed."""
        if self.pollable is None and not len(self.source):  # a queue is looked at first: an empty read raises
            return False
        return drain_events(self.source, self.peers, self._log, self.role, on_event)
