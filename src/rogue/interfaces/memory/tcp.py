"""Memory TCP bridge: ``TcpServer`` and ``TcpClient`` (wire-compatible with SLAC Rogue).

A ``TcpClient`` is a memory slave (``master >> client``) that forwards each
transaction over ZeroMQ to a ``TcpServer``, a memory master (``server >>
slave``) that executes it on its slave and answers. Ports ``P`` (requests)
and ``P+1`` (responses); the byte format is ``docs/wire.md``, "Memory bridge",
encoded and decoded by ``_wire``. The server lives in ``_tcp_server`` (sockets
and its I/O thread) over ``_server_core`` (its protocol: no sockets, no
threads), the client in ``_tcp_client`` over ``_client_core`` (in-flight
matching, probes, counters) and ``_client_admission`` (whom the server admits,
retries: a state machine), their sockets made by the shared plumbing ``rogue._transport``.

Who a memory bridge talks to: the server's ``rogue._security.BridgeSecurity``
(applied by a ``rogue._security.SocketGuard``) gives both server sockets a
ZAP policy (``rogue._security.zap``) before they are bound. By default the pair is
exclusive (a second client is refused during the ZeroMQ handshake, never
answered with someone else's data); optionally an IP allow-list and CURVE
with a list of client public keys. A client's CURVE keys are set the same way.

Many-clients mode (``manyClients=True`` on both sides; rogue-bridge peers
only): the server's response socket at P+1 is a ROUTER; each client's response
socket is a DEALER with a random 16-byte routing id (``_wire.new_route``), and
every request carries that id as an extra first part, so each response goes
to its sender. A Rogue (C++) PULL cannot connect to the ROUTER (ZMTP refuses
the socket type), and a request without the id part is dropped with a warning.
"""

from __future__ import annotations

from ._tcp_client import TcpClient
from ._tcp_server import TcpServer

__all__ = ["TcpClient", "TcpServer"]
