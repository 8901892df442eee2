"""UInt, Int (up to 64 bits) and Bool: Rogue's ``setUInt``/``getUInt``, ``setInt``/``getInt``, ``setBool``/``getBool``."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from ._base import U64_MAX, Reject, is_bool_source
from ._codec import U64, first_out_of_range, range_error

__all__ = ["v_signed"]  # the rest is used through the table of _numeric


def _enc_uint(v: Any, val: int) -> int:
    if v.rng:
        f = float(val)
        if f > v.hi or f < v.lo:
            raise range_error("Block::setUInt", v, str(val))
    return val


def _enc_many_uint(v: Any, vals: U64) -> tuple[U64, int]:
    return vals, first_out_of_range(v, vals) if v.rng and len(vals) else -1


def _list_uint(lst: list[Any]) -> U64 | None:
    if lst and (min(lst) < 0 or max(lst) > U64_MAX):
        return None
    try:
        return np.array(lst, dtype=np.uint64)
    except (OverflowError, ValueError, TypeError):
        return None


def _uint_dtype(bits: int) -> type[np.unsignedinteger[Any]]:
    return np.uint8 if bits <= 8 else np.uint16 if bits <= 16 else np.uint32 if bits <= 32 else np.uint64


def _int_dtype(bits: int) -> type[np.signedinteger[Any]]:
    return np.int8 if bits <= 8 else np.int16 if bits <= 16 else np.int32 if bits <= 32 else np.int64


def _dec_uint(v: Any, raw: int) -> int:
    return raw


def _dec_many_uint(v: Any, raws: U64) -> npt.NDArray[Any]:
    return raws.astype(_uint_dtype(v.valueBits))


def _enc_int(v: Any, val: int) -> int:
    if v.rng:
        f = float(val)
        if f > v.hi or f < v.lo:
            raise range_error("Block::setInt", v, str(val))
    return val


def _enc_many_int(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    return vals.view(np.uint64), first_out_of_range(v, vals) if v.rng and len(vals) else -1


def _list_int(lst: list[Any]) -> npt.NDArray[Any] | None:
    if lst and (min(lst) < -(1 << 63) or max(lst) >= 1 << 63):
        return None
    try:
        return np.array(lst, dtype=np.int64)
    except (OverflowError, ValueError, TypeError):
        return None


def _signed(raw: int, bits: int) -> int:
    """Rogue's ``getInt`` sign extension of a 64-bit buffer holding ``bits`` bits."""
    if bits != 64 and raw >= 1 << (bits - 1):
        raw = (raw - (1 << bits)) & U64_MAX
    return raw - (1 << 64) if raw >> 63 else raw


def _dec_int(v: Any, raw: int) -> int:
    return _signed(raw, v.valueBits)


def v_signed(raws: U64, bits: int) -> npt.NDArray[Any]:
    if bits < 64:
        raws = np.where(raws >= np.uint64(1 << (bits - 1)), raws - np.uint64(1 << bits), raws)
    return raws.view(np.int64)


def _dec_many_int(v: Any, raws: U64) -> npt.NDArray[Any]:
    return v_signed(raws, v.valueBits).astype(_int_dtype(v.valueBits))


# -- Bool -------------------------------------------------------------------------------------
def _ext_bool(obj: Any) -> bool:
    if not is_bool_source(obj):
        raise Reject
    return bool(obj)


def _enc_bool(v: Any, val: bool) -> int:
    return 1 if val else 0


def _list_bool(lst: list[Any]) -> npt.NDArray[Any] | None:
    try:
        return np.array(lst, dtype=np.bool_)
    except (OverflowError, ValueError, TypeError):
        return None


def _dec_bool(v: Any, raw: int) -> bool:
    return raw != 0

