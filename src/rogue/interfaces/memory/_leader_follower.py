"""Who reads the memory client's response socket: its receive thread, or a master waiting in person (leader/follower).

A round trip normally wakes two threads: the receive thread gets the
response, then wakes the waiting master. Here the master's wait
(``Transaction._waiter`` hook: :meth:`LeaderFollower.lead`) receives in its
own thread when the socket is free, so a sequential transaction wakes no
second thread. One thread at a time uses the socket (:attr:`LeaderFollower.lock`).
A master that finds it busy returns and sleeps as usual: the holder completes
its transaction. The receive thread (:meth:`LeaderFollower.follow`) steps
aside only while nothing is in flight, so no response is left without a
reader; it takes over ``GRACE_S`` after the last master received, or at once
when one leaves with transactions still in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from time import monotonic
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .transaction import Transaction

__all__ = ["GRACE_S", "LeaderFollower"]

GRACE_S = 0.05  # the receive thread keeps off the socket this long after a master received
_POLL_MS = 100  # the longest one service call waits, so a stop is seen


class LeaderFollower:
    """Shares one socket between a receive thread and the masters waiting for their responses.

    ``service(timeout_ms)`` polls the socket for up to ``timeout_ms`` and
    handles what it finds (called with :attr:`lock` held); ``pending()`` is
    true while transactions are in flight; ``running()`` false once stopping.
    ``lead_service(timeout_ms)``, if given, is what a waiting master calls
    instead of ``service`` (e.g. a cheaper wait for the response alone).
    """

    def __init__(self, service: Callable[[int], None], pending: Callable[[], int], running: Callable[[], bool],
                 lead_service: Callable[[int], None] | None = None) -> None:
        self.lock = threading.Lock()
        self._service = service
        self._lead_service = lead_service or service
        self._pending = pending
        self._running = running
        self._lead_until = 0.0  # masters receive for themselves: the receive thread keeps off until then
        self._want = False  # a master found the socket busy: the receive thread steps aside when idle
        self._kick = threading.Event()  # a leaving master hands the socket back to the receive thread at once

    def lead(self, tran: Transaction, deadline: float) -> None:
        """``Transaction._waiter`` hook: receive in the waiting master's own thread until ``tran`` finished.

        ``tran`` is a ``Transaction``; this returns once it finished, at ``deadline``
        (a ``time.monotonic`` value), or when stopping.
        """
        lock = self.lock
        if not lock.acquire(False):
            self._want = True
            return
        try:
            service, running = self._lead_service, self._running
            finished = tran._claim.locked  # a Transaction's own test: taken once it finished
            while not finished() and running():
                remaining = deadline - monotonic()
                if remaining <= 0:
                    break
                service(min(_POLL_MS, int(remaining * 1000) + 1))
        finally:
            lock.release()
        # After the release: a transaction registered before this check is seen here (then the
        # receive thread takes over), one registered after it finds the socket free and leads.
        if self._pending():
            self._lead_until = 0.0
            self._kick.set()
        else:
            self._lead_until = monotonic() + GRACE_S

    def follow(self, timeout_ms: int, after: Callable[[], None]) -> None:
        """One turn of the receive thread: ``service(timeout_ms)`` then ``after()``, unless masters lead."""
        if self._want and not self._pending():
            # Masters are waiting in person and nothing is outstanding: let them receive.
            self._want = False
            self._lead_until = monotonic() + GRACE_S
        if monotonic() < self._lead_until:
            if self._kick.wait(GRACE_S):
                self._kick.clear()
            return
        if not self.lock.acquire(True, _POLL_MS / 1000):
            return
        try:
            if self._running():
                self._service(timeout_ms)
                after()
        finally:
            self.lock.release()

    def wake(self) -> None:
        """Wake a receive thread keeping off the socket (stopping)."""
        self._kick.set()
