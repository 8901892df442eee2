"""A bridge's :class:`BridgeSecurity` applied to each socket it opens, and what that leaves to end.

The frozen :class:`~.options.BridgeSecurity` says what a bridge allows;
a :class:`SocketGuard` is the per-bridge mutable part: the ZAP policies of a
server's sockets (one :class:`~.zap_policy.PeerGroup`, so a memory server's
P and P+1 admit one client together), the CURVE keys of a client's sockets,
the IP address of the client an exclusive server serves, and
:meth:`SocketGuard.close`. Every bridge end, server or client, applies its
security through one ``SocketGuard`` and nothing else.
"""

from __future__ import annotations

import logging

from .._transport import EventQueue, Socket
from .options import BridgeSecurity
from .zap import guard
from .zap_policy import PeerGroup, Policy

__all__ = ["SocketGuard"]


class SocketGuard:
    """Applies one bridge's security to its sockets (before bind/connect); ends their ZAP policies.

    ``group`` names the server's sockets in refusal warnings (default: the
    bridge's name). ``forward_events``: an exclusive server socket's monitor
    is read by the ZAP service, and :meth:`prepare` returns the queue its
    events are passed on to.
    """

    def __init__(self, security: BridgeSecurity, log: logging.Logger, group: str | None = None,
                 *, forward_events: bool = False) -> None:
        self.security = security
        self._log = log
        self._forward = forward_events
        self._group = PeerGroup(group or security.name, log) if security.server else None
        self._policies: list[Policy] = []

    @property
    def enabled(self) -> bool:
        """True when the sockets get any setting (see :attr:`BridgeSecurity.enabled`)."""
        return self.security.enabled

    def prepare(self, sock: Socket) -> EventQueue | None:
        """Configure ``sock`` before its bind (server: its ZAP policy) or connect (client: CURVE).

        Returns the socket's forwarded monitor events, when the ZAP service owns its monitor.
        """
        if self._group is None:
            self.security.apply_curve(sock)
            return None
        # heartbeat=False: no ZMTP heartbeats; the bridge checks its links itself (rogue._transport.heartbeat).
        pol = guard(sock, self.security, log=self._log, group=self._group, heartbeat=False,
                    forward_events=self._forward)
        if pol.active:
            self._policies.append(pol)
        return pol.events

    def client_ip(self) -> str:
        """The IP address of the client an exclusive server serves ("" when unknown)."""
        for pol in self._policies:
            if pol.owner_ip:
                return pol.owner_ip
        return ""

    def close(self) -> None:
        """End the policies (after the sockets were closed, or from their thread); idempotent."""
        for pol in self._policies:
            pol.close()
        self._policies.clear()
