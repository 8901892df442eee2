"""Sub-transactions: the pieces a ``Hub`` splits a transaction into (Rogue's ``createSubTransaction``).

A transaction larger than the maximum access of the bus below a hub becomes
``ceil(size / max)`` sub-transactions of at most ``max`` bytes each, sent down
in address order. Each one refers to its slice of the parent's buffer (no
copy); the parent finishes once every piece has finished.

Differences from Rogue, all safer: any failed piece fails the parent (Rogue
keeps only the last piece's error, see :func:`split_error`); a piece finishing
after the parent finished or timed out changes nothing in the caller's buffer
(its completion and the parent's timeout take the same lock); a piece raising
in a slave's ``_doTransaction`` fails that piece rather than escaping.

References are acyclic, so a finished parent frees its pieces (and their
views of the caller's buffer) at once: the parent holds the :class:`Split`
(through its ``_waiter``), the split holds the pieces, and a piece refers to
its split, and the split to the parent, only weakly (as Rogue's weak pointer).
A piece releases its view when it finishes; one a slave still holds after the
parent finished keeps it until the slave finishes or drops it.
"""

from __future__ import annotations

import weakref
from time import monotonic
from typing import Any

from .transaction import Transaction, TransactionLock, _timeout_text

__all__ = ["Split", "SubTransaction", "split_error"]


def split_error(sub_id: int, error: str) -> str:
    """The parent's error text when sub-transaction ``sub_id`` failed with ``error`` (Rogue's words)."""
    return f"Transaction error. Subtransaction {sub_id} failed with error: {error}.\n"


class Split:
    """What the pieces of one parent share: the parent, the pieces, how many are left, the first failure."""

    __slots__ = ("parent", "subs", "left", "failed", "prev_waiter", "__weakref__")

    def __init__(self, parent: Transaction, count: int) -> None:
        self.parent = weakref.ref(parent)
        self.subs: list[SubTransaction] | tuple[()] = []
        self.left = count
        self.failed: tuple[int, int, str] | None = None  # (index, id, error) of the first failed piece
        self.prev_waiter: Any = parent._waiter

    def piece_done(self, sub: "SubTransaction") -> str | None:
        """Count ``sub`` as finished (the parent's lock held); the parent's error text once the last one is."""
        err = sub._error
        if err and (self.failed is None or sub._index < self.failed[0]):
            self.failed = (sub._index, sub._id, err)
        self.left -= 1
        if self.left:
            return None
        self.subs = ()  # nothing left to lead
        failed = self.failed
        return "" if failed is None else split_error(failed[1], failed[2])

    def lead(self, tran: Transaction, deadline: float) -> None:
        """The parent's ``_waiter``: run each unfinished piece's own waiter (a bridge receiving in this thread)."""
        prev = self.prev_waiter
        if prev is not None:
            prev(tran, deadline)
        for sub in list(self.subs):
            if tran._claim.locked() or monotonic() >= deadline:
                return
            waiter = sub._waiter
            if waiter is not None and not sub._claim.locked():
                waiter(sub, deadline)


class SubTransaction(Transaction):
    """One piece of a split transaction: finishing it counts towards its parent.

    ``lock()`` is the parent's lock and ``expired()`` follows the parent, so a
    slave completing it from another thread follows the usual rule (hold
    ``lock()``, check ``expired()``, ``setData``, ``done()``) and cannot write
    into the caller's buffer after the parent timed out.
    """

    __slots__ = ("_split", "_index")

    def __init__(self, split: Split, index: int, address: int, view: memoryview, size: int, type: int,
                 timeout: float) -> None:
        Transaction.__init__(self, address, view, size, type, timeout)
        self._split = weakref.ref(split)
        self._index = index

    def _parent(self) -> tuple[Split, Transaction] | None:
        split = self._split()
        parent = None if split is None else split.parent()
        return None if parent is None else (split, parent)  # type: ignore[return-value]

    def lock(self) -> TransactionLock:
        """The parent's lock, held (see :meth:`Transaction.lock`); the piece's own once the parent is gone."""
        found = self._parent()
        return Transaction.lock(self) if found is None else found[1].lock()

    def expired(self) -> bool:
        """True once this piece or its parent finished, or the parent's timeout has passed."""
        if self._claim.locked():
            return True
        found = self._parent()
        return found is None or found[1].expired()

    def _complete(self, data: Any = None, error: str = "") -> bool:
        """Finish this piece at most once (see :meth:`Transaction._complete`); the last one finishes the parent."""
        if not self._claim.acquire(False):
            return False
        found = self._parent()
        if found is None:
            return self._orphaned()
        split, parent = found
        with parent.lock():  # the parent's timeout takes this lock: no write after it
            if parent.expired():
                return self._orphaned()
            if error:
                self._error = error
            elif data is not None:
                try:
                    self._view[:] = data  # type: ignore[index]
                except (TypeError, ValueError, IndexError) as exc:
                    self._error = f"Transaction {self._id}: received data of the wrong size for size {self._size} ({exc})"
            self._view = None  # release the caller's buffer
            self._wake.release()
            text = split.piece_done(self)
            if text is not None:
                parent._complete(None, text)
        return True

    def _orphaned(self) -> bool:
        """The parent finished (timed out) or is gone: finish this piece as timed out, touching nothing."""
        self._error = _timeout_text(self._id)
        self._view = None
        self._wake.release()
        return False
