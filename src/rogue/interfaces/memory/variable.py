"""``Variable``: one register field (or list of fields) of a :class:`~.block.Block`, as C++ Rogue's.

pyrogue's ``RemoteVariable`` subclasses it and owns the instance ``__dict__``:
every piece of our state lives in one ``__slots__`` object stored under the
mangled name ``_Variable__rb``. One lookup in the instance dict reaches it and
every field after that is a slot read, which is what the hot paths (``_set``,
``_get`` and the Block's transactions, which hold the same object) need; it
also lets the Block reach a variable's geometry without going through
methods, as Rogue's C++ Block does.
"""

from __future__ import annotations

from typing import Any, Callable

from ..._errors import GeneralError
from . import _access
from ._model_ids import BYTES, INT, PYFUNC, STRING, UINT
from ._models import NUMERIC
from ._packing import Layout
from .block import block_logger, block_read

__all__ = ["Variable"]


def _to_double(obj: Any) -> float:
    """Rogue's ``py_object_convert<double>``: an int or float, anything else 0."""
    if isinstance(obj, (int, float)):
        return float(obj)
    return 0.0


def _u32(obj: Any, what: str) -> int:
    if not isinstance(obj, int) or obj < 0 or obj > 0xFFFFFFFF:
        raise GeneralError("Variable", f"{what} must be an unsigned 32-bit int, got {obj!r}")
    return int(obj)


class _State:
    """Everything a Variable holds (C++ ``Variable``'s members); shared with its Block."""

    __slots__ = ("name", "path", "mode", "ro", "modelId", "model", "offset", "bitOffset", "bitSize", "overlapEn",
                 "verifyEn", "byteReverse", "bitReverse", "bulkOpEn", "updateNotify", "lo", "hi", "rng", "binPoint",
                 "numValues", "valueBits", "valueStride", "retryCount", "bitTotal", "valueBytes", "fast", "vec",
                 "varBytes", "low", "high", "staleLow", "staleHigh", "stale", "lay", "codec", "setter", "getter",
                 "block", "bst")

    name: str
    path: str
    mode: str
    ro: bool
    modelId: int
    model: Any
    offset: int
    bitOffset: list[int]
    bitSize: list[int]
    overlapEn: bool
    verifyEn: bool
    byteReverse: bool
    bitReverse: bool
    bulkOpEn: bool
    updateNotify: bool
    lo: float
    hi: float
    rng: bool
    binPoint: int
    numValues: int
    valueBits: int
    valueStride: int
    retryCount: int
    bitTotal: int
    valueBytes: int
    fast: bool
    vec: bool
    varBytes: int
    low: list[int]
    high: list[int]
    staleLow: int
    staleHigh: int
    stale: bool
    lay: Layout
    codec: Any
    setter: Callable[[Any, Any, int], None]
    getter: Callable[[Any, int], Any]
    block: Any
    bst: Any


