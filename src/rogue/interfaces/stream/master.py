"""``Master``: the sending end of a stream connection."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ..._errors import GeneralError
from .frame import Frame

if TYPE_CHECKING:
    from .slave import Slave

__all__ = ["Master"]


class Master:
    """Sends frames to its slaves; asks its primary (first) slave for new frames.

    Subclass it, call ``super().__init__()``, get a frame with
    ``self._reqFrame(size, True)``, fill it, and hand it on with
    ``self._sendFrame(frame)``. Connect with ``master >> slave``.
    """

    def __init__(self) -> None:
        # State under mangled names (``_Master__...``, distinct from the memory Master's, as
        # one object may be both): pyrogue and user subclasses own every plain attribute name.
        self.__slaves: tuple[Slave, ...] = ()
        self.__slavesRev: tuple[Slave, ...] = ()
        self.__slaveLock = threading.Lock()

    def _addSlave(self, slave: "Slave") -> None:
        """Attach ``slave``; the first one attached is the primary."""
        if not hasattr(slave, "_acceptFrame"):
            raise GeneralError("Master._addSlave", f"{slave!r} is not a stream slave")
        with self.__slaveLock:
            # Tuples are replaced, never mutated, so _sendFrame iterates without a lock.
            self.__slaves = self.__slaves + (slave,)
            self.__slavesRev = tuple(reversed(self.__slaves))

    def _slaveCount(self) -> int:
        """Number of attached slaves."""
        return len(self.__slaves)

    def _reqFrame(self, size: int, zeroCopyEn: bool = True) -> Frame:
        """A new frame of capacity >= ``size`` and payload 0, from the primary slave's pool."""
        slaves = self.__slaves
        if slaves:
            return slaves[0]._acceptReq(int(size), bool(zeroCopyEn))
        return Frame(int(size))

    def _sendFrame(self, frame: Frame) -> None:
        """Give ``frame`` to every slave, the most recently attached first, the primary last."""
        for slave in self.__slavesRev:
            slave._acceptFrame(frame)

    def _stop(self) -> None:
        """Stop the master (release its resources; the base class holds none)."""

    def __rshift__(self, other: Any) -> Any:
        """``master >> slave``: connect and return ``slave`` (for chains)."""
        self._addSlave(other)
        return other

    def __eq__(self, other: object) -> Any:
        """``a == b`` connects ``a`` and ``b`` both ways (each must be master and slave)."""
        from .slave import Slave

        if not isinstance(other, (Master, Slave)):
            return NotImplemented
        if not (isinstance(self, Slave) and isinstance(other, Master) and isinstance(other, Slave)):
            raise GeneralError("Master.__eq__", f"{self!r} == {other!r}: both sides must be stream master and slave")
        self._addSlave(other)
        other._addSlave(self)
        return other

    __hash__ = object.__hash__

    def __ne__(self, other: object) -> bool:
        """Identity test: Python's default ``!=`` would call ``__eq__`` and connect the two."""
        return self is not other
