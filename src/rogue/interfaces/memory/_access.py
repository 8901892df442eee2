"""A variable's ``_set``/``_get``: Rogue's input dispatch, then packing under the block lock.

``s`` is a variable's state (``variable._State``), ``s.bst`` its block's. The
model conversions run outside the lock; only copying bits in or out of the
block image and the stale bookkeeping hold it (C++ ``setBytes``/``getBytes``).
A list of valid values is converted and packed with numpy in one go; on the
first value Rogue refuses, the values before it are staged (as Rogue stages
them one by one) and Rogue's error is raised for it.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from ..._errors import GeneralError
from ._model_ids import BOOL, BYTES, DOUBLE, FIXED, FLOAT, INT, STRING, UFIXED, UINT
from ._models import Reject, buffer_raw, raw_bytes, rogue_error, string_raw, string_value, u32
from ._packing import pack, pack_many, unpack, unpack_all

__all__ = ["attached", "dump", "get_bytes", "get_none", "get_num", "get_pyfunc", "get_string", "rate_test",
           "set_bytes", "set_none", "set_num", "set_pyfunc", "set_string"]

_ndarray = np.ndarray
_generic = np.generic


def _detached(s: Any) -> GeneralError:
    return GeneralError("Variable", f"Variable {s.name} is not in a block (Block.addVariables) yet")


def attached(s: Any) -> Any:
    """The variable's block state, or a GeneralError when it is in no block (Rogue would crash)."""
    bs = s.bst
    if bs is None:
        raise _detached(s)
    return bs


def _mark_stale(s: Any, low: int, high: int) -> None:
    """Rogue's stale bookkeeping of a staged list element range (lock held)."""
    if s.stale:
        if low < s.staleLow:
            s.staleLow = low
        if high > s.staleHigh:
            s.staleHigh = high
    else:
        s.staleLow, s.staleHigh = low, high
    s.stale = True


def store(s: Any, raw: int, index: int) -> None:
    """Stage one raw value: the scalar (``index`` ignored) or list element ``index`` (``setBytes``)."""
    bs = s.bst
    if bs is None:
        raise _detached(s)
    with bs.lock:
        if not s.ro:
            bs.stale = True
        nv = s.numValues
        if nv:
            if index >= nv or index < 0:
                raise rogue_error("Block::setBytes", f"Index {u32(index)} is out of range for {s.name}")
            pack(bs.data, s.lay, raw, index)
            if not s.ro:
                _mark_stale(s, s.low[index], s.high[index])
        else:
            if not s.ro:
                s.staleLow, s.staleHigh = s.low[0], s.high[0]
                s.stale = True
            pack(bs.data, s.lay, raw, 0)


def load(s: Any, index: int) -> int:
    """The staged raw value of the scalar (``index`` ignored) or of list element ``index`` (``getBytes``)."""
    bs = s.bst
    if bs is None:
        raise _detached(s)
    nv = s.numValues
    if nv and (index >= nv or index < 0):
        raise rogue_error("Block::getBytes", f"Index {u32(index)} is out of range for {s.name}")
    lock = bs.lock
    if not lock.acquire(False):  # held by a start or a check: waited out at the block's gate; else on the lock
        return int(bs.gate.read(lock, bs.data, lambda data: unpack(data, s.lay, index)))
    try:
        return unpack(bs.data, s.lay, index)
    finally:
        lock.release()


