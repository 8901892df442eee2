"""The float models: Float and the small floats (C value: float32 bits), Double, Fixed and UFixed (C value: double)."""

from __future__ import annotations

import math
import struct
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

from . import _smallfloat as sf
from ._base import U64_MAX, fmt_f, rogue_error
from ._codec import (U64, first_bad, first_out_of_range, range_bad, range_error, round_half_away, two_pow,
                     v_round_half_away)
from ._ints import v_signed

__all__: list[str] = []  # used through the table of _numeric

_D_BITS = struct.Struct("<Q").unpack
_D_PACK = struct.Struct("<d").pack
_Q_PACK = struct.Struct("<Q").pack
_D_UNPACK = struct.Struct("<d").unpack


def _list_f32(lst: list[Any]) -> npt.NDArray[Any] | None:
    try:
        return sf.v_f32_bits(np.array(lst, dtype=np.float64))
    except (OverflowError, ValueError, TypeError):
        return None


def _f32_range(src: str) -> Callable[[Any, int], None]:
    def check(v: Any, bits: int) -> None:
        f = sf.f32_value(bits)
        if f > v.hi or f < v.lo:
            raise range_error(src, v, fmt_f(f))
    return check


def _f32_family(src: str, conv: Callable[[int], int],
                vconv: Callable[[npt.NDArray[Any]], npt.NDArray[Any]]) -> tuple[Any, Any]:
    check = _f32_range(src)

    def encode(v: Any, bits: int) -> int:
        if v.rng:
            check(v, bits)
        return conv(bits)

    def encode_many(v: Any, bits: npt.NDArray[Any]) -> tuple[U64, int]:
        bad = -1
        if v.rng:
            bad = first_out_of_range(v, bits.view(np.float32)) if len(bits) else -1
        return vconv(bits).astype(np.uint64), bad
    return encode, encode_many


def _ident(bits: int) -> int:
    return bits


