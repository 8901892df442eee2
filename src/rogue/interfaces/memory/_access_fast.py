"""The hot paths of the common variables: ``_set``/``_get`` made for one variable's layout, with no dispatch.

``specialise(s)`` gives a variable state ``s`` its own setter and getter when
its model and layout allow it (called again whenever the layout changes):

* a byte-aligned scalar ``UInt``/``Int`` (up to 64 bits): a plain ``int`` in
  range goes straight into the image;
* a byte-aligned list of 1-, 2-, 4- or 8-byte ``UInt``/``Int`` values: an
  ``ndarray`` of an accepted type goes into the image in one numpy assignment
  (its C cast truncates each value to the element's bytes, as Rogue copies
  the low bytes of each ``uint64_t``/``int64_t``), and the whole list comes
  out as one numpy copy in Rogue's dtype.

They do exactly what ``_access.set_num``/``get_num`` do for those inputs;
every other value, index or a range check goes to ``set_num``/``get_num``,
which raise Rogue's errors. The block lock is held while the image is
touched, as there.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._access import _detached, _mark_stale, get_num, set_num
from ._model_ids import INT, UINT
from ._packing import typed_view

__all__ = ["specialise"]

_ndarray = np.ndarray


def specialise(s: Any) -> None:
    """Give ``s`` its own setter/getter when its model and layout have a fast path (see the module text)."""
    if s.codec is None or not s.lay.fast or s.modelId not in (UINT, INT):
        return
    if not s.numValues:
        _scalar(s)
    elif s.valueBytes in (1, 2, 4, 8):
        _list(s)


def _scalar(s: Any) -> None:
    lay, codec = s.lay, s.codec
    a, n, order, vmask = lay.fb0, lay.valueBytes, lay.order, lay.vmask
    e = a + n
    signed, ro = s.modelId == INT, s.ro
    low0, high0 = s.low[0], s.high[0]
    rng, lo, hi = s.rng, s.lo, s.hi
    floor, ceil = (-(1 << 63), (1 << 63) - 1) if signed else (0, (1 << 64) - 1)
    decode = codec.decode

    def setter(s: Any, value: Any, index: int) -> None:
        if value.__class__ is not int or value < floor or value > ceil or (
                rng and (float(value) > hi or float(value) < lo)):
            set_num(s, value, index)  # Rogue's conversion and its errors
            return
        bs = s.bst
        if bs is None:
            raise _detached(s)
        with bs.lock:
            if not ro:
                bs.stale = True
                s.staleLow, s.staleHigh, s.stale = low0, high0, True
            bs.data[a:e] = (value & vmask).to_bytes(n, order)

    def getter(s: Any, index: int) -> Any:
        bs = s.bst
        if bs is None:
            raise _detached(s)
        with bs.lock:
            raw = int.from_bytes(bs.data[a:e], order)
        return decode(s, raw) if signed else raw

    s.setter, s.getter = setter, getter


def _list(s: Any) -> None:
    lay, codec = s.lay, s.codec
    count, ro, rng = s.numValues, s.ro, s.rng
    low, high = s.low, s.high
    accepted = codec.arr_nums  # Rogue's accepted array types: unsigned ones for UInt, signed for Int
    # Rogue's dtype of a whole list (valueBits is 8 * valueBytes here).
    out = np.dtype(f"{'i' if s.modelId == INT else 'u'}{s.valueBytes}")

    def setter(s: Any, value: Any, index: int) -> None:
        at = 0 if index == -1 else index
        if value.__class__ is not _ndarray or rng or at < 0 or value.ndim != 1 or value.dtype.num not in accepted:
            set_num(s, value, index)  # Rogue's conversion and its errors
            return
        end = at + value.shape[0]
        if end > count or end == at:
            set_num(s, value, index)  # Rogue's overflow error; or nothing to stage
            return
        bs = s.bst
        if bs is None:
            raise _detached(s)
        with bs.lock:
            typed_view(bs.data, lay)[at:end] = value  # C casts: each value's low bytes, as Rogue copies
            if not ro:
                bs.stale = True
                _mark_stale(s, low[at], high[end - 1])

    def getter(s: Any, index: int) -> Any:
        if index >= 0:
            return get_num(s, index)
        bs = s.bst
        if bs is None:
            raise _detached(s)
        with bs.lock:
            return typed_view(bs.data, lay).astype(out)

    s.setter, s.getter = setter, getter
