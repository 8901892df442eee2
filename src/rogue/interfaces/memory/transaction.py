"""``Transaction``: one register access travelling from a memory master to a slave.

A transaction refers to the master's buffer without copying it: for Read and
Verify the slave's bytes land in the caller's writable buffer, for Write and
Post the slave reads the caller's bytes. It finishes exactly once, by
``done()``, ``error(msg)`` or its timeout, whichever comes first; later
completions are ignored.

Completion is two ``_thread`` locks per transaction, no Condition:

* ``_claim`` (free while pending) is taken with a non-blocking acquire by
  whoever finishes the transaction (a slave, a bridge's receive thread, or the
  waiter on timeout): an atomic test-and-set, so only one of them wins.
* ``_wake`` (held while pending) is released by the winner once the result
  (data and error text) is in place. The waiter blocks on it with a timeout,
  which releases the GIL and wakes exactly that waiter; it releases it again
  at once, so the transaction stays "signalled" for any other waiter.
"""

from __future__ import annotations

import itertools
import threading
from _thread import allocate_lock
from time import monotonic
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..._errors import GeneralError
from ..._held_lock import HeldLock

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = ["Transaction", "TransactionLock"]

# Process-wide id counter; next() on itertools.count is atomic under the GIL.
_id_counter = itertools.count(1)
_INF = float("inf")


def _next_id() -> int:
    """A unique nonzero 32-bit transaction id (wraps around, skipping 0)."""
    tid = next(_id_counter) & 0xFFFFFFFF
    while tid == 0:
        tid = next(_id_counter) & 0xFFFFFFFF
    return tid


def _byte_view(buf: ReadableBuffer, src: str) -> memoryview:
    """A flat unsigned-byte memoryview of any contiguous buffer, or GeneralError."""
    try:
        mv = buf if isinstance(buf, memoryview) else memoryview(buf)
        if mv.format != "B" or mv.ndim != 1 or not mv.c_contiguous:
            mv = mv.cast("B")  # raises for a non-contiguous buffer
    except (TypeError, ValueError) as exc:
        raise GeneralError(src, f"{type(buf).__name__} object is not a contiguous buffer: {exc}") from None
    return mv


def _timeout_text(tid: int) -> str:
    """The error text of a transaction that did not finish in time (as in Rogue)."""
    return f"Timeout waiting for register transaction {tid} message response."


class TransactionLock(HeldLock):
    """A held transaction lock, as ``Transaction.lock()`` returns it (Rogue's ``TransactionLock``).

    Locked when made; :meth:`unlock` releases it early and :meth:`lock` takes
    it again. As a context manager (``with tran.lock(): ...``) it is released
    at the end of the block; one dropped while still held is released then
    (Rogue releases it in its destructor). The lock is reentrant, per thread.
    """

    __slots__ = ()


