"""The hot paths of the common variables: ``_set``/``_get`` made for one variable's layout, with no dispatch.

``specialise(s)`` gives a variable state ``s`` its own setter and getter when
its model and layout allow it (called again whenever the layout changes):

* a byte-aligned scalar ``UInt``/``Int`` (up to 64 bits): a plain ``int``
  that Rogue takes without a complaint (within its C type and the variable's
  limits, made int bounds once: :func:`int_bounds`) goes straight into
  the image, with one ``struct`` call for 1/2/4/8 bytes;
* a byte-aligned list of 1-, 2-, 4- or 8-byte ``UInt``/``Int`` values: an
  ``ndarray`` of an accepted type whose every value passes the limits (a
  ``uint32`` array into pyrogue's 32-bit ``UInt``, limited to 0..2**32-1)
  goes into the image in one numpy assignment (its C cast truncates each
  value to the element's bytes, as Rogue copies the low bytes of each
  ``uint64_t``/``int64_t``), and the whole list comes out as one numpy copy
  in Rogue's dtype.

They do exactly what ``_access.set_num``/``get_num`` do for those inputs;
every other value, index or type goes to ``set_num``/``get_num``, which check
the values one by one and raise Rogue's errors. The block lock is held while
the image is touched, as there; a read that finds it held waits at the
block's gate (``_reader_gate``) as ``_access.load`` does.
"""

from __future__ import annotations

import math
import struct
from typing import Any, Callable

import numpy as np

from ._access import _detached, _mark_stale, get_num, set_num
from ._model_ids import INT, UINT
from ._packing import typed_view

__all__ = ["int_bounds", "specialise"]

_ndarray = np.ndarray
_STRUCT = {1: "B", 2: "H", 4: "I", 8: "Q"}  # struct codes of the unsigned C types of 1, 2, 4 and 8 bytes


def specialise(s: Any) -> None:
    """Give ``s`` its own setter/getter when its model and layout have a fast path (see the module text)."""
    if s.codec is None or not s.lay.fast or s.modelId not in (UINT, INT):
        return
    if not s.numValues:
        _scalar(s)
    elif s.valueBytes in (1, 2, 4, 8):
        _list(s)


def int_bounds(s: Any, floor: int, ceil: int) -> tuple[int, int]:
    """Int bounds [low, high] within [floor, ceil] whose every int passes Rogue's range check (may be empty).

    Rogue compares ``double(v)`` with the limits ``lo`` and ``hi``; a NaN limit
    never refuses. ``double`` keeps the order and an integral double converts
    back exactly, so every int from ``ceil(lo)`` to ``floor(hi)`` passes. The
    bounds may leave out a few ints that pass as well (next to a limit beyond
    2**53, where ints round onto it): those take the general path, which
    checks them as Rogue does.
    """
    if not s.rng:
        return floor, ceil
    lo, hi = s.lo, s.hi
    low = floor if lo != lo or lo == -math.inf else ceil + 1 if lo == math.inf else max(floor, math.ceil(lo))
    high = ceil if hi != hi or hi == math.inf else floor - 1 if hi == -math.inf else min(ceil, math.floor(hi))
    return low, high


def _scalar(s: Any) -> None:
    lay, codec = s.lay, s.codec
    a, n, order, vmask = lay.fb0, lay.valueBytes, lay.order, lay.vmask
    e = a + n
    signed, ro = s.modelId == INT, s.ro
    low0, high0 = s.low[0], s.high[0]
    # Plain ints Rogue takes without a complaint: its C type's range, within the variable's limits.
    floor, ceil = int_bounds(s, *((-(1 << 63), (1 << 63) - 1) if signed else (0, (1 << 64) - 1)))
    decode = codec.decode
    fmt = _STRUCT.get(n)
    put: Callable[[bytearray, int, int], None]
    take: Callable[[bytearray, int], tuple[Any, ...]]
    if fmt is not None:  # 1/2/4/8 bytes: one struct call on the image, no intermediate bytes object
        code = struct.Struct((">" if lay.reverse else "<") + fmt)
        put, take = code.pack_into, code.unpack_from
    else:
        def put(data: bytearray, at: int, value: int) -> None:
            data[at:e] = value.to_bytes(n, order)

        def take(data: bytearray, at: int) -> tuple[Any, ...]:
            return (int.from_bytes(data[at:e], order),)

    def setter(s: Any, value: Any, index: int) -> None:
        if value.__class__ is not int or value < floor or value > ceil:
            set_num(s, value, index)  # Rogue's conversion and its errors
            return
        bs = s.bst
        if bs is None:
            raise _detached(s)
        with bs.lock:
            if not ro:
                bs.stale = True
                s.staleLow, s.staleHigh, s.stale = low0, high0, True
            put(bs.data, a, value & vmask)

    def read(data: Any) -> int:
        return take(data, a)[0]  # type: ignore[no-any-return]

    def getter(s: Any, index: int) -> Any:
        bs = s.bst
        if bs is None:
            raise _detached(s)
        lock = bs.lock
        if lock.acquire(False):
            try:
                raw = take(bs.data, a)[0]
            finally:
                lock.release()
        else:  # held by a start or a check: waited out at the block's gate (no lock convoy); else on the lock
            raw = bs.gate.read(lock, bs.data, read)
        return decode(s, raw) if signed else raw

    s.setter, s.getter = setter, getter


def _list(s: Any) -> None:
    lay, codec = s.lay, s.codec
    count, ro = s.numValues, s.ro
    low, high = s.low, s.high
    # Rogue's accepted array types (unsigned ones for UInt, signed for Int) whose every value passes the
    # variable's range check (all of them when it has none): those need no look at the values.
    bottom, top = int_bounds(s, *((-(1 << 63), (1 << 63) - 1) if s.modelId == INT else (0, (1 << 64) - 1)))
    covered = frozenset(np.dtype(c).num for c in np.typecodes["AllInteger"]
                        if np.dtype(c).num in codec.arr_nums
                        and np.iinfo(c).min >= bottom and np.iinfo(c).max <= top)
    # Rogue's dtype of a whole list (valueBits is 8 * valueBytes here).
    out = np.dtype(f"{'i' if s.modelId == INT else 'u'}{s.valueBytes}")

    def setter(s: Any, value: Any, index: int) -> None:
        at = 0 if index == -1 else index
        if value.__class__ is not _ndarray or at < 0 or value.ndim != 1 or value.dtype.num not in covered:
            set_num(s, value, index)  # Rogue's conversion and its errors
            return
        end = at + len(value)
        if end > count or end == at:
            set_num(s, value, index)  # Rogue's overflow error; or nothing to stage
            return
        bs = s.bst
        if bs is None:
            raise _detached(s)
        data = bs.data
        with bs.lock:
            view = lay._view if lay._view_of is data else typed_view(data, lay)
            if end - at == count:
                view[:] = value  # C casts: each value's low bytes, as Rogue copies
            else:
                view[at:end] = value
            if not ro:
                bs.stale = True
                _mark_stale(s, low[at], high[end - 1])

    def read(data: Any) -> Any:
        return typed_view(data, lay).astype(out)

    def getter(s: Any, index: int) -> Any:
        if index >= 0:
            return get_num(s, index)
        bs = s.bst
        if bs is None:
            raise _detached(s)
        data = bs.data
        lock = bs.lock
        if not lock.acquire(False):  # held by a start or a check: waited out at the block's gate; else on the lock
            return bs.gate.read(lock, data, read)
        try:
            return (lay._view if lay._view_of is data else typed_view(data, lay)).astype(out)
        finally:
            lock.release()

    s.setter, s.getter = setter, getter
