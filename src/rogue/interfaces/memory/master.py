"""``Master``: the issuing end of a memory bus (register reads and writes)."""

from __future__ import annotations

import logging
from time import monotonic
from typing import TYPE_CHECKING, Any

from ..._errors import GeneralError
from ..._logging import Logging
from ._bits import any_bits, copy_bits, set_bits
from ._types import READ as _READ
from ._types import VERIFY as _VERIFY
from .transaction import Transaction, _byte_view, _id_counter, _next_id

if TYPE_CHECKING:
    from .slave import Slave

__all__ = ["Master"]

_DEBUG = logging.DEBUG


def _as_slave(obj: Any) -> Any:
    """``obj`` as a memory slave (directly or through ``_getMemorySlave()``), or GeneralError."""
    if hasattr(obj, "_doTransaction"):
        return obj
    get = getattr(obj, "_getMemorySlave", None)
    if get is not None:
        slave = get()
        if hasattr(slave, "_doTransaction"):
            return slave
    raise GeneralError("memory.Master", f"{obj!r} is not a memory slave")


def _direct_of(slave: Any) -> Any:
    """``slave._rbDirect`` when the slave's class has its own (``Emulate``, ``Hub``), else None (see ``Slave``)."""
    from .slave import Slave

    own = getattr(type(slave), "_rbDirect", None)
    return None if own is None or own is Slave._rbDirect else slave._rbDirect


