"""Releasing a bridge server's listening ports before ``close()`` returns.

libzmq closes sockets asynchronously: after ``zmq_close`` (or ``zmq_unbind``)
returns, the listening TCP socket is closed later by libzmq's I/O thread, so a
new server binding the same port at once fails now and then with EADDRINUSE
(measured before this module: 67 of 200 back-to-back stream bridge cycles). A
bridge therefore unbinds each listening endpoint (the resolved
``LAST_ENDPOINT``) and waits, bounded, for the socket monitor's
``EVENT_CLOSED`` of that listener: libzmq emits it right after ``close()`` of
the listening descriptor. Established connections are not touched by an
unbind, so frames already queued keep draining (the socket's linger).

Server sockets ask for ``EVENT_CLOSED`` (:data:`SERVER_EVENTS`); client sockets
must not: libzmq emits it for every failed reconnect attempt (every 100 ms while
the server is away), the periodic events ``LINK_EVENTS`` leaves out.
"""

from __future__ import annotations

from time import monotonic
from typing import Any, Callable

import zmq

from ._errors import GeneralError
from ._zmq import LINK_EVENTS

__all__ = ["RELEASE_S", "SERVER_EVENTS", "unbind", "wait_released", "release_error"]

#: Monitor events of a bound (server) socket: the link events and the listener's close.
SERVER_EVENTS = LINK_EVENTS | zmq.EVENT_CLOSED
#: The longest a bridge's close() waits for libzmq to close its listening sockets.
RELEASE_S = 2.0


def unbind(sock: zmq.Socket | None) -> bool:
    """Unbind ``sock``'s listening endpoint (the resolved one); True when one was unbound.

    The socket's established connections stay open (they drain per its linger).
    Call from the thread that owns ``sock``.
    """
    if sock is None or sock.closed:
        return False
    try:
        endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
        if not endpoint:
            return False
        sock.unbind(endpoint)
    except zmq.ZMQError:  # already unbound, or the context is ending
        return False
    return True


def wait_released(done: Callable[[], bool], step: Callable[[int], Any], timeout: float = RELEASE_S) -> bool:
    """Call ``step(ms)`` (poll the monitors, apply their events) until ``done()``; False on timeout."""
    end = monotonic() + timeout
    while not done():
        remaining = end - monotonic()
        if remaining <= 0:
            return False
        step(max(1, min(100, int(remaining * 1000))))
    return True


def release_error(name: str, addr: str, port: int, why: str) -> GeneralError:
    """The error a bridge's close() raises when its ports are still held."""
    return GeneralError(name, f"ports {port}/{port + 1} on {addr} not released: {why}")
