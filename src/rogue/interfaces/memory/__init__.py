"""Rogue's memory interface (``import rogue.interfaces.memory as rim``).

A :class:`Master` issues register transactions (:class:`Transaction`) to a
:class:`Slave`; a :class:`Hub` adds an address offset on the way; an
:class:`Emulate` slave is sparse memory. ``master >> slave`` and
``slave << master`` connect them.
"""

from __future__ import annotations

from .emulate import Emulate
from .hub import Hub
from .master import Master
from .slave import Slave
from .tcp import TcpClient, TcpServer
from .transaction import Transaction, TransactionLock

#: Transaction types (as in Rogue).
Read = 1
Write = 2
Post = 3
Verify = 4

# Readiness probe of the memory TCP bridge (wire.md); not a user transaction type.
TcpBridgeProbe = 0xFFFFFFFE

__all__ = ["Emulate", "Hub", "Master", "Post", "Read", "Slave", "TcpClient", "TcpServer", "Transaction", "TransactionLock", "Verify", "Write"]
