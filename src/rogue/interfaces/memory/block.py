"""``Block``: a register region staged in memory, read and written in one transaction (C++ Rogue's).

A Block holds the image of ``size`` bytes at ``offset`` on its memory bus and
the :class:`~.variable.Variable` s that map bit fields onto it. Variables stage
values into the image (``Variable._set``); ``_startTransaction`` writes the
stale bytes, reads, verifies or posts; ``_checkTransaction`` waits, reports
errors with Rogue's texts, compares a verify read under the verify mask and
tells the variables to update. It issues its transactions through the
:class:`~.master.Master` methods only.

One lock per block (not re-entrant, as Rogue's mutex) serialises staging,
transaction start and the wait in ``_checkTransaction``; update callbacks
(``Variable._queueUpdate``) run after it is released. A value read arriving
during a start or a check waits for its end at the block's
:class:`~._reader_gate.ReaderGate` instead of on the lock (no lock convoy).
The state lives in one ``__slots__`` object under the mangled name
``_Block__rb``, so subclasses (pyrogue and user blocks) own every other
attribute name.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from ..._errors import GeneralError
from ..._logging import Logging
from ._models import rogue_error
from ._reader_gate import ReaderGate
from ._types import POST as _POST
from ._types import READ as _READ
from ._types import VERIFY as _VERIFY
from ._types import WRITE as _WRITE
from .master import Master

__all__ = ["Block", "block_logger", "block_read", "block_write", "logger_for"]

_DEBUG = logging.DEBUG
_family: logging.Logger | None = None


def logger_for(path: str) -> logging.Logger:
    """A block's logger, ``pyrogue.memory.block.<path>`` (Rogue's ``memory.block.<path>``).

    It is a child of one library logger (``pyrogue.memory.block``), so Rogue's
    global level and filters reach it through the logging tree; giving every
    block a level of its own would cost a pass over every logger per block.
    """
    global _family
    if _family is None:
        _family = Logging.create("memory.block")
    return logging.getLogger(Logging.normalizeName("memory.block." + path))


def _undefined_logger() -> logging.Logger:
    return logger_for("Undefined")


class _State:
    """Everything a Block holds (C++ ``Block``'s members)."""

    __slots__ = ("lock", "userLock", "path", "mode", "bulkOpEn", "updateEn", "offset", "size", "verifyEn",
                 "verifyReq", "verifyInp", "doUpdate", "enable", "stale", "retryCount", "verifyBase", "verifySize",
                 "data", "vdata", "dview", "vview", "vmask", "vmask_bits", "vblock_bits", "expected", "variables",
                 "vstates", "notify", "log", "gate")

    def __init__(self, offset: int, size: int) -> None:
        self.lock = threading.Lock()
        self.userLock = threading.RLock()
        self.path = "Undefined"
        self.mode = "RW"
        self.bulkOpEn = self.updateEn = self.verifyEn = self.verifyReq = self.verifyInp = False
        self.doUpdate = self.enable = self.stale = False
        self.offset, self.size = offset, size
        self.retryCount = self.verifyBase = self.verifySize = 0
        self.data, self.vdata, self.vmask = bytearray(size), bytearray(size), bytearray(size)
        # What transactions refer to (the image and the verify buffer never change size).
        self.dview, self.vview = memoryview(self.data), memoryview(self.vdata)
        self.expected = bytearray(size)
        self.vmask_bits = self.vblock_bits = 0
        self.variables: list[Any] = []
        self.vstates: tuple[Any, ...] = ()
        self.notify: tuple[Any, ...] = ()
        self.log: logging.Logger | None = None
        self.gate = ReaderGate()  # readers of the image during a start or a check (not queued on the lock)


class _UserLock:
    """``block._lock`` (what pyrogue's ``BaseVariable.lock`` returns): a re-entrant lock for user code.

    It is not the lock the block uses for its own work, so user code holding it
    across ``set``/``get`` cannot deadlock the block; it only serialises the
    code that takes it. A subclass may still set its own ``_lock``.
    """

    def __get__(self, obj: Any, objtype: Any = None) -> Any:
        if obj is None:
            return self
        return obj._Block__rb.userLock


def _var_state(var: Any) -> Any:
    try:
        return var._Variable__rb
    except AttributeError:
        raise TypeError(f"{var!r} is not a rogue.interfaces.memory.Variable") from None


class Block(Master):
    """A register block (``rim.Block(offset, size)``), a memory Master; see the module text.

    Disabled until ``setEnable(True)`` (pyrogue enables it after ``addVariables``).
    """

    _lock = _UserLock()

    def __init__(self, offset: int, size: int) -> None:
        Master.__init__(self)
        if not isinstance(offset, int) or offset < 0 or not isinstance(size, int) or size < 0:
            raise GeneralError("Block", f"offset {offset!r} and size {size!r} must be non-negative ints")
        self.__rb = _State(offset, size)

    # -- properties ---------------------------------------------------------------------
    @property
    def path(self) -> str:
        """The first variable's path (``"Undefined"`` before ``addVariables``)."""
        return self.__rb.path

    @property
    def mode(self) -> str:
        """``"RW"``, ``"RO"`` or ``"WO"``: the variables' common mode, else ``"RW"``."""
        return self.__rb.mode

    @property
    def bulkOpEn(self) -> bool:
        """True when any variable has ``bulkOpEn``."""
        return self.__rb.bulkOpEn

    @property
    def offset(self) -> int:
        """Offset of the block on its bus."""
        return self.__rb.offset

    @property
    def address(self) -> int:
        """Absolute address: the bus's address plus ``offset``."""
        return self._reqAddress() + self.__rb.offset

    @property
    def size(self) -> int:
        """Size in bytes."""
        return self.__rb.size

    @property
    def variables(self) -> list[Any]:
        """The variables (a new list)."""
        return list(self.__rb.variables)

    def setEnable(self, newState: bool) -> None:
        """Enable or disable transactions (a disabled block drops them after clearing stale state)."""
        b = self.__rb
        with b.lock:
            b.enable = bool(newState)

    # -- transactions ---------------------------------------------------------------------
    def _startTransaction(self, type: int, forceWr: bool, check: bool, var: Any, index: int) -> None:
        """Start a Read/Write/Post/Verify of the block, or of ``var``'s range; wait and check if ``check``."""
        b = self.__rb
        if var is None:
            vs = None
        else:
            try:
                vs = var._Variable__rb
            except AttributeError:
                vs = _var_state(var)
        if not check and not b.retryCount:  # pyrogue's usual call: start only (one attempt, no wait)
            self.__start(b, type, forceWr, vs, index)
        elif self.__run(b, type, forceWr, check, vs, index):
            self.__varUpdate(b)

    def _checkTransaction(self) -> None:
        """Wait for the block's transactions, raise Rogue's error texts, then notify the variables."""
        b = self.__rb
        if self.__check(b):
            self.__varUpdate(b)

    def __run(self, b: _State, type: int, forceWr: bool, check: bool, vs: Any, index: int) -> bool:
        """Rogue's retry loop (``startTransaction``); True when the variables should be notified."""
        retry = b.retryCount
        count = 0
        upd = False
        while True:
            self.__start(b, type, forceWr, vs, index)
            if check or retry > 0:
                try:
                    upd = self.__check(b)
                    count = retry
                except GeneralError as err:
                    forceWr = True  # the stale state is lost
                    log = b.log or _undefined_logger()
                    if count + 1 > retry:
                        log.error("Error on try %i out of %i: %s", count + 1, retry + 1, err)
                        raise
                    log.warning("Error on try %i out of %i: %s", count + 1, retry + 1, err)
            else:
                count = retry
            more = count < retry
            count += 1
            if not more:
                return upd

    def __start(self, b: _State, type: int, forceWr: bool, vs: Any, index: int) -> None:
        """Rogue's ``intStartTransaction``: gating, range, verify bookkeeping, one transaction."""
        mode = b.mode
        if type == _WRITE:
            if mode == "RO" or (not b.stale and not forceWr):
                return
        elif type == _READ:
            if mode == "WO" or b.stale:
                return
        elif type == _POST:
            if mode == "RO":
                return
        elif type == _VERIFY:
            if mode == "WO" or mode == "RO" or b.stale or not b.verifyReq:
                return
        with b.lock:
            gate = b.gate
            gate.waiting = True  # the issue or a wait lets other threads run: readers wait at the gate
            try:
                # Master's wait, then forget the errors (Rogue's waitTransaction(0), clearError()), inline.
                if self._Master__trans:  # type: ignore[attr-defined]  # a slave that finished at once left none
                    self._waitTransaction(0)
                self._Master__error = ""
                if vs is None:
                    low, high = 0, b.size - 1
                    if type == _WRITE or type == _POST:
                        b.stale = False
                        for v in b.vstates:
                            v.stale = False
                elif type == _READ or type == _VERIFY:
                    if 0 <= index < vs.numValues:
                        low, high = vs.low[index], vs.high[index]
                    else:
                        low, high = vs.low[0], vs.high[-1]
                else:
                    low, high = vs.staleLow, vs.staleHigh
                    # Rogue's getSlave()->doMinAccess(), without Master._reqMinAccess's call in between.
                    align = int(self._Master__slave._doMinAccess()) or 1  # type: ignore[attr-defined]
                    if low % align:
                        low -= low % align
                    if (high + 1) % align:
                        high += align - (high + 1) % align
                    b.stale = False
                    for v in b.vstates:
                        if v.stale:
                            if v.staleLow < low:
                                low = v.staleLow
                            if v.staleHigh > high:
                                high = v.staleHigh
                            v.stale = False
                if not b.enable:
                    return
                if type == _VERIFY:
                    off, size, view = b.verifyBase, b.verifySize, b.vview
                    b.verifyInp = True
                else:
                    off, size, view = low, high - low + 1, b.dview
                    if type == _WRITE:
                        b.verifyBase, b.verifySize = off, size
                        b.verifyReq = b.verifyEn
                        # What a later verify must find.
                        if size == b.size:
                            b.expected[:] = b.data
                        else:
                            b.expected[off:off + size] = view[off:off + size]
                b.doUpdate = b.updateEn
                log = b.log
                if log is not None and log.isEnabledFor(_DEBUG):
                    log.debug("Start transaction type = %i, Offset=0x%x, lByte=%i, hByte=%i, tOff=0x%x, tSize=%i",
                              type, b.offset, low, high, off, size)
                # Master._reqTransaction without its checks of a caller's buffer (a view of our own image).
                self._Master__issue(  # type: ignore[attr-defined]
                    b.offset + off, view if size == b.size else view[off:off + size], size, type)
            finally:
                gate.waiting = False
                if gate.readers:  # they read the image as this start leaves it, as Rogue's would on the mutex
                    gate.publish(b.data)

    def __check(self, b: _State) -> bool:
        """Rogue's ``checkTransaction``: wait, error text, verify compare; the update flag."""
        with b.lock:
            gate = b.gate
            gate.waiting = True  # readers of the image wait for this hold's end at the gate, not on the lock
            try:
                # Master's wait and its error text, then cleared (inline).
                if self._Master__trans:  # type: ignore[attr-defined]  # a slave that finished at once left none
                    self._waitTransaction(0)
                err: str = self._Master__error
                if err:
                    self._Master__error = ""
                    raise rogue_error("Block::checkTransaction", f"Transaction error for block {b.path} with "
                                      f"address 0x{self.address & 0xFFFFFFFF:08x}. Error {err}")
                if not b.enable:
                    return False
                if b.verifyInp:
                    b.verifyInp = False
                    self.__compare(b)  # unlike Rogue, a failed verify stays pending, so a retry verifies again
                    b.verifyReq = False
                upd = b.doUpdate
                b.doUpdate = False
            finally:
                gate.waiting = False
                if gate.readers:  # they read the image as this check leaves it, as Rogue's would on the mutex
                    gate.publish(b.data)
        return upd

    def __compare(self, b: _State) -> None:
        """Compare the verify read with the written bytes under the verify mask (lock held)."""
        lo, hi = b.verifyBase, b.verifyBase + b.verifySize
        got, exp, mask = b.vdata, b.expected, b.vmask
        if (got == exp) if hi - lo == b.size else (got[lo:hi] == exp[lo:hi]):
            return
        diff = (int.from_bytes(got[lo:hi], "little") ^ int.from_bytes(exp[lo:hi], "little")) \
            & int.from_bytes(mask[lo:hi], "little")
        if diff:
            x = lo + ((diff & -diff).bit_length() - 1) // 8
            raise rogue_error("Block::checkTransaction", f"Verify error for block {b.path} with address "
                              f"0x{self.address:08x}. Byte: {x}. Got: 0x{got[x]:02x}, Exp: 0x{exp[x]:02x}, "
                              f"Mask: 0x{mask[x]:02x}")

    def __varUpdate(self, b: _State) -> None:
        """``_queueUpdate()`` of every variable with ``updateNotify`` (no lock held; errors logged)."""
        for var in b.notify:
            try:
                var._queueUpdate()
            except Exception:  # Rogue prints the Python error and carries on
                (b.log or _undefined_logger()).error("Exception in _queueUpdate of %s", b.path, exc_info=True)

    # -- building -------------------------------------------------------------------------
    def addVariables(self, variables: Any) -> None:
        """Attach ``variables``; set path, mode, flags, and the overlap and verify masks (Rogue's checks)."""
        from ._block_masks import add_variables
        b = self.__rb
        vlist = list(variables)
        add_variables(self, b, vlist, [_var_state(v) for v in vlist])

    def _rateTest(self, count: int = 1000000) -> None:
        """Rogue's rate test: ``count`` raw 4-byte reads then writes at address 0, rates printed."""
        value = bytearray(4)
        for kind, word in ((_READ, "Read"), (_WRITE, "Wrote")):
            self._waitTransaction(0)
            start = time.monotonic()
            for _ in range(count):
                self._reqTransaction(0, value, 4, 0, kind)
                self._waitTransaction(0)
            dur = time.monotonic() - start
            print(f"\nBlock raw: {word} {count} times in {dur:f} seconds. Rate = {count / dur if dur else 0.0:f}")


def block_read(block: Block, vs: Any, index: int = -1) -> None:
    """Rogue's C++ ``Block::read``: read ``vs``'s range and check (no update notification)."""
    b = block._Block__rb  # type: ignore[attr-defined]
    block._Block__run(b, _READ, False, False, vs, index)  # type: ignore[attr-defined]
    block._Block__check(b)  # type: ignore[attr-defined]


def block_write(block: Block, vs: Any, index: int = -1) -> None:
    """Rogue's C++ ``Block::write``: forced write, verify, check (no update notification)."""
    b = block._Block__rb  # type: ignore[attr-defined]
    block._Block__run(b, _WRITE, True, False, vs, index)  # type: ignore[attr-defined]
    block._Block__run(b, _VERIFY, False, False, vs, index)  # type: ignore[attr-defined]
    block._Block__check(b)  # type: ignore[attr-defined]


def block_logger(block: Block) -> logging.Logger:
    """The block's logger (``memory.block.<path>``)."""
    log: logging.Logger = block._Block__rb.log or _undefined_logger()  # type: ignore[attr-defined]
    return log
