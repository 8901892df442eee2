"""A held lock with Rogue's ``lock()``/``unlock()`` API: what ``FrameLock`` and ``TransactionLock`` share."""

from __future__ import annotations

from typing import Any, TypeVar

__all__ = ["HeldLock"]

_Self = TypeVar("_Self", bound="HeldLock")


class HeldLock:
    """A lock taken when made; :meth:`unlock` releases it early, :meth:`lock` takes it again.

    As a context manager it is released at the end of the ``with`` block; one
    dropped while still held is released then (Rogue releases it in its
    destructor).
    """

    __slots__ = ("_lock", "_held")

    def __init__(self, lock: Any) -> None:
        self._lock = lock
        self._held = False
        self.lock()

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
