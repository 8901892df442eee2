"""Who a memory bridge talks to: one client per port pair, many clients, CURVE, allow-list.

Server side, :class:`ServerGuard` gives both server sockets a ZAP policy
(:mod:`rogue._zap`) before they are bound: by default the pair is exclusive
(a second client is refused during the ZeroMQ handshake, never answered with
someone else's data); optionally an IP allow-list and CURVE with a list of
client public keys.

Client side, :class:`ClientLink` follows the handshakes of the client's two
sockets (fed from the receive thread's monitor events) and says what to do:
connect the response socket once the request socket was admitted (so two of
our clients starting together never each win one socket of a server's pair),
and, when refused, which text the transactions fail with and when to try again
(libzmq never retries a refused connection by itself).

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
from time import monotonic
from typing import Any

import zmq

from ..._errors import GeneralError
from ..._keys import KeySpec, apply_client
from ..._zap import PeerGroup, Policy, handshake_result, register
from ..._zap_policy import EventQueue
from ._server_core import ROUTE_SIZE  # one definition: the core checks it, new_route() makes it

__all__ = ["ROUTE_SIZE", "ClientLink", "ServerGuard", "new_route", "secure_client"]

RETRY_S = 1.0  # a refused client asks again this often (the server warns once a minute)
RETRY_FAILED_S = 5.0  # after a broken handshake (keys or mode differ): rarely worth asking


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


class ClientLink:
    """The admission state of a memory client, from its sockets' handshakes (receive thread).

    :attr:`refusal` is read by any thread: empty while the client may send, else
    the text its transactions fail with at once.
    """

    def __init__(self, addr: str, port: int, many: bool) -> None:
        self._where = f"memory server at {addr}:{port}"
        self._port1 = port + 1
        self._many = many
        self.refusal = ""
        self.response_connected = False
        self.retry_at = 0.0
        self._attempt_at = 0.0  # when the retry in progress began (0: none)
        self._handshaking = {"request": False, "response": False}

    def event(self, role: str, event: int, value: int) -> str | None:
        """Apply one monitor event of the ``'request'`` or ``'response'`` socket.

        Returns ``'connect_response'`` (the request socket was admitted: connect
        the response socket now), ``'refused'`` (fail what is in flight, drop the
        connections, retry at :attr:`retry_at`) or None.
        """
        result = handshake_result(event, value)
        if event == zmq.EVENT_CONNECTED:
            self._handshaking[role] = True
        elif result is not None:
            self._handshaking[role] = False
        elif event == zmq.EVENT_DISCONNECTED and self._handshaking[role] and role == "response":
            # libzmq drops a peer of the wrong socket type (PULL to the ROUTER of a
            # many-clients server, DEALER to a plain PUSH) with no handshake event.
            self._handshaking[role] = False
            result = "failed"
        if result is None:
            return None
        if result == "ok":
            if role == "response":  # admitted on both ports: the attempt is over
                self.refusal = ""
                self._attempt_at = 0.0
            elif not self.response_connected:
                return "connect_response"
            return None
        self._attempt_at = 0.0
        if result == "busy":
            text = f"{self._where} already serves another client"
        elif result == "refused":
            text = f"{self._where} refused this client: its address or CURVE key is not allowed"
        elif role == "response":
            other = "plain clients (it serves many clients" if self._many is False else "many-clients clients (it serves one"
            text = f"{self._where} does not accept {other}: set manyClients alike on both sides)"
        else:
            text = f"handshake with {self._where} failed (CURVE keys or security settings differ)"
        self.refusal = text
        self.retry_at = monotonic() + (RETRY_FAILED_S if result == "failed" else RETRY_S)
        return "refused"

    def retry_due(self, now: float) -> bool:
        """True when a refused client should connect again now (call periodically).

        The refusal text stays while the new attempt is under way (it takes one
        round trip); an attempt with no outcome for ``2 * RETRY_S`` means the
        server is gone, and the client then behaves as one that is not connected.
        """
        if not self.refusal:
            return False
        if self._attempt_at:
            if now - self._attempt_at > 2 * RETRY_S:
                self.refusal = ""
                self._attempt_at = 0.0
            return False
        if now >= self.retry_at:
            self._attempt_at = now
            return True
        return False