# -- numeric models -------------------------------------------------------------------------------
def set_num(s: Any, value: Any, index: int) -> None:
    """``_set`` of a numeric model (Rogue's ``set<Model>Py``)."""
    codec = s.codec
    if index == -1:
        index = 0
    if value.__class__ in codec.fast_types:
        store(s, codec.encode(s, codec.extract(value)), index)
        return
    name = s.name
    if isinstance(value, _ndarray):
        if value.ndim != 1:
            raise rogue_error(codec.src_py, f"Invalid number of dimensions ({value.ndim}) for passed ndarray for {name}")
        n = value.shape[0]
        if index + n > s.numValues:
            at = u32(index) if codec.arr_index_unsigned else index
            raise rogue_error(codec.src_py, f"Overflow error for passed array with length {u32(n)} at index {at}. "
                              f"Variable length = {s.numValues} for {name}")
        if value.dtype.num not in codec.arr_nums:
            raise rogue_error(codec.arr_err_src or codec.src_py, codec.arr_err % name)
        _set_many(s, codec, codec.arr_cvals(value), index)
    elif isinstance(value, list):
        n = len(value)
        if u32(index + n) > s.numValues:
            raise rogue_error(codec.src_py, f"Overflow error for passed {codec.list_word} with length {u32(n)} at "
                              f"index {index}. Variable length = {s.numValues} for {name}")
        cvals = None
        if s.vec and index >= 0 and set(map(type, value)) <= codec.list_types:
            cvals = codec.list_cvals(value)
        if cvals is not None:
            _set_many(s, codec, cvals, index)
            return
        for k, item in enumerate(value):
            try:
                cval = codec.extract(item)
            except Reject:
                raise rogue_error(codec.src_py, f"Failed to extract value for {name}.") from None
            store(s, codec.encode(s, cval), index + k)
    elif codec.np_scalar and isinstance(value, _generic):
        if value.dtype.num not in codec.arr_nums:
            raise rogue_error(codec.src_py, codec.np_scalar_err % name)
        store(s, codec.encode(s, codec.np_scalar_value(value)), index)
    else:
        try:
            cval = codec.extract(value)
        except Reject:
            raise rogue_error(codec.src_py, f"Failed to extract value for {name}.") from None
        store(s, codec.encode(s, cval), index)


def _set_many(s: Any, codec: Any, cvals: Any, index: int) -> None:
    """Stage C values into elements ``index``...: numpy in one go, element by element where Rogue would fail."""
    n = len(cvals)
    if n == 0:
        return
    if not s.vec or index < 0:
        for k in range(n):
            store(s, codec.encode(s, cvals[k].item()), index + k)
        return
    raws, bad = codec.encode_many(s, cvals)
    ok = n if bad < 0 else bad
    if ok:
        bs = attached(s)
        with bs.lock:
            if not s.ro:
                bs.stale = True
            pack_many(bs.data, s.lay, index, raws[:ok])
            if not s.ro:
                _mark_stale(s, s.low[index], s.high[index + ok - 1])
    if bad >= 0:
        codec.encode(s, cvals[bad].item())  # raises Rogue's error for that element
        raise AssertionError(f"{s.name}: element {bad} was refused in bulk but not alone")  # pragma: no cover


def get_num(s: Any, index: int) -> Any:
    """``_get`` of a numeric model (Rogue's ``get<Model>Py``)."""
    codec = s.codec
    if index < 0 and s.numValues > 0:
        bs = attached(s)
        if s.vec:
            lock = bs.lock
            if lock.acquire(False):
                try:
                    raws = unpack_all(bs.data, s.lay)
                finally:
                    lock.release()
            else:  # held by a start or a check: waited out at the block's gate; else on the lock
                raws = bs.gate.read(lock, bs.data, lambda data: unpack_all(data, s.lay))
            return codec.decode_many(s, raws)
        values = [codec.decode(s, load(s, x)) for x in range(s.numValues)]
        return np.array(values, dtype=codec.decode_many(s, np.zeros(0, dtype=np.uint64)).dtype)
    return codec.decode(s, load(s, index))


# -- String, Bytes, PyFunc, Custom ------------------------------------------------------------------------
def set_string(s: Any, value: Any, index: int) -> None:
    """``_set`` of a String: a ``str`` only; a list variable needs an index."""
    if index < 0 and s.numValues > 0:
        raise rogue_error("Block::setStringPy", f"Using nparray not supported for {s.name}")
    try:
        raw = string_raw(value, s.valueBytes)
    except Reject:
        raise rogue_error("Block::setStringPy", f"Failed to extract value for {s.name}.") from None
    store(s, raw, index)


def get_string(s: Any, index: int) -> str:
    """``_get`` of a String: the text up to the first NUL."""
    if index < 0 and s.numValues > 0:
        raise rogue_error("Block::getStringPy", f"Using ndarry not supported for {s.name}")
    text: str = string_value(load(s, index), s.valueBytes)
    return text


def set_bytes(s: Any, value: Any, index: int) -> None:
    """``_set`` of Bytes: any contiguous buffer of at least ``valueBytes`` bytes."""
    if index < 0 and s.numValues > 0:
        raise rogue_error("Block::setByteArrayPy", f"Accessing unindexed value not supported for {s.name}")
    store(s, buffer_raw(value, s.valueBytes, "Block::setByteArray", "Failed to extract byte array for %s", s.name),
          index)