def _v_ident(bits: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return bits


def _arr_f32(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return arr.astype("=f4").view(np.uint32)


def _np_f32(obj: Any) -> int:
    return int(np.float32(obj).view(np.uint32))


def _arr_f16(arr: npt.NDArray[Any]) -> npt.NDArray[Any]:
    return sf.v_f16_to_f32(arr.astype("=f2").view(np.uint16))


def _np_f16(obj: Any) -> int:
    return sf.f16_to_f32(int(np.float16(obj).view(np.uint16)))


def _low(mask: int, fn: Callable[[int], int]) -> Callable[[Any, int], float]:
    def dec(v: Any, raw: int) -> float:
        return sf.f32_value(fn(raw & mask))
    return dec


def _dec_many_float(v: Any, raws: U64) -> npt.NDArray[Any]:
    out: npt.NDArray[np.float32] = (raws & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.float32)
    return out


def _dec_many_f16(v: Any, raws: U64) -> npt.NDArray[Any]:
    out: npt.NDArray[np.float16] = (raws & np.uint64(0xFFFF)).astype(np.uint16).view(np.float16)
    return out


def _dec_many_f8(v: Any, raws: U64) -> npt.NDArray[Any]:
    return sf.v_f8_to_f32((raws & np.uint64(0xFF)).astype(np.uint8)).view(np.float32)


def _dec_many_bf16(v: Any, raws: U64) -> npt.NDArray[Any]:
    return sf.v_bf16_to_f32((raws & np.uint64(0xFFFF)).astype(np.uint16)).view(np.float32)


def _dec_many_f6(v: Any, raws: U64) -> npt.NDArray[Any]:
    return sf.v_f6_to_value((raws & np.uint64(0xFF)).astype(np.uint8))


def _dec_many_f4(v: Any, raws: U64) -> npt.NDArray[Any]:
    return sf.v_f4_to_value((raws & np.uint64(0xFF)).astype(np.uint8))


# -- Double, Fixed and UFixed: the C value is a double -----------------------------------------------------
def _list_f64(lst: list[Any]) -> npt.NDArray[Any] | None:
    try:
        return np.array(lst, dtype=np.float64)
    except (OverflowError, ValueError, TypeError):
        return None


def _enc_double(v: Any, val: float) -> int:
    if v.rng and (val > v.hi or val < v.lo):
        raise range_error("Block::setDouble", v, fmt_f(val))
    return int(_D_BITS(_D_PACK(val))[0])


def _enc_many_double(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    return vals.view(np.uint64), first_out_of_range(v, vals) if v.rng and len(vals) else -1


def _dec_double(v: Any, raw: int) -> float:
    return float(_D_UNPACK(_Q_PACK(raw & U64_MAX))[0])


def _dec_many_double(v: Any, raws: U64) -> npt.NDArray[Any]:
    return raws.view(np.float64)


def _enc_fixed(v: Any, val: float) -> int:
    if v.rng and (val > v.hi or val < v.lo):
        raise range_error("Block::setFixed", v, fmt_f(val))
    bits, bp = v.valueBits, v.binPoint
    scale = two_pow(bp)
    r = round_half_away(val * scale)
    if not math.isfinite(r) or r >= 2.0 ** (bits - 1) or r < -(2.0 ** (bits - 1)):
        hi = (1 << (bits - 1)) - 1
        raise rogue_error("Block::setFixed", f"Fixed point overflow for {v.name}. Value={fmt_f(val)}, "
                          f"Min={fmt_f(float(-hi - 1) / scale)}, Max={fmt_f(float(hi) / scale)}")
    return int(r)


def _enc_ufixed(v: Any, val: float) -> int:
    if v.rng and (val > v.hi or val < v.lo):
        raise range_error("Block::setUFixed", v, fmt_f(val))
    if val < 0:
        raise rogue_error("Block::setUFixed", f"Unsigned fixed-point underflow for {v.name}. Value={fmt_f(val)}")
    bits, bp = v.valueBits, v.binPoint
    scale = two_pow(bp)
    r = round_half_away(val * scale)
    if not math.isfinite(r) or r >= 2.0 ** bits:
        raise rogue_error("Block::setUFixed", f"Unsigned fixed-point overflow for {v.name}. Value={fmt_f(val)}, "
                          f"Min=0, Max={fmt_f(float((1 << bits) - 1) / scale)}")
    return int(r)


def _enc_many_fixed(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    bits = v.valueBits
    with np.errstate(over="ignore", invalid="ignore"):
        r = v_round_half_away(vals * two_pow(v.binPoint))
        bad = ~((r < 2.0 ** (bits - 1)) & (r >= -(2.0 ** (bits - 1))))
    if v.rng:
        bad |= range_bad(v, vals)
    k = first_bad(bad)
    raws = np.where(bad, 0.0, r).astype(np.int64).view(np.uint64)
    return raws, k


def _enc_many_ufixed(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    bits = v.valueBits
    with np.errstate(over="ignore", invalid="ignore"):
        r = v_round_half_away(vals * two_pow(v.binPoint))
        bad = ~((r < 2.0 ** bits) & (vals >= 0))
    if v.rng:
        bad |= range_bad(v, vals)
    k = first_bad(bad)
    raws = np.where(bad, 0.0, r).astype(np.uint64)
    return raws, k


def _dec_fixed(v: Any, raw: int) -> float:
    bits = v.valueBits
    if bits <= 64:  # Rogue: the int64 buffer, sign-extended from valueBits
        if raw >> 63:
            raw -= 1 << 64
        if bits < 64 and raw & (1 << (bits - 1)):
            raw -= 1 << bits
    elif (raw >> (bits - 1)) & 1:  # wider: the same rule on the whole value (Rogue's is undefined there)
        raw -= 1 << bits
    return float(raw) / two_pow(v.binPoint)


def _dec_ufixed(v: Any, raw: int) -> float:
    return float(raw) / two_pow(v.binPoint)


def _dec_many_fixed(v: Any, raws: U64) -> npt.NDArray[Any]:
    return v_signed(raws, v.valueBits).astype(np.float64) / two_pow(v.binPoint)


def _dec_many_ufixed(v: Any, raws: U64) -> npt.NDArray[Any]:
    return raws.astype(np.float64) / two_pow(v.binPoint)

