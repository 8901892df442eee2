"""Releasing a bridge server's listening ports before ``close()`` returns.

libzmq closes sockets asynchronously: after ``zmq_close`` returns, the
listening TCP socket is closed a little later by libzmq's I/O thread, so a new
server binding the same port at once failed now and then with EADDRINUSE
(measured: 67 of 200 back-to-back stream bridge cycles, 56 of 200 memory
ones). A server therefore records where it listens when it binds
(:func:`listening_address`, the resolved ``LAST_ENDPOINT``) and, after closing
its sockets, waits until the kernel lets that address be bound again
(:func:`wait_free`): a probe socket with ``SO_REUSEADDR``, as libzmq's own
listeners use, binds only once no socket listens there any more (and a port
another program took at once is told from our own by the kernel's table).

Why not ``zmq_unbind`` and the monitor's ``EVENT_CLOSED``: libzmq ends the
connections accepted by a listener when it is unbound, dropping what is still
queued for them even with a linger (measured: 73 of 800 frames lost), while a
plain close lets them drain; and a client socket's monitor would report
``EVENT_CLOSED`` for every reconnect attempt (``LINK_EVENTS`` leaves periodic
events out on purpose).
"""

from __future__ import annotations

import os
import socket
import time
from typing import NamedTuple

import zmq

from .._errors import GeneralError

__all__ = [
    "RELEASE_S", "Listen", "ensure_released", "listening_address", "port_free", "release_error", "release_timeout",
    "wait_free",
]

#: The longest a server's close() waits for its thread to end and libzmq to close its listeners
#: (generous: on a loaded machine a thread may not run for a second or more).
RELEASE_S = 5.0
_PROBE_SLEEP_S = 0.0005
_PROBE_MAX_SLEEP_S = 0.01
_OWNER_CHECK_S = 0.05  # a port still busy after this long: ask the kernel whose listener it is (then every 0.5 s)
_TCP_TABLES: dict[int, str] = {socket.AF_INET: "/proc/net/tcp", socket.AF_INET6: "/proc/net/tcp6"}


class Listen(NamedTuple):
    """Where a socket listens: address family, host and port."""

    family: int
    host: str
    port: int


def listening_address(sock: zmq.Socket[bytes]) -> Listen | None:
    """The address ``sock`` is bound to (from ``LAST_ENDPOINT``), or None if it is not a TCP listener."""
    try:
        endpoint = sock.getsockopt_string(zmq.LAST_ENDPOINT)
    except zmq.ZMQError:
        return None
    if not endpoint.startswith("tcp://"):
        return None
    host, _, port = endpoint[6:].rpartition(":")
    if not port.isdigit():
        return None
    if host.startswith("[") and host.endswith("]"):
        return Listen(socket.AF_INET6, host[1:-1], int(port))
    return Listen(socket.AF_INET, host, int(port))


def port_free(where: Listen) -> bool:
    """True when a listener could bind ``where`` now (nothing listens there)."""
    try:
        probe = socket.socket(where.family, socket.SOCK_STREAM)
    except OSError:
        return True  # the family is not available: nothing of ours can listen there
    with probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if where.family == socket.AF_INET6:
            probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # as libzmq with ZMQ_IPV6
        try:
            probe.bind((where.host, where.port))
        except OSError:
            return False
    return True


def held_by_this_process(where: Listen) -> bool:
    """True when a socket of this process listens on ``where.port`` (Linux: ``/proc``); True if unknown.

    Tells our own listener, not yet closed by libzmq, from another program's
    that bound the port right after ours was released.
    """
    try:
        with open(_TCP_TABLES[where.family]) as f:
            lines = f.read().splitlines()[1:]
        inodes = set()
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == where.port:
                inodes.add(fields[9])
        if not inodes:
            return False
        wanted = {f"socket:[{inode}]" for inode in inodes}
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") in wanted:
                    return True
            except OSError:  # closed meanwhile
                continue
        return False
    except (OSError, KeyError, ValueError, IndexError):
        return True


def wait_free(addresses: list[Listen], timeout: float | None = None) -> list[Listen]:
    """Wait until no listener of this process holds the addresses (call after closing the sockets).

    Returns those still held after ``timeout`` (default :data:`RELEASE_S`). A
    port another program bound after ours was released counts as released (it
    is not ours to free).
    """
    if timeout is None:
        timeout = RELEASE_S
    start = time.monotonic()
    end = start + timeout
    next_owner_check = start + _OWNER_CHECK_S
    delay = _PROBE_SLEEP_S
    suspects: set[Listen] = set()
    pending = list(addresses)
    while True:
        pending = [a for a in pending if not port_free(a)]
        now = time.monotonic()
        if pending and now >= next_owner_check:  # reads the kernel's tables: not on every turn
            still = []
            for a in pending:
                if held_by_this_process(a):
                    suspects.discard(a)
                    still.append(a)
                elif a not in suspects:
                    # Not ours, yet busy: another program's, or ours in the instant between libzmq
                    # dropping the descriptor and the kernel closing the socket. Look again shortly.
                    suspects.add(a)
                    still.append(a)
            pending = still
            next_owner_check = now + (0.2 * _OWNER_CHECK_S if suspects else 10 * _OWNER_CHECK_S)
        if not pending or now > end:
            return pending
        time.sleep(delay)
        delay = min(2 * delay, _PROBE_MAX_SLEEP_S)  # usually free at the first or second look


def release_timeout() -> float:
    """How long a server's ``stop()`` waits for its thread and its ports (:data:`RELEASE_S`, read at each call)."""
    return RELEASE_S


def release_error(name: str, held: list[Listen] | None, why: str = "") -> GeneralError:
    """The error a server's close() raises when its ports are still held."""
    ports = ", ".join(f"{a.host} port {a.port}" for a in held) if held else "its ports"
    return GeneralError(name, f"{ports} not released after close(): {why or f'still listening after {RELEASE_S:.0f} s'}")


def ensure_released(name: str, listening: list[Listen], busy: str = "", busy_held: list[Listen] | None = None) -> None:
    """The end of a server's ``stop()``: return once ``listening`` are free, else raise :func:`release_error`.

    ``busy``: why the ports cannot be released now (a thread still busy in a
    slave, ``busy_held`` the ports it holds); raised at once.
    """
    if not listening:
        return
    if busy:
        raise release_error(name, busy_held, busy)
    held = wait_free(listening)
    if held:
        raise release_error(name, held)
