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
"""

from __future__ import annotations

from ._tcp_client import TcpClient
from ._tcp_server import TcpServer

__all__ = ["TcpClient", "TcpServer"]