class Master:
    """Issues memory transactions to its slave; subclass it to access registers.

    Call ``super().__init__()``, connect with ``master >> slave``, then e.g.::

        self._clearError()
        self._reqTransaction(address, bytearray(4), 4, 0, rim.Read)
        self._waitTransaction(0)
        if self._getError() != "": ...

    ``_getError()`` is sticky as in Rogue: it keeps the text of the last failed
    transaction waited for until ``_clearError()``.
    """

    def __init__(self) -> None:
        from .slave import Slave

        # State under mangled names (``_Master__...``): pyrogue's Device/Root and user
        # subclasses own every plain attribute name (``_timeout``, ``_slave``, ``_error``...).
        # Rogue's unconnected placeholder: it fails every transaction.
        self.__slave: Any = Slave(4, 0)
        self.__direct: Any = None  # the slave's _rbDirect, when its class has one of its own
        self.__trans: dict[int, Transaction] = {}
        self.__error = ""
        self.__timeout = 1.0
        self.__log = Logging.create("memory.Master")

    # -- connection ------------------------------------------------------------
    def _setSlave(self, slave: "Slave") -> None:
        """Attach the memory slave that receives this master's transactions."""
        self.__slave = _as_slave(slave)
        self.__direct = _direct_of(self.__slave)

    def _getSlave(self) -> "Slave":
        """The attached slave (an unconnected placeholder until ``_setSlave``)."""
        return self.__slave  # type: ignore[no-any-return]

    def __rshift__(self, other: Any) -> Any:
        """``master >> slave``: attach ``slave`` and return it (for chains)."""
        self._setSlave(other)
        return other

    # -- queries travelling down the chain ---------------------------------------
    def _reqSlaveId(self) -> int:
        """Id of the slave at the end of the chain."""
        return int(self.__slave._doSlaveId())

    def _reqSlaveName(self) -> str:
        """Name of the slave at the end of the chain."""
        return str(self.__slave._doSlaveName())

    def _reqMinAccess(self) -> int:
        """Minimum access size in bytes of the bus below."""
        return int(self.__slave._doMinAccess())

    def _reqMaxAccess(self) -> int:
        """Maximum access size in bytes of the bus below."""
        return int(self.__slave._doMaxAccess())

    def _reqAddress(self) -> int:
        """Base address of this master on the bus below (the Hub offsets)."""
        return int(self.__slave._doAddress())

    # -- errors and timeout --------------------------------------------------------
    def _getError(self) -> str:
        """Error text of the last failed transaction waited for, ``""`` if none since ``_clearError``."""
        return self.__error

    def _clearError(self) -> None:
        """Forget the error text."""
        self.__error = ""

    def _setTimeout(self, timeout: int) -> None:
        """Set the timeout of later transactions in microseconds (0 leaves it unchanged)."""
        if timeout < 0:
            raise GeneralError("memory.Master._setTimeout", f"timeout {timeout} us is negative")
        if timeout:
            self.__timeout = timeout / 1e6

    # -- transactions (hot path) -------------------------------------------------------
    def _reqTransaction(self, address: int, data: Any, size: int = 0, offset: int = 0, type: int = _READ) -> int:
        """Start a transaction on ``data[offset:offset+size]`` and return its id.

        ``data`` is any contiguous buffer; for Read/Verify it must be writable
        and receives the bytes when the transaction completes. ``size`` 0 means
        the rest of the buffer after ``offset``. Errors of the slave (including
        exceptions it raises) become the transaction's error text.
        """
        # A bytearray (the usual register buffer) is a flat byte buffer already.
        mv = memoryview(data) if data.__class__ is bytearray else _byte_view(data, "memory.Master._reqTransaction")
        length = mv.nbytes
        if size == 0:
            size = length - offset
        if offset < 0 or size < 0 or offset + size > length:
            raise GeneralError(
                "memory.Master._reqTransaction",
                f"Attempt to access {size} bytes in python buffer with size {length} at offset {offset}",
            )
        if (type == _READ or type == _VERIFY) and mv.readonly:
            raise GeneralError(
                "memory.Master._reqTransaction",
                f"a Read/Verify transaction needs a writable buffer, got read-only {data.__class__.__name__}",
            )
        if offset or size != length:
            mv = mv[offset:offset + size]
        return self.__issue(address, mv, size, type)

    def __issue(self, address: int, view: memoryview, size: int, type: int) -> int:
        """Send a transaction on ``view`` (``size`` bytes, checked by the caller) to the slave; its id.

        The internal half of ``_reqTransaction``, which ``Block`` calls directly
        with a view of its own image (as Rogue's C++ Block calls the C++ method).
        """
        log = self.__log
        debug = log.isEnabledFor(_DEBUG)
        direct = self.__direct
        if direct is not None and not debug and direct(address, view, size, type):
            # Done at once by the slave (Emulate, through plain Hubs), successfully: as a transaction that
            # finished at once would be, with no Transaction made (its id is still unique).
            return next(_id_counter) & 0xFFFFFFFF or _next_id()
        tran = Transaction(address, view, size, type, self.__timeout)
        tid = tran._id
        self.__trans[tid] = tran
        if debug:
            log.debug("Request transaction type=%i id=%i address=0x%x size=%i", type, tid, address, size)
        try:
            self.__slave._doTransaction(tran)
        except Exception as exc:  # a slave's bug must not escape into the caller's thread
            log.error("Exception in _doTransaction of %r for transaction %i", self.__slave, tid, exc_info=True)
            tran._complete(None, str(exc) or exc.__class__.__name__)
        if tran._wake.locked():
            # Pending: the timer starts once the slave has taken the transaction (as in Rogue).
            tran._deadline = monotonic() + tran._timeout
        elif not tran._error:
            # Finished already, successfully (a slave that completes at once, such as Emulate): waiting
            # for it would only release the buffer, so do that now. (Released ``_wake`` means finished,
            # with the result in place; a failed one stays registered so the wait records its error.)
            self.__trans.pop(tid, None)
            tran._view = None
        return tid

    def _waitTransaction(self, id: int = 0) -> None:
        """Wait until transaction ``id`` (0: every outstanding one of this master) finishes or times out."""
        trans = self.__trans
        if id:
            tran = trans.pop(id, None)
            if tran is not None:
                self.__finish(tran)
            return
        while trans:
            try:
                tran = trans.popitem()[1]  # atomic under the GIL
            except KeyError:
                break
            self.__finish(tran)

    def __finish(self, tran: Transaction) -> None:
        err = tran._wait()
        tran._view = None  # release the caller's buffer, as Rogue does after the wait
        if err:
            self.__error = err
            log = self.__log
            if log.isEnabledFor(_DEBUG):
                log.debug("Transaction id=%i failed: %s", tran._id, err)

    # -- bit-field helpers (static, as in Rogue) ---------------------------------------
    @staticmethod
    def _copyBits(dst: Any, dstLsb: int, src: Any, srcLsb: int, size: int) -> None:
        """Copy ``size`` bits of ``src`` from bit ``srcLsb`` into ``dst`` at bit ``dstLsb``.

        Bit ``n`` is bit ``n % 8`` of byte ``n // 8`` (little-endian, as Rogue);
        bits of ``dst`` outside the field are kept. GeneralError past either end.
        """
        copy_bits(dst, dstLsb, src, srcLsb, size)

    @staticmethod
    def _setBits(dst: Any, lsb: int, size: int) -> None:
        """Set ``size`` bits of ``dst`` starting at bit ``lsb`` to 1."""
        set_bits(dst, lsb, size)

    @staticmethod
    def _anyBits(src: Any, lsb: int, size: int) -> bool:
        """True when any of the ``size`` bits of ``src`` starting at bit ``lsb`` is 1."""
        return any_bits(src, lsb, size)

    def _stop(self) -> None:
        """Stop the master (the base class holds no threads or sockets)."""
