"""Rogue's memory interface (``import rogue.interfaces.memory as rim``).

A :class:`Master` issues register transactions (:class:`Transaction`) to a
:class:`Slave`; a :class:`Hub` adds an address offset on the way; an
:class:`Emulate` slave is sparse memory. ``master >> slave`` and
``slave << master`` connect them.
"""

from __future__ import annotations

from rogue import _exports

from .emulate import Emulate
from .hub import Hub
from .master import Master
from .slave import Slave
from .tcp import TcpClient, TcpServer
from .transaction import Transaction, TransactionLock

from ._types import POST as Post
from ._types import PROBE as TcpBridgeProbe  # noqa: F401 - the bridge's readiness probe; not a user type
from ._types import READ as Read
from ._types import VERIFY as Verify
from ._types import WRITE as Write

__all__ = ["Emulate", "Hub", "Master", "Post", "Read", "Slave", "TcpClient", "TcpServer", "Transaction", "TransactionLock", "Verify", "Write"]

_exports.publish(__name__, globals())  # every class above reports this module, as in C++ Rogue
