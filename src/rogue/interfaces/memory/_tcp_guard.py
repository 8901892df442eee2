"""Who a memory bridge talks to: one client per port pair, many clients, CURVE, allow-list.

Server side, :class:`ServerGuard` gives both server sockets a ZAP policy
(:mod:`rogue._zap`) before they are bound: by default the pair is exclusive
(a second client is refused during the ZeroMQ handshake, never answered with
someone else's data); optionally an IP allow-list and CURVE with a list of
client public keys.

Client side, :func:`secure_client` makes a socket a CURVE client; whether the
server admits the client is the state machine ``_client_admission.Admission``.

Many-clients mode (``manyClients=True`` on both sides; rogue-bridge peers
only): the server's response socket at P+1 is a ROUTER; each client's response
socket is a DEALER with a random 16-byte routing id, and every request carries
that id as an extra first part, so each response goes to its sender. A Rogue
(C++) PULL cannot connect to the ROUTER (ZMTP refuses the socket type), and a
request without the id part is dropped with a warning.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

import zmq

from ..._errors import GeneralError
from ..._keys import KeySpec, apply_client
from ..._zap import PeerGroup, Policy, register
from ..._zap_policy import EventQueue
from ._server_core import (
    ROUTE_SIZE,  # one definition: the core checks it, new_route() makes it
)

__all__ = ["ROUTE_SIZE", "ServerGuard", "new_route", "secure_client"]


def new_route() -> bytes:
    """A random routing id for a many-clients client's response socket."""
    return os.urandom(ROUTE_SIZE)


def secure_client(sock: zmq.Socket, name: str, clientSecretKey: KeySpec | None, serverPublicKey: KeySpec | None) -> None:
    """Make ``sock`` a CURVE client when both keys are given (before connect)."""
    if (clientSecretKey is None) != (serverPublicKey is None):
        raise GeneralError(name, "CURVE needs both clientSecretKey and serverPublicKey")
    if clientSecretKey is not None and serverPublicKey is not None:
        apply_client(sock, clientSecretKey, serverPublicKey)


class ServerGuard:
    """ZAP policies for a memory server's two sockets (one :class:`PeerGroup`)."""

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        exclusive: bool,
        allow: str | Iterable[str] | None,
        serverSecretKey: KeySpec | None,
        allowedClientKeys: KeySpec | Iterable[KeySpec] | None,
    ) -> None:
        if (serverSecretKey is None) != (allowedClientKeys is None):
            raise GeneralError(name, "CURVE needs both serverSecretKey and allowedClientKeys")
        self._name = name
        self._log = log
        self._opts: dict[str, Any] = {
            "exclusive": exclusive,
            "allow": allow,
            "server_secret_key": serverSecretKey,
            "client_keys": allowedClientKeys,
        }
        self._group = PeerGroup(f"memory server {name}", log)
        self._policies: list[Policy] = []

    def prepare(self, sock: zmq.Socket) -> EventQueue | None:
        """Give ``sock`` its policy (call before bind); returns its monitor events, if the policy owns the monitor."""
        # heartbeat=False: no ZMTP heartbeats; the bridge checks its links itself (rogue._heartbeat).
        pol = register(sock, name=self._name, log=self._log, group=self._group, forward_events=True,
                       heartbeat=False, **self._opts)
        self._policies.append(pol)
        return pol.events

    def client_ip(self) -> str:
        """The IP address of the client an exclusive pair serves ("" when unknown)."""
        for pol in self._policies:
            if pol._owner_ip:
                return pol._owner_ip
        return ""

    def close(self) -> None:
        """End the policies (after the sockets were closed, or from their thread)."""
        for pol in self._policies:
            pol.close()
        self._policies.clear()
