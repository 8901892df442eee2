"""Who a memory bridge talks to: one client per port pair, many clients, CURVE, allow-list.

Server side, the server's ``rogue._security.BridgeSecurity`` (applied by a
``rogue._socket_guard.SocketGuard``) gives both server sockets a ZAP policy
(:mod:`rogue._zap`) before they are bound: by default the pair is exclusive
(a second client is refused during the ZeroMQ handshake, never answered with
someone else's data); optionally an IP allow-list and CURVE with a list of
client public keys. A client's CURVE keys are set the same way.

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

import os
from time import monotonic

import zmq

from ..._zap import handshake_result
from ._server_core import ROUTE_SIZE  # one definition: the core checks it, new_route() makes it

__all__ = ["ROUTE_SIZE", "ClientLink", "new_route"]

RETRY_S = 1.0  # a refused client asks again this often (the server warns once a minute)
RETRY_FAILED_S = 5.0  # after a broken handshake (keys or mode differ): rarely worth asking


def new_route() -> bytes:
    """A random routing id for a many-clients client's response socket."""
    return os.urandom(ROUTE_SIZE)


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
