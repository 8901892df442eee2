"""``Emulate``: a memory slave that behaves as sparse RAM (for tests without hardware)."""

from __future__ import annotations

import logging
import threading

from ..._logging import Logging
from ._types import POST as _POST
from ._types import READ as _READ
from ._types import VERIFY as _VERIFY
from ._types import WRITE as _WRITE
from .slave import Slave
from .transaction import Transaction

__all__ = ["Emulate"]

_PAGE = 0x1000
_OFF_MASK = _PAGE - 1
_TYPES = frozenset((_READ, _WRITE, _POST, _VERIFY))
_ZEROS = memoryview(bytes(_PAGE))
_DEBUG = logging.DEBUG
_log = Logging.create("memory.Emulate")  # one logger for every instance, as Rogue's name


class Emulate(Slave):
    """Sparse memory: writes store bytes, reads return them (zeros where never written).

    ``Emulate(minAccess, maxAccess)``. Memory is kept in 4 KiB pages allocated
    on first write; any address and size are accepted, and an access may span
    pages. As in Rogue there is no alignment or size check (``minAccess`` /
    ``maxAccess`` are only reported to masters); unlike Rogue, a transaction
    type other than Read/Write/Post/Verify fails instead of being read.
    Thread-safe: one lock serialises accesses. Logs Rogue's debug line
    ("Allocating block at 0x...") on logger ``pyrogue.memory.Emulate`` when it
    allocates a page.
    """

    def __init__(self, minAccess: int = 4, maxAccess: int = 0xFFFFFFFF) -> None:
        super().__init__(minAccess, maxAccess)
        # Mangled names: subclasses own the plain ones.
        self.__pages: dict[int, bytearray] = {}
        self.__lock = threading.Lock()

    def _doTransaction(self, transaction: Transaction) -> None:
        """Execute ``transaction`` against the emulated memory."""
        view = transaction._view
        if view is None or not self.__access(transaction._address, view, transaction._size, transaction._type):
            self.__other(transaction)  # spans pages, already finished, or an unknown type
            return
        transaction._complete(None, "")

    def _rbDirect(self, address: int, view: memoryview, size: int, ttype: int) -> bool:
        """Internal: the access within one page at once, without a Transaction (see ``Slave._rbDirect``).

        Not for a subclass (or an instance) with a ``_doTransaction`` of its own, which must see every access.
        """
        if "_doTransaction" in self.__dict__ or type(self)._doTransaction is not Emulate._doTransaction:
            return False
        return self.__access(address, view, size, ttype)

    def __access(self, addr: int, view: memoryview, size: int, ttype: int) -> bool:
        """An access within one page (every register access): done, True; else nothing done, False."""
        off = addr & _OFF_MASK
        if off + size > _PAGE or ttype not in _TYPES:
            return False
        with self.__lock:
            page = self.__pages.get(addr - off)
            if ttype == _READ or ttype == _VERIFY:
                view[:] = _ZEROS[:size] if page is None else page[off:off + size]
            else:
                if page is None:
                    page = self.__allocate(addr - off)
                page[off:off + size] = view
        return True

    def __other(self, transaction: Transaction) -> None:
        """An access spanning pages (page by page), one already finished (nothing), or an unknown type (failed)."""
        ttype = transaction._type
        if ttype not in _TYPES:
            transaction._complete(None, f"Emulate: unsupported transaction type {ttype}")
            return
        view = transaction._view
        if view is None:
            return  # already finished elsewhere
        write = ttype == _WRITE or ttype == _POST
        addr = transaction._address
        size = transaction._size
        pages = self.__pages
        pos = 0
        with self.__lock:
            while pos < size:
                off = addr & _OFF_MASK
                n = min(_PAGE - off, size - pos)
                page = pages.get(addr - off)
                if write:
                    if page is None:
                        page = self.__allocate(addr - off)
                    page[off:off + n] = view[pos:pos + n]
                elif page is None:
                    view[pos:pos + n] = _ZEROS[:n]
                else:
                    view[pos:pos + n] = memoryview(page)[off:off + n]
                pos += n
                addr += n
        transaction._complete(None, "")

    def __allocate(self, base: int) -> bytearray:
        """A new zeroed page at ``base`` (lock held), with Rogue's debug line."""
        pages = self.__pages
        page = pages[base] = bytearray(_PAGE)
        if _log.isEnabledFor(_DEBUG):
            _log.debug("Allocating block at 0x%x. Total Blocks %i, Total Size = %i",
                       base, len(pages), len(pages) * _PAGE)
        return page

    def _pageCount(self) -> int:
        """Number of 4 KiB pages allocated so far (for tests and diagnostics)."""
        return len(self.__pages)
