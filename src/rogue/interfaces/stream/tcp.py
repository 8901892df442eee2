"""Stream TCP bridge: ``TcpCore``, ``TcpServer``, ``TcpClient`` (wire-compatible with Rogue).

A bridge is a stream master and slave. Frames handed to it are sent to the far
side as 4-part ZeroMQ messages (``_wire``); frames from the far side are given
to its slaves. Two PUSH/PULL pairs on ports P and P+1 (``docs/wire.md``): the server
binds PULL on P and PUSH on P+1, the client connects PUSH to P and PULL to P+1.
``TcpCore`` (``_tcp_core``) does the work; the two classes here fix its direction.
``ATTACH_GRACE_S``: how long a new bridge keeps received frames queued for a
first slave (``_attach_grace``).
"""

from __future__ import annotations

from ..._security import AllowList, KeySpec, KeySpecs
from ..._transport import DEFAULT_INTERVAL, DEFAULT_TIMEOUT
from ._tcp_core import ATTACH_GRACE_S, TcpCore  # noqa: F401 - ATTACH_GRACE_S: documented here

__all__ = ["TcpClient", "TcpCore", "TcpServer"]


class TcpServer(TcpCore):
    """Stream bridge server: binds ``addr`` on ``port`` and ``port + 1``.

    Opt-in security (README, "Security"): ``allow`` (IP addresses or networks
    that may connect), ``serverSecretKey`` with ``allowedClientKeys`` (CURVE:
    encrypted, and only the listed client public keys get in).
    """

    def __init__(self, addr: str, port: int, *, flushTimeout: float = 2.0, allow: AllowList | None = None,
                 serverSecretKey: KeySpec | None = None, allowedClientKeys: KeySpecs | None = None,
                 heartbeatInterval: float = DEFAULT_INTERVAL, heartbeatTimeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(addr, port, True, flushTimeout=flushTimeout, allow=allow,
                         serverSecretKey=serverSecretKey, allowedClientKeys=allowedClientKeys,
                         heartbeatInterval=heartbeatInterval, heartbeatTimeout=heartbeatTimeout)


class TcpClient(TcpCore):
    """Stream bridge client: connects to a server at ``addr`` on ``port`` and ``port + 1``.

    ``clientSecretKey`` with ``serverPublicKey``: CURVE, for a server that has keys.
    """

    def __init__(self, addr: str, port: int, *, flushTimeout: float = 2.0, clientSecretKey: KeySpec | None = None,
                 serverPublicKey: KeySpec | None = None, heartbeatInterval: float = DEFAULT_INTERVAL,
                 heartbeatTimeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(addr, port, False, flushTimeout=flushTimeout, clientSecretKey=clientSecretKey,
                         serverPublicKey=serverPublicKey, heartbeatInterval=heartbeatInterval,
                         heartbeatTimeout=heartbeatTimeout)
