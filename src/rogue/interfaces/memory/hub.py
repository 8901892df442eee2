"""``Hub``: a memory master+slave that adds an address offset on the way down and splits large transactions."""

from __future__ import annotations

import logging

from ..._logging import Logging
from ._sub_transaction import Split, SubTransaction
from .master import Master
from .slave import Slave
from .transaction import Transaction

__all__ = ["Hub"]

_ADDR_MASK = 0xFFFFFFFFFFFFFFFF
_MAX_ACCESS = 0xFFFFFFFF  # a non-root hub splits, so it takes any size (Rogue's Hub::doMaxAccess)
_DEBUG = logging.DEBUG
_log = Logging.create("memory.Hub")  # one logger for every hub, as Rogue's name; used when splitting


class Hub(Master, Slave):
    """Groups masters under a common offset and forwards their transactions to its slave.

    ``Hub(offset, minAccess, maxAccess)``: every transaction passing through
    gets ``offset`` added to its address. With ``minAccess`` and ``maxAccess``
    both nonzero the hub is a root: it reports its own access sizes and
    address 0; otherwise the minimum access size, id, name and address queries
    travel on to the slave below, and the maximum access size is 0xFFFFFFFF
    (as in Rogue). Subclasses may override ``_doTransaction`` to rewrite
    transactions, issuing their own with ``_reqTransaction``.

    A transaction larger than the maximum access of the slave below is split
    into sub-transactions of at most that size, sent down in address order;
    it finishes once they all have, failed with Rogue's text ("Transaction
    error. Subtransaction N failed with error: ...") if any failed (Rogue
    reports only the last piece's failure: here the first failed piece's, in
    address order, whichever finished last). A transaction within the maximum
    (the common case) is forwarded as it is, its address adjusted: whoever
    finishes it downstream finishes it for the original master, with no extra
    allocation or thread hop.

    Its state is kept under name-mangled attributes, so the plain names
    (``_offset``, ``_root``, ``_timeout``, ...) stay free for subclasses such
    as pyrogue's ``Device``.
    """

    def __init__(self, offset: int, minAccess: int = 0, maxAccess: int = 0) -> None:
        Master.__init__(self)
        Slave.__init__(self, minAccess, maxAccess)
        self.__offset = int(offset)
        self.__root = bool(minAccess) and bool(maxAccess)
        self.__most: int | None = 0  # the unconnected placeholder's maximum access (0: never split)

    def _setSlave(self, slave: Slave) -> None:
        """Attach the memory slave below (and note its maximum access size if it cannot change)."""
        Master._setSlave(self, slave)
        self.__most = _fixed_max_access(self._getSlave())

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
        """Own maximum access size when root, else 0xFFFFFFFF (larger transactions are split)."""
        return Slave._doMaxAccess(self) if self.__root else _MAX_ACCESS

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
        """Add the offset to ``transaction``'s address and pass it to the slave below, split if too large."""
        slave = self._Master__slave  # type: ignore[attr-defined]
        transaction._address = (transaction._address + self.__offset) & _ADDR_MASK
        most = self.__most
        if most is None:  # a slave class of its own answers: ask every time, as Rogue does
            most = slave._doMaxAccess()
        if transaction._size > most > 0:
            self.__split(transaction, slave, int(most))
        else:
            slave._doTransaction(transaction)

    def _rbDirect(self, address: int, view: memoryview, size: int, ttype: int) -> bool:
        """Internal: pass an access on at once, without a Transaction, when the slave below can do it so.

        Only for a hub whose ``_doTransaction`` is this class's (a subclass's own must see every transaction) and
        an access it would not split; see ``Slave._rbDirect``.
        """
        direct = self._Master__direct  # type: ignore[attr-defined]
        if direct is None:  # a slave below that has no direct access (a bridge's client): the usual way, at once
            return False
        if "_doTransaction" in self.__dict__ or type(self)._doTransaction is not Hub._doTransaction:
            return False
        most = self.__most
        if most is None or size > most > 0:
            return False
        return bool(direct((address + self.__offset) & _ADDR_MASK, view, size, ttype))

    def __split(self, tran: Transaction, slave: Slave, most: int) -> None:
        """Send ``tran`` down as sub-transactions of at most ``most`` bytes each."""
        view = tran._view
        if view is None:
            return  # already finished
        size = tran._size
        count = -(-size // most)
        split = Split(tran, count)
        address, ttype, timeout = tran._address, tran._type, tran._timeout
        subs = [SubTransaction(split, i, (address + off) & _ADDR_MASK, view[off:off + most],
                               min(most, size - off), ttype, timeout)
                for i, off in enumerate(range(0, size, most))]
        split.subs = subs
        tran._waiter = split.lead  # also keeps the split alive as long as the parent
        log = _log
        if log.isEnabledFor(_DEBUG):
            log.debug("Splitting transaction %d into %d subtransactions", tran._id, count)
            for sub in subs:
                log.debug("Created subTransaction %d, parent=%d, size=%d, address=0x%x",
                          sub._id, tran._id, sub._size, sub._address)
        for sub in subs:
            try:
                slave._doTransaction(sub)
            except Exception as exc:  # a slave's bug fails its piece, the others go on
                log.error("Exception in _doTransaction of %r for subtransaction %i", slave, sub._id, exc_info=True)
                sub._complete(None, str(exc) or exc.__class__.__name__)


def _fixed_max_access(slave: Slave) -> int | None:
    """The maximum access size ``slave`` reports, when it cannot change; None when it must be asked each time.

    ``Slave``'s answer is the size given to its constructor and ``Hub``'s
    follows from its constructor's arguments, so they are read once here, at
    ``_setSlave``; a class overriding ``_doMaxAccess`` is asked on every
    transaction. (As in C++ Rogue, where a C++ slave's answer is not
    replaced by assigning ``_doMaxAccess`` on the Python instance.)
    """
    answer = getattr(type(slave), "_doMaxAccess", None)
    if answer is Slave._doMaxAccess or answer is Hub._doMaxAccess:
        return int(slave._doMaxAccess())
    return None
