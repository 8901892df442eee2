"""``Slave``: the executing end of a memory bus."""

from __future__ import annotations

import itertools
import threading
from typing import Any

from ..._errors import GeneralError
from .transaction import Transaction

__all__ = ["Slave"]

_slave_ids = itertools.count(1)


def _as_master(obj: Any) -> Any:
    """``obj`` as a memory master (directly or through ``_getMemoryMaster()``), or GeneralError."""
    if hasattr(obj, "_setSlave"):
        return obj
    get = getattr(obj, "_getMemoryMaster", None)
    if get is not None:
        master = get()
        if hasattr(master, "_setSlave"):
            return master
    raise GeneralError("memory.Slave.__lshift__", f"{obj!r} is not a memory master")


class Slave:
    """Executes memory transactions; subclass it and override ``_doTransaction``.

    ``Slave(minAccess, maxAccess)`` gives the access sizes (bytes) reported to
    masters. ``_doTransaction(tran)`` either finishes ``tran`` at once
    (``tran.done()`` / ``tran.error(msg)``) or keeps it with
    ``_addTransaction(tran)`` and finishes it later, from any thread, after
    ``_getTransaction(id)``. An exception raised in ``_doTransaction`` fails the
    transaction with the exception's text.
    """

    def __init__(self, minAccess: int, maxAccess: int) -> None:
        # State under mangled names (``_Slave__...``, distinct from the stream Slave's):
        # pyrogue's Device and user subclasses own every plain attribute name (``_name``...).
        self.__min = int(minAccess)
        self.__max = int(maxAccess)
        self.__id = next(_slave_ids)
        self.__name = f"Unnamed_{self.__id}"
        self.__pending: dict[int, Transaction] = {}
        self.__pendingLock = threading.Lock()
        self.__pruneAt = 64

    # -- description -------------------------------------------------------------
    def setName(self, name: str) -> None:
        """Set the name reported to masters (``_reqSlaveName``)."""
        self.__name = str(name)

    def _doSlaveId(self) -> int:
        """Unique id of this slave (answers a master's ``_reqSlaveId``)."""
        return self.__id

    def _doSlaveName(self) -> str:
        """Name of this slave (answers a master's ``_reqSlaveName``)."""
        return self.__name

    def _doMinAccess(self) -> int:
        """Minimum access size in bytes (answers ``_reqMinAccess``)."""
        return self.__min

    def _doMaxAccess(self) -> int:
        """Maximum access size in bytes (answers ``_reqMaxAccess``)."""
        return self.__max

    def _doAddress(self) -> int:
        """Base address of this slave (answers ``_reqAddress``); 0 for a plain slave."""
        return 0

    # -- transactions -----------------------------------------------------------------
    def _doTransaction(self, transaction: Transaction) -> None:
        """Execute ``transaction``; the base class fails it (Rogue's unconnected bus)."""
        transaction._complete(None, "Unsupported transaction using unconnected memory bus")

    def _rbDirect(self, address: int, view: memoryview, size: int, ttype: int) -> bool:
        """Internal: do a register access at once, without a Transaction, when this slave can; True if done.

        A master calls it (when the slave's class has its own) before making a
        Transaction: a slave that would finish the access at once, successfully
        and with nothing else to observe (``Emulate``, and a ``Hub`` above one)
        does the access on ``view`` and returns True; otherwise it changes
        nothing and returns False, and the master goes the usual way. The base
        class never does (it returns False); so does any class whose
        ``_doTransaction`` is not the one the direct access stands for.
        """
        return False

    def _addTransaction(self, transaction: Transaction) -> None:
        """Keep ``transaction`` in flight for completion later (see ``_getTransaction``)."""
        with self.__pendingLock:
            pending = self.__pending
            pending[transaction._id] = transaction
            if len(pending) >= self.__pruneAt:
                # Drop finished/expired ones now and then (amortised, not on every call).
                for tid in [t for t, tr in pending.items() if tr.expired()]:
                    del pending[tid]
                self.__pruneAt = max(64, 2 * len(pending))

    def _getTransaction(self, id: int) -> Transaction | None:
        """Take the in-flight transaction ``id`` back (``None`` if unknown or already taken)."""
        with self.__pendingLock:
            return self.__pending.pop(id, None)

    def _stop(self) -> None:
        """Stop the slave (the base class holds no threads or sockets)."""

    # -- connection --------------------------------------------------------------------
    def __lshift__(self, other: Any) -> Any:
        """``slave << master``: attach this slave to ``master`` and return ``master``."""
        _as_master(other)._setSlave(self)
        return other
