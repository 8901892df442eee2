"""Reading a block's image while another thread holds the block's lock to start or check a transaction.

Rogue's block mutex is held across ``checkTransaction``'s wait, and a value
read (``get``) on the block waits until that transaction completes
(``registers.md`` 2.7). A C++ reader then takes the mutex, copies the bytes
and lets go, all without the GIL. A Python thread blocked on a
``threading.Lock`` is woken holding it and must then wait for the GIL, which
the thread that released the lock still holds and keeps until it blocks
again; that thread's next access to the block then waits for the reader: a
lock convoy, context switches on every access. Measured: pyrogue's update
thread, whose notifications read each value, fell behind a loop of register
accesses across the memory bridge by hundreds of entries a second, where
under C++ Rogue it keeps up (``benchmarks/README.md``).

:class:`ReaderGate` avoids it for the holds that let other threads run: a
transaction's start (its issue, a wait for the previous one) and check (the
wait). A reader that finds the lock held by one (:attr:`ReaderGate.waiting`)
registers and sleeps on the gate's condition instead of the lock. The
holder, at the end of its hold and still holding the lock, publishes a copy
of the image to the registered readers (:meth:`ReaderGate.publish`), and they
read their values from it: the bytes a C++ reader reads on taking the mutex
after that hold, with no lock held while they wait for the GIL. Any other
holder of the lock (a set, another read: short, all Python) is waited for on
the lock itself, as before.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, TypeVar

__all__ = ["ReaderGate"]

T = TypeVar("T")


class ReaderGate:
    """The readers of one block's image who wait out a start's or a check's hold (see the module text).

    The block's lock holder sets :attr:`waiting` over a start's or a check's
    hold, clears it at the end and then, while :attr:`readers` is non-zero,
    calls :meth:`publish` before it releases the lock.
    """

    __slots__ = ("waiting", "readers", "_cond", "_snap", "_gen")

    def __init__(self) -> None:
        self.waiting = False  # the lock's holder starts or checks a transaction (set and cleared by it)
        self.readers = 0  # readers registered for the current hold's end (changed under _cond)
        self._cond = threading.Condition(threading.Lock())
        self._snap = b""  # the image the last publish left to its readers
        self._gen = 0  # publishes so far

    def publish(self, data: Any) -> None:
        """Give the registered readers a copy of ``data``, the image as the holder's hold leaves it (lock held)."""
        with self._cond:
            self._snap = bytes(data)
            self._gen += 1
            self._cond.notify_all()

    def read(self, lock: Any, data: Any, fn: Callable[[Any], T]) -> T:
        """``fn(image)`` for a reader that found ``lock`` (the block's) held.

        While the holder starts or checks a transaction: from the image that
        hold leaves (a check's once its transaction completed, as a C++
        reader's), without taking the lock. Otherwise: ``fn(data)`` under the
        lock, waiting for it.
        """
        if self.waiting:
            cond = self._cond
            with cond:
                self.readers += 1
                try:
                    # Registered before the holder looks at ``readers`` if its hold is still on: it publishes then.
                    if self.waiting:
                        gen = self._gen
                        while self._gen == gen:
                            cond.wait()
                        return fn(self._snap)
                finally:
                    self.readers -= 1
                    if not self.readers:
                        self._snap = b""
        with lock:
            return fn(data)