class Transaction:
    """One register access (made by a memory master's ``_reqTransaction``, not by users).

    A slave reads ``address()``, ``size()`` and ``type()``, moves data with
    ``getData`` / ``setData``, and finishes it with ``done()`` or
    ``error(msg)``. A slave completing from another thread holds ``lock()``
    and checks ``expired()`` first, as in Rogue.

    Internal fast path for bridges (no copies, no user lock):
    ``_data()`` is the transaction's bytes as a memoryview (the write data for
    Write/Post, the destination for Read/Verify); ``_complete(data, error)``
    finishes it at most once, copying ``data`` (a received read result, any
    buffer of exactly ``size()`` bytes) into the caller's buffer, and returns
    whether it took effect (``False``: already finished or expired).

    Waiting in the caller's thread (for bridges): a slave may set
    ``tran._waiter = fn`` in ``_doTransaction``. The master's wait then calls
    ``fn(tran, deadline)`` in the waiting thread before sleeping (``deadline``
    is a :func:`time.monotonic` value; ``inf`` never happens there). ``fn`` may
    receive responses itself and ``_complete`` this and other transactions,
    and must return by the deadline; the wait then goes on as usual (sleeping
    until another thread finishes the transaction, or timing out). This saves
    the wake-up of a second thread on every round trip; an exception in ``fn``
    fails the transaction with its text.
    """

    __slots__ = ("_id", "_address", "_size", "_type", "_view", "_error",
                 "_claim", "_wake", "_deadline", "_timeout", "_rlock", "_waiter", "__weakref__")

    def __init__(self, address: int, view: memoryview | None, size: int, type: int, timeout: float) -> None:
        tid = next(_id_counter) & 0xFFFFFFFF  # _next_id(), inline: a transaction is made per access
        self._id = tid if tid else _next_id()
        self._address = address
        self._size = size
        self._type = type
        self._view = view
        self._error = ""
        self._claim = allocate_lock()
        self._wake = allocate_lock()
        self._wake.acquire()
        # The timer starts when the master's call into the slave returns (as in
        # Rogue); until then the transaction cannot expire.
        self._deadline = _INF
        self._timeout = timeout
        self._rlock: threading.RLock | None = None
        self._waiter: Callable[[Transaction, float], None] | None = None

    # -- description -----------------------------------------------------------
    def id(self) -> int:
        """Unique nonzero 32-bit id of this transaction."""
        return self._id

    def address(self) -> int:
        """Target address (a Hub on the way has already added its offset)."""
        return self._address

    def size(self) -> int:
        """Number of bytes accessed."""
        return self._size

    def type(self) -> int:
        """Transaction type: ``Read=1``, ``Write=2``, ``Post=3`` or ``Verify=4``."""
        return self._type

    def __repr__(self) -> str:
        return (f"<Transaction id={self._id} type={self._type} address=0x{self._address:x} "
                f"size={self._size} finished={self._claim.locked()}>")

    # -- locking and state -------------------------------------------------------
    def lock(self) -> TransactionLock:
        """Lock the transaction: a held :class:`TransactionLock` (``with tran.lock(): ...``).

        Hold it while checking ``expired()`` and filling data from another
        thread: the master's timeout takes the same lock, so it cannot fire
        between your ``setData`` and ``done``. Reentrant.
        """
        return TransactionLock.of(self)

    def expired(self) -> bool:
        """True once the transaction is finished (done, failed, timed out) or its timeout has passed."""
        return self._claim.locked() or monotonic() > self._deadline

    # -- data --------------------------------------------------------------------
    def _data(self) -> memoryview:
        """The transaction's bytes in the master's buffer, without copying (internal)."""
        view = self._view
        if view is None:
            raise GeneralError("Transaction._data", f"transaction {self._id} has no data (already finished)")
        return view

    def getData(self, buf: WriteableBuffer, offset: int = 0) -> None:
        """Copy ``len(buf)`` transaction bytes starting at ``offset`` into the writable ``buf``."""
        dst = _byte_view(buf, "Transaction.getData")
        if dst.readonly:
            raise GeneralError("Transaction.getData", f"destination {type(buf).__name__} is read-only")
        count = dst.nbytes
        if offset < 0 or offset + count > self._size:
            raise GeneralError(
                "Transaction.getData",
                f"Attempt to get {count} bytes from offset {offset} of transaction {self._id} with size {self._size}",
            )
        dst[:] = self._data()[offset:offset + count]

    def setData(self, buf: ReadableBuffer, offset: int = 0) -> None:
        """Copy all of ``buf`` into the transaction at ``offset`` (the read result, for Read/Verify)."""
        src = _byte_view(buf, "Transaction.setData")
        count = src.nbytes
        if offset < 0 or offset + count > self._size:
            raise GeneralError(
                "Transaction.setData",
                f"Attempt to set {count} bytes at offset {offset} of transaction {self._id} with size {self._size}",
            )
        view = self._data()
        if view.readonly:
            raise GeneralError("Transaction.setData",
                               f"transaction {self._id} (type {self._type}) refers to a read-only buffer")
        view[offset:offset + count] = src

    # -- completion ----------------------------------------------------------------
    def done(self) -> None:
        """Finish the transaction successfully (ignored if it already finished or expired)."""
        self._complete(None, "")

    def error(self, msg: object) -> None:
        """Fail the transaction with the text ``msg`` (ignored if it already finished or expired)."""
        text = str(msg)
        self._complete(None, text if text else f"Transaction {self._id} failed with an empty error message")

    def _complete(self, data: ReadableBuffer | None = None, error: str = "") -> bool:
        """Finish at most once: copy ``data`` in (unless ``error``), set the error, wake the waiter.

        Returns ``False`` and changes nothing in the caller's buffer when the
        transaction had already finished or its timeout had passed (then it is
        finished as timed out here). A ``data`` of the wrong size fails it.
        """
        if not self._claim.acquire(False):
            return False
        deadline = self._deadline
        # inf until the master's call into the slave returns: a slave finishing at once reads no clock.
        if deadline != _INF and monotonic() > deadline:
            self._error = _timeout_text(self._id)
            self._wake.release()
            return False
        if error:
            self._error = error
        elif data is not None:
            view = self._view
            try:
                view[:] = data  # type: ignore[index]
            except (TypeError, ValueError, IndexError) as exc:
                self._error = (f"Transaction {self._id}: received {_nbytes(data)} data bytes "
                               f"for a transaction of size {self._size} ({exc})")
        self._wake.release()
        return True

    def _wait(self) -> str:
        """Block (without the GIL) until finished or timed out; return the error text (master side)."""
        wake = self._wake
        if not wake.acquire(False):
            waiter = self._waiter
            if waiter is not None:
                try:
                    waiter(self, self._deadline)
                except Exception as exc:  # a bridge's bug must not escape into the caller's thread
                    self._complete(None, f"Transaction {self._id}: waiting failed: {exc!r}")
                got = wake.acquire(False)  # the waiter usually received the response itself
            else:
                got = False
            if not got:
                remaining = self._deadline - monotonic()
                # lock.acquire accepts at most TIMEOUT_MAX seconds.
                got = remaining > 0 and wake.acquire(True, min(remaining, threading.TIMEOUT_MAX))
            if not got:
                # Take the user lock so a slave between setData and done finishes first.
                with self.lock():
                    if self._claim.acquire(False):
                        self._error = _timeout_text(self._id)
                        wake.release()
                wake.acquire()  # whoever finished it has released (or is about to release) it
        wake.release()  # leave it signalled for any other waiter
        return self._error


def _nbytes(data: ReadableBuffer) -> int:
    try:
        return memoryview(data).nbytes
    except TypeError:
        return -1