def get_bytes(s: Any, index: int) -> bytes:
    """``_get`` of Bytes: ``valueBytes`` bytes."""
    if index < 0 and s.numValues > 0:
        raise rogue_error("Block::setByteArrayPy", f"Accessing unindexed value not supported for {s.name}")
    return raw_bytes(load(s, index), s.valueBytes)


def set_pyfunc(s: Any, value: Any, index: int) -> None:
    """``_set`` through the model's ``toBytes`` (PyFunc, and UInt/Int wider than 64 bits)."""
    name = s.name
    if index == -1:
        index = 0
    if isinstance(value, _ndarray):
        raise rogue_error("Block::setPyFunc", f"Passing ndarray not supported for {name}")
    if isinstance(value, list):
        n = len(value)
        if u32(index + n) > s.numValues:
            raise rogue_error("Block::setPyFunc", f"Overflow error for passed array with length {u32(n)} at index "
                              f"{u32(index)}. Variable length = {s.numValues} for {name}")
        for k, item in enumerate(value):
            raw = buffer_raw(s.model.toBytes(item), s.valueBytes, "Block::setPyFunc",
                             "Failed to extract byte array for %s", name)
            store(s, raw, index + k)
        return
    raw = buffer_raw(s.model.toBytes(value), s.valueBytes, "Block::setPyFunc",
                     "Failed to extract byte array from pyFunc return value for %s", name)
    store(s, raw, index)


def get_pyfunc(s: Any, index: int) -> Any:
    """``_get`` through the model's ``fromBytes``; a list variable needs an index."""
    if index < 0 and s.numValues > 0:
        raise rogue_error("Block::getPyFunc", f"Accessing unindexed value not support for {s.name}")
    return s.model.fromBytes(raw_bytes(load(s, index), s.valueBytes))


def set_none(s: Any, value: Any, index: int) -> None:
    """``_set`` of a Custom or unknown model: nothing (Rogue calls an uninitialised pointer)."""


def get_none(s: Any, index: int) -> None:
    """``_get`` of a Custom or unknown model: None."""
    return None


# -- _getDumpValue and _rateTest --------------------------------------------------------------------------
def _fmt_g(x: float) -> str:
    """C++ ``ostream << double`` (``%g``, glibc's ``-nan`` for a negative NaN)."""
    if x != x:
        return "-nan" if math.copysign(1.0, x) < 0 else "nan"
    return "%g" % x


def _dump_text(s: Any, index: int) -> str:
    mid = s.modelId
    if mid == BYTES or ((mid == UINT or mid == INT) and s.valueBits > 64):
        return "0x" + raw_bytes(load(s, index), s.valueBytes).hex()
    if mid in (UINT, INT, BOOL, FLOAT, DOUBLE, FIXED, UFIXED):
        value = s.codec.decode(s, load(s, index))
        if mid == BOOL:
            return "1" if value else "0"
        return str(value) if mid in (UINT, INT) else _fmt_g(value)
    if mid == STRING:
        data = raw_bytes(load(s, index), s.valueBytes)
        return data.split(b"\0", 1)[0].decode("utf-8", "replace")
    return "UNDEFINED"


def dump(s: Any) -> str:
    """Rogue's ``getDumpValue`` text of the staged value(s)."""
    indices = range(s.numValues) if s.numValues else (-1,)
    text: str = s.path + " =" + "".join(" " + _dump_text(s, i) for i in indices) + "\n"
    return text


def rate_test(s: Any, count: int) -> None:
    """Rogue's ``Variable::rateTest``: ``count`` reads then writes of the UInt through the block."""
    from .block import block_read, block_write
    if s.codec is None or s.modelId != UINT:
        raise rogue_error("Variable::getUInt", f"Wrong get type for variable {s.path}")
    attached(s)
    start = time.monotonic()
    for _ in range(count):
        block_read(s.block, s)
        s.codec.decode(s, load(s, -1))
    dur = time.monotonic() - start
    print(f"\nVariable get: Read {count} times in {dur:f} seconds. Rate = {count / dur if dur else 0.0:f}")
    start = time.monotonic()
    for x in range(count):
        store(s, s.codec.encode(s, x & 0xFFFFFFFFFFFFFFFF), -1)
        block_write(s.block, s)
    dur = time.monotonic() - start
    print(f"\nVariable set: Wrote {count} times in {dur:f} seconds. Rate = {count / dur if dur else 0.0:f}")
