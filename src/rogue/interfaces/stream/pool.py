"""``Pool``: where a stream slave's frames come from (Rogue's ``ris.Pool``, the base of ``Slave``)."""

from __future__ import annotations

import weakref

from ..._errors import GeneralError
from .frame import Frame

__all__ = ["Pool"]


class _Lease(weakref.ref[Frame]):
    """The bookkeeping of one allocated frame; its callback returns the buffers when the frame is freed."""

    __slots__ = ("nbytes", "count")
    nbytes: int
    count: int


class Pool:
    """Allocates frames for masters and counts what is allocated (Rogue's ``Pool``).

    A master's ``_reqFrame(size, zeroCopyEn)`` asks its primary slave's
    :meth:`_acceptReq`. As in Rogue, a frame is made of buffers: one of exactly
    ``size`` bytes, or with :meth:`setFixedSize` ``n`` buffers of ``F`` bytes
    each (``n = ceil(size / F)``; a request of at most ``F`` bytes gets one buffer
    of ``size`` usable bytes out of ``F`` allocated), and a request of 0 bytes
    none. :meth:`getAllocCount` / :meth:`getAllocBytes` count the buffers still
    in use: they go back to the pool (Rogue's ``retBuffer``) when the frame is
    freed. Here a frame's buffers are one contiguous ``bytearray``, and
    :meth:`setPoolSize` only records the depth: Python's allocator recycles the
    memory (a kept buffer could still be read by a zero-copy send).
    """

    def __init__(self) -> None:
        # State under mangled names (``_Pool__...``): subclasses own every plain attribute name.
        self.__fixedSize = 0
        self.__poolSize = 0
        # One entry per frame in use; set.add/discard are atomic, so the hot path takes no lock
        # (a frame freed by the GC in any thread returns its lease), and the counts are summed on demand.
        self.__leases: set[_Lease] = set()

    def _acceptReq(self, size: int, zeroCopyEn: bool) -> Frame:
        """A new frame able to hold ``size`` bytes (payload 0), for a master's ``_reqFrame``."""
        size = int(size)
        if size < 0:
            raise GeneralError("Pool::acceptReq", f"frame size {size} is negative")
        fixed = self.__fixedSize
        if size == 0:
            return Frame(0)  # no buffer (Rogue allocates buffers until the size is covered)
        if fixed:
            count = -(-size // fixed)
            capacity = size if count == 1 else count * fixed
            nbytes = count * fixed
        else:
            count, capacity, nbytes = 1, size, size
        frame = Frame(capacity)
        lease = _Lease(frame, self.__leases.discard)  # Rogue's retBuffer: the frame's buffers return when it is freed
        lease.nbytes = nbytes
        lease.count = count
        self.__leases.add(lease)
        return frame

    def getAllocCount(self) -> int:
        """Buffers allocated by this pool and still in use (by frames not yet freed)."""
        return sum(lease.count for lease in list(self.__leases))

    def getAllocBytes(self) -> int:
        """Bytes allocated by this pool and still in use."""
        return sum(lease.nbytes for lease in list(self.__leases))

    def setFixedSize(self, size: int) -> None:
        """Allocate buffers of ``size`` bytes each, as many as a frame needs (0: one buffer of the asked size)."""
        size = int(size)
        if size < 0:
            raise GeneralError("Pool::setFixedSize", f"size {size} is negative")
        self.__fixedSize = size

    def getFixedSize(self) -> int:
        """The fixed buffer size (0: none)."""
        return self.__fixedSize

    def setPoolSize(self, size: int) -> None:
        """Set how many freed fixed-size buffers Rogue keeps for reuse (recorded; Python recycles memory here)."""
        size = int(size)
        if size < 0:
            raise GeneralError("Pool::setPoolSize", f"size {size} is negative")
        self.__poolSize = size

    def getPoolSize(self) -> int:
        """The pool depth set with :meth:`setPoolSize`."""
        return self.__poolSize
