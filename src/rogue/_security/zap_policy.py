"""The per-socket side of the ZAP service: what one server socket admits.

:class:`Policy` (one server socket's admission rules, its connection state and
its decision on each handshake, :meth:`Policy.admit`) and :class:`PeerGroup`
(the sockets one client uses together, and rate-limited refusal warnings). The
service that feeds them monitor events and ZAP requests is :mod:`.zap`; it
changes a policy's state only through the policy's public methods. A client's
view of the same handshakes is :mod:`.handshake`.
"""

from __future__ import annotations

import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import zmq

from .._logging import Logging
from .._transport import EventQueue, Socket

if TYPE_CHECKING:
    from .options import Network
    from .zap import _Service

__all__ = ["BUSY", "PeerGroup", "Policy"]

_log = Logging.create("zap")
_WARN_PERIOD_S = 60.0  # one warning per refused address and reason in this time
BUSY = b"500"  # ZAP status for "already serves another client" (400 means not allowed)


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

    def warn(self, reason: str, ip: str, msg: str, *args: object) -> None:
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
    """What one server socket admits; made by :func:`rogue._security.zap.guard`, ended by :meth:`close`.

    Counters ``admitted`` and ``refused`` count ZAP decisions. The connection
    state is kept by the service thread only, through :meth:`accepted`,
    :meth:`disconnected`, :meth:`monitor_stopped` and :meth:`admit`.
    """

    def __init__(
        self,
        sock: Socket,
        name: str,
        group: PeerGroup,
        exclusive: bool,
        allow: tuple[Network, ...] | None,
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
        self._sock: Socket | None = sock
        self._mon: Socket | None = None
        #: The bridge's view of the socket's monitor (``forward_events``): libzmq allows
        #: one monitor per socket, so the service reads it and passes every event on.
        self.events: EventQueue | None = None
        self._open: set[int] = set()  # connections accepted and not yet closed (fds)
        self._grant: set[int] | None = None  # connections that may be the admitted client's
        self._owner_ip = ""
        self._stopped = threading.Event()
        self._close_lock = threading.Lock()
        self._closed = False
        self._service: _Service | None = None  # the ZAP service, once attached
        self._release: Callable[[Policy], None] = lambda pol: None

    def attach(self, domain: bytes, service: _Service, release: Callable[[Policy], None],
               monitor: Socket | None = None, events: EventQueue | None = None) -> None:
        """Take part in handshakes under ``domain`` (``service`` wakes on close; ``release`` forgets this policy).

        ``monitor``: the reader of the socket's monitor (exclusive sockets), read by
        the service; ``events``: where the service passes every monitor event on.
        """
        self.domain = domain
        self._mon = monitor
        self.events = events
        self._service = service
        self._release = release

    @property
    def active(self) -> bool:
        """True when this policy takes part in handshakes (it has a ZAP domain)."""
        return self._service is not None

    @property
    def monitor(self) -> Socket | None:
        """The monitor reader the service polls (None when there is none, or it stopped)."""
        return None if self._stopped.is_set() else self._mon

    @property
    def owner_ip(self) -> str:
        """The IP address of the client an exclusive socket serves ("" when none)."""
        return self._owner_ip

    # -- the service thread --------------------------------------------------------------
    def accepted(self, fd: int) -> None:
        """A connection was accepted (monitor event; ``fd`` names it)."""
        self._open.add(fd)

    def disconnected(self, fd: int) -> None:
        """A connection closed: it is no longer the admitted client's either."""
        self._open.discard(fd)
        if self._grant is not None:
            # Now, not later: the kernel reuses a closed descriptor for the next connection.
            self._grant.discard(fd)

    def monitor_stopped(self) -> None:
        """The socket's monitor ended (after :meth:`close` disabled it): close its reader, forget connections."""
        if self._mon is not None:
            self._mon.close(linger=0)
        self._open.clear()
        self._grant = None
        self._stopped.set()

    def admit(self, ip: str, mechanism: bytes, credentials: Sequence[bytes]) -> tuple[bytes, bytes]:
        """The ZAP status and text for a handshake from ``ip`` (counted; refusals warned about, rate-limited).

        Exclusive: the caller has applied every member's waiting monitor events first.
        """
        status, text = self._decide(ip, mechanism, credentials)
        if status == b"200":
            self.admitted += 1
        else:
            self.refused += 1
        return status, text

    def _decide(self, ip: str, mechanism: bytes, credentials: Sequence[bytes]) -> tuple[bytes, bytes]:
        group = self.group
        if self.allow is not None and not self._allows(ip):
            group.warn("allow", ip, "%s refused a connection from %s: address not in its allow-list", self.name, ip)
            return b"400", b"Address not allowed"
        if self.client_keys is not None:
            if mechanism != b"CURVE" or len(credentials) != 1:
                group.warn("curve", ip, "%s refused a connection from %s: no CURVE credentials", self.name, ip)
                return b"400", b"CURVE required"
            if credentials[0] not in self.client_keys:
                group.warn("key", ip, "%s refused a connection from %s: its CURVE public key is not listed", self.name, ip)
                return b"400", b"Unknown key"
        elif mechanism != b"NULL":
            return b"400", b"Mechanism not allowed"
        if self.exclusive:
            holder = self if self._serving() else None
            for member in group.members:
                if holder is None and member is not self and member._serving() and member._owner_ip != ip:
                    holder = member
            if holder is not None:
                group.warn(
                    "busy",
                    ip,
                    "%s already serves a client (from %s): refused another client from %s (one client per port pair)",
                    group.name,
                    holder._owner_ip,
                    ip,
                )
                return BUSY, b"Busy"
            self._grant = set(self._open)
            self._owner_ip = ip
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug("%s: admitted a client from %s", self.name, ip)
        return b"200", b"OK"

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
