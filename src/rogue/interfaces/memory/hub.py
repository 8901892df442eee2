"""``Hub``: a memory master+slave that adds an address offset on the way down."""

from __future__ import annotations

import logging

from ..._logging import Logging
from .master import Master
from .slave import Slave
from .transaction import Transaction

__all__ = ["Hub"]

_ADDR_MASK = 0xFFFFFFFFFFFFFFFF
_DEBUG = logging.DEBUG


class Hub(Master, Slave):
    """Groups masters under a common offset and forwards their transactions to its slave.

    ``Hub(offset, minAccess, maxAccess)``: every transaction passing through
    gets ``offset`` added to its address. With ``minAccess`` and ``maxAccess``
    both nonzero the hub is a root: it reports its own access sizes and
    address 0; otherwise access-size and address queries travel on to the
    slave below (as in Rogue). Subclasses may override ``_doTransaction`` to
    rewrite transactions, issuing their own with ``_reqTransaction``.

    Forwarding reuses the upstream transaction object (its address adjusted)
    rather than creating a sub-transaction: whoever finishes it downstream
    finishes it for the original master, with no extra allocation or thread
    hop.

    Its state is kept under name-mangled attributes, so the plain names
    (``_offset``, ``_root``, ``_timeout``, ...) stay free for subclasses such
    as pyrogue's ``Device``.
    """

    def __init__(self, offset: int, minAccess: int = 0, maxAccess: int = 0) -> None:
        Master.__init__(self)
        Slave.__init__(self, minAccess, maxAccess)
        self.__offset = int(offset)
        self.__root = bool(minAccess) and bool(maxAccess)
        self.__log = Logging.create("memory.Hub")

    def _getOffset(self) -> int:
        """The offset this hub adds."""
        return self.__offset

    def _getAddress(self) -> int:
        """Absolute address of this hub: the address below plus its offset."""
        return (self._reqAddress() + self.__offset) & _ADDR_MASK

    def _doSlaveId(self) -> int:
        """Own id when root, else the id of the slave below."""
        return Slave._doSlaveId(self) if self.__root else self._reqSlaveId()

    def _doSlaveName(self) -> str:
        """Own name when root, else the name of the slave below."""
        return Slave._doSlaveName(self) if self.__root else self._reqSlaveName()

    def _doMinAccess(self) -> int:
        """Own minimum access size when root, else the one of the bus below."""
        return Slave._doMinAccess(self) if self.__root else self._reqMinAccess()

    def _doMaxAccess(self) -> int:
        """Own maximum access size when root, else the one of the bus below."""
        return Slave._doMaxAccess(self) if self.__root else self._reqMaxAccess()

    def _doAddress(self) -> int:
        """Address reported upwards: 0 when root, else ``_getAddress()``."""
        return 0 if self.__root else self._getAddress()

    def _blkMinAccess(self) -> int:
        """The minimum access size this hub reports (Rogue's binding of ``Hub::doMinAccess``)."""
        return Hub._doMinAccess(self)

    def _blkMaxAccess(self) -> int:
        """The maximum access size this hub reports (Rogue's binding of ``Hub::doMaxAccess``)."""
        return Hub._doMaxAccess(self)

    def _doTransaction(self, transaction: Transaction) -> None:
        """Add the offset to ``transaction``'s address and pass it to the slave below."""
        transaction._address = (transaction._address + self.__offset) & _ADDR_MASK
        self._Master__slave._doTransaction(transaction)  # type: ignore[attr-defined]