class Variable:
    """A register variable (``rim.Variable``): geometry, value conversion and staging in its block.

    ``Variable(name, mode, minimum, maximum, offset, bitOffset, bitSize,
    overlapEn, verify, bulkOpEn, updateNotify, model, listData, retryCount)``
    as Rogue's: ``model`` gives ``modelId``, ``isBigEndian``, ``bitReverse``,
    ``binPoint`` (and ``toBytes``/``fromBytes`` for PyFunc); ``listData`` gives
    ``numValues`` (0: a scalar), ``valueBits`` and ``valueStride``. ``minimum``
    and ``maximum`` enable the range check when either is non-zero.
    """

    def __init__(self, name: str, mode: str, minimum: Any, maximum: Any, offset: int, bitOffset: Any,
                 bitSize: Any, overlapEn: bool, verify: bool, bulkOpEn: bool, updateNotify: bool, model: Any,
                 listData: Any, retryCount: int) -> None:
        s = _State()
        s.name = s.path = str(name)
        s.mode = str(mode)
        s.ro = s.mode == "RO"
        s.lo, s.hi = _to_double(minimum), _to_double(maximum)
        s.rng = s.lo != 0 or s.hi != 0
        if not isinstance(offset, int) or offset < 0:
            raise GeneralError("Variable", f"offset of {name} must be a non-negative int, got {offset!r}")
        s.offset = int(offset)
        s.bitOffset = [_u32(x, "bitOffset") for x in bitOffset]
        s.bitSize = [_u32(x, "bitSize") for x in bitSize]
        if not s.bitOffset or len(s.bitOffset) != len(s.bitSize):
            raise GeneralError("Variable", f"{name}: bitOffset {s.bitOffset} and bitSize {s.bitSize} must be "
                               "non-empty lists of the same length")
        s.overlapEn, s.verifyEn = bool(overlapEn), bool(verify)
        s.bulkOpEn, s.updateNotify = bool(bulkOpEn), bool(updateNotify)
        s.modelId = _u32(model.modelId, "modelId")
        s.byteReverse = bool(model.isBigEndian)
        s.bitReverse = bool(model.bitReverse)
        s.binPoint = _u32(model.binPoint, "binPoint")
        s.model = model
        s.numValues = _u32(listData.numValues, "numValues")
        s.valueBits = _u32(listData.valueBits, "valueBits")
        s.valueStride = _u32(listData.valueStride, "valueStride")
        s.retryCount = _u32(retryCount, "retryCount")
        if s.numValues == 0:  # Rogue overwrites valueBits/valueStride of a scalar
            s.bitTotal = sum(s.bitSize)
            s.valueBytes = (s.bitTotal + 7) // 8
            s.valueBits = s.valueStride = s.bitTotal
        else:
            s.bitTotal = s.bitSize[0]
            s.valueBytes = (s.valueBits + 7) // 8
        s.fast = (len(s.bitOffset) == 1 and s.bitOffset[0] % 8 == 0 and s.bitSize[0] % 8 == 0
                  and (s.numValues == 0 or (s.valueBits % 8 == 0 and s.valueStride % 8 == 0)))
        s.stale = False
        s.block = s.bst = None
        self.__rb = s
        _shift(s, 0, 1)

    # -- geometry -------------------------------------------------------------------------
    def _shiftOffsetDown(self, shift: int, minSize: int) -> None:
        """Move the variable ``shift`` bytes down (bit offsets grow) and align its ranges to ``minSize`` bytes."""
        _shift(self.__rb, shift, minSize)

    def _updatePath(self, path: str) -> None:
        """Set the path used in the block's name and in ``_getDumpValue``."""
        self.__rb.path = str(path)

    def _varBytes(self) -> int:
        """Bytes spanned from the block start through the variable's last byte, aligned to the access size."""
        return self.__rb.varBytes

    def _offset(self) -> int:
        """Byte offset (within the device, then within the block once shifted)."""
        return self.__rb.offset

    def _overlapEn(self) -> bool:
        """Whether the variable may overlap others."""
        return self.__rb.overlapEn

    def _verifyEn(self) -> bool:
        """Whether writes of this variable are verified."""
        return self.__rb.verifyEn

    def _bitOffset(self) -> list[int]:
        """Bit offset of each chunk (a new list)."""
        return list(self.__rb.bitOffset)

    def _bitSize(self) -> list[int]:
        """Bit size of each chunk (a new list)."""
        return list(self.__rb.bitSize)

    def _numValues(self) -> int:
        """Number of list elements, 0 for a scalar."""
        return self.__rb.numValues

    def _valueBits(self) -> int:
        """Bits per value (a scalar's total bits)."""
        return self.__rb.valueBits

    def _valueStride(self) -> int:
        """Bits between list elements (a scalar's total bits)."""
        return self.__rb.valueStride

    def _retryCount(self) -> int:
        """Extra attempts of a failed transaction."""
        return self.__rb.retryCount

    # -- values ---------------------------------------------------------------------------
    def _set(self, value: Any, index: int = -1) -> None:
        """Convert ``value`` with the model's rules and stage it in the block (no transaction)."""
        s = self.__rb
        s.setter(s, value, index)

    def _get(self, index: int = -1) -> Any:
        """The staged value (a numpy array for a whole list, ``index`` < 0), with the model's rules."""
        s = self.__rb
        return s.getter(s, index)

    def _queueUpdate(self) -> None:
        """Called by the block after a transaction when ``updateNotify`` is set; pyrogue overrides it."""

    def _getDumpValue(self, read: bool) -> str:
        """``"<path> = v0 v1 ...\\n"`` in Rogue's formats; reads the block first when ``read``."""
        s = self.__rb
        if read:
            _access.attached(s)
            block_read(s.block, s)
        return _access.dump(s)

    def _setLogLevel(self, level: int) -> None:
        """Set the level of the block's logger (nothing before the variable is in a block)."""
        if self.__rb.block is not None:
            block_logger(self.__rb.block).setLevel(int(level))

    def _rateTest(self, count: int = 1000000) -> None:
        """Rogue's rate test: ``count`` UInt reads then writes through the block, rates printed."""
        _access.rate_test(self.__rb, count)


def _shift(s: _State, shift: int, minSize: int) -> None:
    """Rogue's ``shiftOffsetDown`` in integers: offset, transaction byte ranges, stale range, layout."""
    if minSize <= 0:
        raise GeneralError("Variable._shiftOffsetDown", f"minimum access size of {s.name} must be > 0")
    if shift:
        s.offset -= shift
        s.bitOffset = [x + shift * 8 for x in s.bitOffset]
    unit = 8 * minSize
    if s.numValues == 0:  # Rogue uses the first and last chunks, wrong for chunks out of order
        s.varBytes = -(-max(o + n for o, n in zip(s.bitOffset, s.bitSize)) // unit) * minSize
        s.low = [(min(s.bitOffset) // unit) * minSize]
        s.high = [s.varBytes - 1]
    else:
        first, stride, bits = s.bitOffset[0], s.valueStride, s.valueBits
        s.low = [((first + x * stride) // unit) * minSize for x in range(s.numValues)]
        s.high = [-(-(first + x * stride + bits) // unit) * minSize - 1 for x in range(s.numValues)]
        s.varBytes = s.high[-1] + 1
    s.staleLow, s.staleHigh = s.low[0], s.high[-1]
    s.lay = Layout(s.bitOffset, s.bitSize, s.numValues, s.valueBits, s.valueStride, s.valueBytes,
                   s.byteReverse, s.fast)
    _dispatch(s)


def _dispatch(s: _State) -> None:
    """Pick the set/get functions of the model (Rogue's ``Variable`` constructor switch)."""
    mid = s.modelId
    if (mid == UINT or mid == INT) and s.valueBits > 64:
        mid = PYFUNC
    codec = NUMERIC.get(mid)
    s.codec = codec
    s.vec = codec is not None and s.numValues > 0 and s.valueBytes <= 8
    if codec is not None:
        s.setter, s.getter = _access.set_num, _access.get_num
    elif mid == STRING:
        s.setter, s.getter = _access.set_string, _access.get_string
    elif mid == BYTES:
        s.setter, s.getter = _access.set_bytes, _access.get_bytes
    elif mid == PYFUNC:
        s.setter, s.getter = _access.set_pyfunc, _access.get_pyfunc
    else:  # Custom and unknown ids: set does nothing, get gives None
        s.setter, s.getter = _access.set_none, _access.get_none
    _access.specialise(s)
