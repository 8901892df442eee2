"""Socket creation for every bridge end: one place for options, monitors, bind/connect and their errors."""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from typing import Optional, TypeVar, Union

import zmq

from .._errors import GeneralError
from .context import context
from .heartbeat import Heartbeat
from .listener import Listen, listening_address
from .monitor import EventQueue, MonitorSource, monitor_reader

__all__ = [
    "Prepare", "Socket", "close_all", "make_socket", "open_inproc", "open_pair", "open_retrying", "open_socket",
    "set_receive_timeout", "setup_error",
]

T = TypeVar("T")
#: A bridge socket (pyzmq's, receiving bytes).
Socket = zmq.Socket[bytes]
#: A bridge socket and the source of its monitor events.
Opened = tuple[Socket, MonitorSource]
#: What runs on a socket before its bind/connect (security); may return the socket's monitor events.
Prepare = Callable[[Socket], Optional[EventQueue]]


def open_socket(kind: int, url: str, bind: bool, name: str, addr: str, port: int,
                log: logging.Logger, prepare: Prepare | None = None,
                connect: bool = True, heartbeat: Heartbeat | None = None,
                rcvtimeo: int | None = None, routing_id: bytes | None = None) -> Opened:
    """A socket of the shared context, bound or connected to ``url``, and its monitor (every bridge end).

    PUSH sockets get ``IMMEDIATE=1`` (nothing is queued for a peer that is not
    connected: a ``NOBLOCK`` send fails, a blocking one waits, instead of piling
    up), ROUTER sockets ``ROUTER_MANDATORY=1`` (a full or vanished peer is an
    error to handle, not a silent drop); every socket gets ``LINGER=0``. The monitor (:data:`~.monitor.LINK_EVENTS`)
    is attached before bind/connect so the first connection's events are not
    missed. Raises GeneralError naming ``addr`` and the port pair ``port``/``port + 1``
    when the socket cannot be bound or connected.

    ``prepare(sock)`` runs before bind/connect (security: ``rogue._security.SocketGuard.prepare``); when it returns
    something, that is the monitor to read: the ZAP service owns the real one
    and passes its events on. ``connect=False`` leaves a client socket unconnected.
    ``heartbeat``: the bridge's link checking (``rogue._transport.heartbeat``; PUSH and ROUTER
    send, PULL and DEALER receive). ``rcvtimeo``: ``RCVTIMEO`` in ms. ``routing_id``: a DEALER's ``ROUTING_ID``.
    """
    sock: Socket = context().socket(kind)
    mon: MonitorSource | None = None
    try:
        sock.setsockopt(zmq.LINGER, 0)
        if heartbeat is not None:
            heartbeat.apply(sock, kind in (zmq.PUSH, zmq.ROUTER))
        if ":" in addr:
            sock.setsockopt(zmq.IPV6, 1)
        if kind == zmq.PUSH:
            sock.setsockopt(zmq.IMMEDIATE, 1)
        elif kind == zmq.ROUTER:
            sock.setsockopt(zmq.ROUTER_MANDATORY, 1)
        if rcvtimeo is not None:
            sock.setsockopt(zmq.RCVTIMEO, rcvtimeo)
        if routing_id is not None:
            sock.setsockopt(zmq.ROUTING_ID, routing_id)
        if prepare is not None:
            try:
                mon = prepare(sock)
            except Exception:  # bad keys or options: nothing is left open
                sock.disable_monitor()  # a policy may have attached one: it stops first (see below)
                sock.close(linger=0)
                raise
        if mon is None:
            # LINK_EVENTS has MONITOR_STOPPED: stop() disabling a monitor wakes the loop polling it at once.
            mon = monitor_reader(sock)
        role = "push" if kind == zmq.PUSH else "pull"
        if bind:
            log.debug("Creating %s server port: %s", role, url)
            sock.bind(url)
        elif connect:
            log.debug("Creating %s client port: %s", role, url)
            sock.connect(url)
    except zmq.ZMQError as exc:
        # The monitor stops before the socket closes, while its reader (ours, or the ZAP
        # service's) still reads: libzmq's reaper blocks for good sending MONITOR_STOPPED to a
        # monitor whose reader is gone, and then no socket of the process closes any more.
        sock.disable_monitor()
        if mon is not None:
            mon.close(linger=0)
        sock.close(linger=0)
        raise GeneralError(name, setup_error(exc, bind, addr, port)) from exc
    return sock, mon


