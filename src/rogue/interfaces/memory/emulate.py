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
        ttype = transaction._type
        write = ttype == _WRITE or ttype == _POST
        if not write and ttype != _READ and ttype != _VERIFY:
            transaction._complete(None, f"Emulate: unsupported transaction type {ttype}")
            return
        view = transaction._view
        if view is None:
            return  # already finished elsewhere
        addr = transaction._address
        size = transaction._size
        pages = self.__pages
        pos = 0
        with self.__lock:
            while pos < size:
                base = addr & ~(_PAGE - 1)
                off = addr - base
                n = min(_PAGE - off, size - pos)
                page = pages.get(base)
                if write:
                    if page is None:
                        page = pages[base] = bytearray(_PAGE)
                        if _log.isEnabledFor(_DEBUG):
                            _log.debug("Allocating block at 0x%x. Total Blocks %i, Total Size = %i",
                                       base, len(pages), len(pages) * _PAGE)
                    page[off:off + n] = view[pos:pos + n]
                elif page is None:
                    view[pos:pos + n] = _ZEROS[:n]
                else:
                    view[pos:pos + n] = memoryview(page)[off:off + n]
                pos += n
                addr += n
        transaction._complete(None, "")

    def _pageCount(self) -> int:
        """Number of 4 KiB pages allocated so far (for tests and diagnostics)."""
        return len(self.__pages)
