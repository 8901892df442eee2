"""A held lock with Rogue's ``lock()``/``unlock()`` API, made lazily: what ``FrameLock`` and ``TransactionLock`` share."""

from __future__ import annotations

import threading
from typing import Protocol, TypeVar

__all__ = ["HeldLock", "LockOwner"]

_Self = TypeVar("_Self", bound="HeldLock")
# Serialises only the first creation of an owner's lock (rare: once per frame or transaction locked).
_create = threading.Lock()


class LockOwner(Protocol):
    """An object whose reentrant lock is made on first use: ``_rlock`` is None until then."""

    _rlock: threading.RLock | None


class HeldLock:
    """A lock taken when made; :meth:`unlock` releases it early, :meth:`lock` takes it again.

    As a context manager it is released at the end of the ``with`` block; one
    dropped while still held is released then (Rogue releases it in its
    destructor). :meth:`of` is how an owner (a frame, a transaction) hands out
    its lock.
    """

    __slots__ = ("_lock", "_held")

    def __init__(self, lock: threading.RLock) -> None:
        self._lock = lock
        self._held = False
        self.lock()

    @classmethod
    def of(cls: type[_Self], owner: LockOwner) -> _Self:
        """``owner``'s reentrant lock, held: created on the first call (double-checked, so once), reused after."""
        rl = owner._rlock
        if rl is None:
            with _create:
                rl = owner._rlock
                if rl is None:
                    rl = owner._rlock = threading.RLock()
        return cls(rl)

    def lock(self) -> None:
        """Take the lock again after :meth:`unlock` (nothing if held)."""
        if not self._held:
            self._lock.acquire()
            self._held = True

    def unlock(self) -> None:
        """Release the lock before the end of the ``with`` block (nothing if not held)."""
        if self._held:
            self._held = False
            self._lock.release()

    def __enter__(self: _Self) -> _Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.unlock()

    def __del__(self) -> None:
        try:
            self.unlock()
        except (RuntimeError, AttributeError):  # dropped in another thread than the holder's, or half-made
            pass