def make_socket(kind: int, addr: str, prepare: Prepare | None = None, *, rcvtimeo: int | None = None,
                subscribe: bytes | None = None, relaxed: bool = False) -> Socket:
    """A socket of the shared context, configured and prepared, not bound or connected (no monitor).

    For pyrogue's remote interface (``rogue.interfaces.ZmqServer``/``ZmqClient``),
    which binds a trio of ports found by trying candidates and connects its REQ
    and SUB sockets itself: ``LINGER`` 0, ``IPV6`` for an IPv6 ``addr``,
    ``rcvtimeo`` (ms), ``subscribe`` (a SUB socket's prefix), ``relaxed`` (a REQ
    socket that may send again before a reply: ``REQ_CORRELATE`` and
    ``REQ_RELAXED``), then ``prepare(sock)`` (security: ``SocketGuard.prepare``).
    If any of it fails the socket is closed and the error raised.
    """
    sock: Socket = context().socket(kind)
    try:
        sock.setsockopt(zmq.LINGER, 0)
        if ":" in addr:
            sock.setsockopt(zmq.IPV6, 1)
        if rcvtimeo is not None:
            sock.setsockopt(zmq.RCVTIMEO, rcvtimeo)
        if subscribe is not None:
            sock.setsockopt(zmq.SUBSCRIBE, subscribe)
        if relaxed:
            sock.setsockopt(zmq.REQ_CORRELATE, 1)
            sock.setsockopt(zmq.REQ_RELAXED, 1)
        if prepare is not None:
            prepare(sock)
    except BaseException:
        sock.close(linger=0)
        raise
    return sock


def set_receive_timeout(sock: Socket, ms: int) -> None:
    """Change ``RCVTIMEO`` of an open socket (a remote-interface client's wait period)."""
    sock.setsockopt(zmq.RCVTIMEO, ms)


def open_inproc(kind: int, endpoint: str, bind: bool, linger: int = 0) -> Socket:
    """A socket of the shared context bound or connected to an ``inproc://`` ``endpoint`` (the ZAP handler's)."""
    sock: Socket = context().socket(kind)
    sock.linger = linger
    try:
        if bind:
            sock.bind(endpoint)
        else:
            sock.connect(endpoint)
    except zmq.ZMQError:
        sock.close(linger=0)
        raise
    return sock


def open_pair(first: Callable[[], Opened], second: Callable[[], Opened],
              release: Callable[[list[Listen]], None]) -> tuple[Opened, Opened]:
    """A bridge end's two sockets with their monitors: ``first()``, then ``second()``.

    When either fails, what was opened is closed (its monitor stopped first)
    and ``release(listening)`` runs with the addresses the first socket
    listened on (the caller ends its security and waits for them to be free:
    P is free again when the constructor raises because P+1 was taken); then
    the error propagates.
    """
    try:
        a = first()
    except Exception:
        release([])
        raise
    try:
        b = second()
    except Exception:
        sock, mon = a
        where = listening_address(sock)
        sock.disable_monitor()
        sock.close(linger=0)
        mon.close(linger=0)
        release([where] if where is not None else [])
        raise
    return a, b


def open_retrying(open_: Callable[[], T], running: Callable[[], bool], within: float = 1.0) -> T:
    """``open_()``, retried for up to ``within`` s while the port is still held by a socket just closed.

    libzmq releases a closed socket's listener asynchronously, so a socket
    rebuilt on the same port may find it in use for a moment. Any other error,
    a stop (``running()`` false) or the time running out raises the GeneralError.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            return open_()
        except GeneralError as exc:
            cause = exc.__cause__
            busy = isinstance(cause, zmq.ZMQError) and cause.errno == errno.EADDRINUSE
            if not busy or not running() or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def setup_error(exc: zmq.ZMQError, bind: bool, addr: str, port: int) -> str:
    """The text of a failed bind or connect of a bridge on ``addr`` ports ``port``/``port + 1``."""
    if exc.errno == errno.EADDRINUSE:
        return f"cannot bind address {addr} port {port} or {port + 1}: already in use"
    return f"cannot {'bind' if bind else 'connect to'} address {addr} ports {port}/{port + 1}: {exc}"


def close_all(*socks: Union[Socket, MonitorSource, None]) -> None:
    """Close sockets (``None`` entries skipped) without lingering."""
    for s in socks:
        if s is not None:
            s.close(linger=0)
