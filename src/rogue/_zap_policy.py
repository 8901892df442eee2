"""The per-socket side of the ZAP service: what a socket admits, and what a client saw.

:class:`Policy` (one server socket's admission rules and connection state),
:class:`PeerGroup` (the sockets one client uses together, and rate-limited
refusal warnings) and :func:`handshake_result` (a client's view of its
handshakes). The service that applies them is :mod:`rogue._zap`.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections import deque
from typing import Any, Callable

import zmq

from ._logging import Logging

__all__ = ["EventQueue", "PeerGroup", "Policy", "handshake_result"]

_log = Logging.create("zap")
_WARN_PERIOD_S = 60.0  # one warning per refused address and reason in this time
_FAILED = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL


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


def handshake_result(event: int, value: int) -> str | None:
    """Classify a client socket's monitor event: ``'ok'``, ``'busy'``, ``'refused'``, ``'failed'`` or None.

    ``'busy'``: an exclusive server already serves another client. ``'refused'``:
    the server's ZAP handler said no (address or CURVE key not allowed). libzmq
    does not retry either by itself. ``'failed'``: the handshake broke (a wrong
    CURVE server key, a NULL client on a CURVE port, a socket type the port does
    not serve). ``value`` is the event's value.
    """
    if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
        return "ok"
    if event == zmq.EVENT_HANDSHAKE_FAILED_AUTH:
        return "busy" if value == 500 else "refused"
    if event & _FAILED:
        return "failed"
    return None


class PeerGroup:
    """The server sockets one client uses together (a memory server's P and P+1).

    Refusal warnings are counted per group, so a client refused on both sockets,
    or retrying, gives one warning per ``_WARN_PERIOD_S``.
    """

    def __init__(self, name: str, log: logging.Logger | None = None) -> None:
        self.name = name
        self.log = log or _log
        self.members: list[Policy] = []
        self._warned: dict[tuple[str, str], list[float]] = {}  # (reason, ip) -> [last, suppressed]

    def warn(self, reason: str, ip: str, msg: str, *args: Any) -> None:
        """Log ``msg`` unless this ``reason`` for ``ip`` was logged less than a period ago."""
        now = time.monotonic()
        seen = self._warned.get((reason, ip))
        if seen is not None and now - seen[0] < _WARN_PERIOD_S:
            seen[1] += 1
            return
        extra = f" ({int(seen[1])} more refusals of this address since the last warning)" if seen and seen[1] else ""
        self._warned[(reason, ip)] = [now, 0]
        if len(self._warned) > 1024:  # a scan of many addresses must not grow this for ever
            self._warned = {k: v for k, v in self._warned.items() if now - v[0] < _WARN_PERIOD_S}
        self.log.warning(msg + extra, *args)


class Policy:
    """What one server socket admits; made by :func:`register`, ended by :meth:`close`.

    Counters ``admitted`` and ``refused`` count ZAP decisions. The connection
    state is kept by the service thread only.
    """

    def __init__(
        self,
        sock: zmq.Socket,
        name: str,
        group: PeerGroup,
        exclusive: bool,
        allow: tuple[Any, ...] | None,
        client_keys: frozenset[bytes] | None,
    ) -> None:
        self.name = name
        self.group = group
        self.exclusive = exclusive
        self.allow = allow
        self.client_keys = client_keys
        self.domain = b""
        self.admitted = 0
        self.refused = 0
        self._sock: zmq.Socket | None = sock
        self._mon: zmq.Socket | None = None
        #: The bridge's view of the socket's monitor (``forward_events``): libzmq allows
        #: one monitor per socket, so the service reads it and passes every event on.
        self.events: EventQueue | None = None
        self._open: set[int] = set()  # connections accepted and not yet closed (fds)
        self._grant: set[int] | None = None  # connections that may be the admitted client's
        self._owner_ip = ""
        self._stopped = threading.Event()
        self._close_lock = threading.Lock()
        self._closed = False
        self._service: Any = None  # the rogue._zap service, once registered
        self._release: Callable[[Policy], None] = lambda pol: None

    @property
    def active(self) -> bool:
        """True when this policy takes part in handshakes (it has a ZAP domain)."""
        return self._service is not None

    def _allows(self, ip: str) -> bool:
        assert self.allow is not None
        try:
            addr = ipaddress.ip_address(ip.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        return any(addr in net for net in self.allow)

    def _serving(self) -> bool:
        """True while a client admitted earlier may still be connected (service thread)."""
        grant = self._grant
        if grant is None:
            return False
        grant &= self._open
        if grant:
            return True
        self._grant = None
        if _log.isEnabledFor(logging.DEBUG):
            _log.debug("%s: its client (%s) left", self.name, self._owner_ip)
        self._owner_ip = ""
        return False

    def close(self, timeout: float = 2.0) -> None:
        """Forget the socket: call after closing it, or from the thread that owns it (idempotent)."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        svc, sock, self._sock = self._service, self._sock, None
        if svc is None:
            return
        if self._mon is not None:
            if sock is not None and not sock.closed:
                try:
                    sock.disable_monitor()  # libzmq then sends MONITOR_STOPPED
                except zmq.ZMQError:
                    pass
            svc.wake()
            # The reader may be closed only after MONITOR_STOPPED: libzmq blocks on a
            # monitor whose reader is gone. If it never comes, the reader is left open.
            if not self._stopped.wait(timeout):
                _log.debug("%s: monitor did not stop within %.1f s", self.name, timeout)
        self._release(self)

    def __repr__(self) -> str:
        return f"<Policy {self.name} domain={self.domain.decode()} exclusive={self.exclusive}>"
