"""Bit-exact float conversions of C++ Rogue's Block (``Block.cpp``), scalar and numpy.

Every function works on IEEE bit patterns held in ints (scalar) or unsigned
numpy arrays (vector). ``f32_bits`` rounds a double to float32 as a C cast does
on x86-64 (nearest-even; overflow to infinity; a NaN keeps its sign and high
payload bits and becomes quiet). The small formats are Rogue's: conversion to
them truncates (no rounding), with Rogue's clamping, NaN and subnormal rules.
The numpy versions give exactly the scalar results, element by element.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "bf16_from_f32", "bf16_to_f32", "f16_from_f32", "f16_to_f32", "f32_bits", "f32_value", "f4_from_f32",
    "f4_to_value", "f6_from_f32", "f6_to_value", "f8_from_f32", "f8_to_f32", "tf32_from_f32",
    "v_bf16_from_f32", "v_bf16_to_f32", "v_f16_from_f32", "v_f32_bits", "v_f4_from_f32", "v_f4_to_value",
    "v_f16_to_f32", "v_f6_from_f32", "v_f6_to_value", "v_f8_from_f32", "v_f8_to_f32", "v_tf32_from_f32",
]

Arr = npt.NDArray[Any]
U32 = Arr
F32 = Arr

_PACK_F = struct.Struct("<f").pack
_PACK_I = struct.Struct("<I").pack
_UNPACK_I = struct.Struct("<I").unpack
_UNPACK_F = struct.Struct("<f").unpack
_PACK_D = struct.Struct("<d").pack
_UNPACK_Q = struct.Struct("<Q").unpack
_PACK_Q = struct.Struct("<Q").pack
_UNPACK_D = struct.Struct("<d").unpack


# -- float32 <-> double -------------------------------------------------------------------------
def f32_bits(x: float) -> int:
    """The float32 bit pattern of ``x`` converted as C's ``(float)x`` on x86-64."""
    if x != x:  # NaN: sign and the high 22 payload bits kept, quiet bit set (cvtsd2ss)
        d: int = _UNPACK_Q(_PACK_D(x))[0]
        return ((d >> 32) & 0x80000000) | 0x7FC00000 | ((d >> 29) & 0x3FFFFF)
    try:
        bits: int = _UNPACK_I(_PACK_F(x))[0]
        return bits
    except OverflowError:  # finite but beyond float32: C gives infinity
        return 0xFF800000 if x < 0 else 0x7F800000


def f32_value(bits: int) -> float:
    """The double value of the float32 bit pattern ``bits`` (C's float->double; a NaN becomes quiet)."""
    if (bits & 0x7F800000) == 0x7F800000 and bits & 0x7FFFFF:
        d = ((bits & 0x80000000) << 32) | 0x7FF8000000000000 | ((bits & 0x3FFFFF) << 29)
        return float(_UNPACK_D(_PACK_Q(d))[0])
    return float(_UNPACK_F(_PACK_I(bits))[0])


def v_f32_bits(values: Arr) -> U32:
    """``f32_bits`` of every element of a float64 array, as uint32."""
    with np.errstate(over="ignore", invalid="ignore"):
        return values.astype(np.float32).view(np.uint32)


# -- Float16 (binary16, truncating) ----------------------------------------------------------------
def f16_from_f32(f: int) -> int:
    """Rogue's ``floatToHalf``: float32 bits -> binary16 bits, truncating."""
    sign = (f >> 16) & 0x8000
    exponent = ((f >> 23) & 0xFF) - 127 + 15
    mantissa = f & 0x7FFFFF
    if exponent <= 0:
        if exponent < -10:
            return sign
        return sign | ((mantissa | 0x800000) >> (14 - exponent))
    if exponent == 0xFF - 127 + 15:
        if mantissa:
            return sign | 0x7C00 | ((mantissa >> 13) or 1)
        return sign | 0x7C00
    if exponent > 30:
        return sign | 0x7C00
    return sign | (exponent << 10) | (mantissa >> 13)


def f16_to_f32(h: int) -> int:
    """Rogue's ``halfToFloat``: binary16 bits -> float32 bits (exact)."""
    sign = (h & 0x8000) << 16
    exponent = (h >> 10) & 0x1F
    mantissa = h & 0x3FF
    if exponent == 0:
        if mantissa == 0:
            return sign
        work = 1
        while not mantissa & 0x400:
            mantissa <<= 1
            work -= 1
        return sign | ((work + 127 - 15) << 23) | ((mantissa & 0x3FF) << 13)
    if exponent == 31:
        return sign | 0x7F800000 | (mantissa << 13)
    return sign | ((exponent + 127 - 15) << 23) | (mantissa << 13)


def v_f16_from_f32(f: U32) -> Arr:
    """``f16_from_f32`` of every element."""
    f = f.astype(np.uint32, copy=False)
    sign = ((f >> 16) & 0x8000).astype(np.uint32)
    exponent = ((f >> 23) & 0xFF).astype(np.int64) - 112
    mantissa = f & 0x7FFFFF
    shift = np.clip(14 - exponent, 0, 31).astype(np.uint32)
    sub = (mantissa | 0x800000) >> shift
    nan_m = mantissa >> 13
    nan_m = np.where(nan_m == 0, 1, nan_m).astype(np.uint32)
    special = np.where(mantissa != 0, 0x7C00 | nan_m, 0x7C00)
    normal = (np.clip(exponent, 0, 31).astype(np.uint32) << 10) | (mantissa >> 13)
    out = np.where(exponent <= 0, np.where(exponent < -10, 0, sub),
                   np.where(exponent == 143, special, np.where(exponent > 30, 0x7C00, normal)))
    return (sign | out.astype(np.uint32)).astype(np.uint16)


# -- Float8 E4M3 (bias 7, no infinity) -------------------------------------------------------------
def f8_from_f32(f: int) -> int:
    """Rogue's ``floatToFloat8``: float32 bits -> E4M3 byte, truncating; NaN 0x7F, overflow +-448.

    Unlike Rogue (registers.md 2.9 item 9), 480 <= |x| < 512, whose truncated
    code is the NaN pattern, saturate to +-448 as every other overflow does.
    """
    sign = (f >> 24) & 0x80
    biased = (f >> 23) & 0xFF
    exponent = biased - 127 + 7
    mantissa = f & 0x7FFFFF
    if biased == 0xFF and mantissa:
        return 0x7F
    if biased == 0xFF or exponent > 15 or (exponent == 15 and mantissa >> 20 == 0x07):
        return sign | 0x7E
    if exponent <= 0:
        if exponent < -3:
            return sign
        return sign | ((((mantissa | 0x800000) >> (1 - exponent)) >> 20) & 0x07)
    return sign | (exponent << 3) | ((mantissa >> 20) & 0x07)


def f8_to_f32(b: int) -> int:
    """Rogue's ``float8ToFloat``: E4M3 byte -> float32 bits (0x7F and 0xFF are NaN)."""
    if (b & 0x7F) == 0x7F:
        return 0x7FC00000
    sign = (b & 0x80) << 24
    exponent = (b >> 3) & 0x0F
    mantissa = b & 0x07
    if exponent == 0:
        if mantissa == 0:
            return sign
        work = 1
        while not mantissa & 0x08:
            mantissa <<= 1
            work -= 1
        return sign | ((work + 127 - 7) << 23) | ((mantissa & 0x07) << 20)
    return sign | ((exponent + 127 - 7) << 23) | (mantissa << 20)


def v_f8_from_f32(f: U32) -> Arr:
    """``f8_from_f32`` of every element."""
    f = f.astype(np.uint32, copy=False)
    sign = (f >> 24) & 0x80
    biased = (f >> 23) & 0xFF
    exponent = biased.astype(np.int64) - 120
    mantissa = f & 0x7FFFFF
    shift = np.clip(1 - exponent, 0, 31).astype(np.uint32)
    sub = sign | ((((mantissa | 0x800000) >> shift) >> 20) & 0x07)
    normal = sign | (np.clip(exponent, 0, 15).astype(np.uint32) << 3) | ((mantissa >> 20) & 0x07)
    out = np.where(exponent <= 0, np.where(exponent < -3, sign, sub), normal)
    nan_code = (exponent == 15) & ((mantissa >> 20) == 0x07)
    out = np.where((biased == 0xFF) | (exponent > 15) | nan_code, sign | 0x7E, out)
    out = np.where((biased == 0xFF) & (mantissa != 0), 0x7F, out)
    return out.astype(np.uint8)


def v_f8_to_f32(b: Arr) -> U32:
    """``f8_to_f32`` of every element (via a 256-entry table)."""
    return _F8_TABLE[b.astype(np.uint8, copy=False)]


_F8_TABLE = np.array([f8_to_f32(i) for i in range(256)], dtype=np.uint32)


# -- BFloat16 and TensorFloat32 (truncation, NaN kept) -----------------------------------------------
def bf16_from_f32(f: int) -> int:
    """Rogue's ``floatToBFloat16``: the upper 16 bits; a NaN whose kept mantissa is 0 gets bit 0."""
    bf = f >> 16
    if (f >> 23) & 0xFF == 0xFF and f & 0x7FFFFF and not bf & 0x7F:
        bf |= 1
    return bf


def bf16_to_f32(bf: int) -> int:
    """BFloat16 bits -> float32 bits (shift left by 16)."""
    return (bf & 0xFFFF) << 16


def v_bf16_from_f32(f: U32) -> Arr:
    """``bf16_from_f32`` of every element."""
    f = f.astype(np.uint32, copy=False)
    bf = f >> 16
    fix = (((f >> 23) & 0xFF) == 0xFF) & ((f & 0x7FFFFF) != 0) & ((bf & 0x7F) == 0)
    out: Arr = (bf | fix.astype(np.uint32)).astype(np.uint16)
    return out


def v_bf16_to_f32(bf: Arr) -> U32:
    """``bf16_to_f32`` of every element."""
    return bf.astype(np.uint32) << 16


def tf32_from_f32(f: int) -> int:
    """Rogue's ``floatToTensorFloat32``: low 13 mantissa bits cleared; a NaN keeps bit 13 set."""
    tf = f & 0xFFFFE000
    if (f & 0x7F800000) == 0x7F800000 and f & 0x7FFFFF and not tf & 0x7FFFFF:
        tf |= 0x2000
    return tf


def v_tf32_from_f32(f: U32) -> U32:
    """``tf32_from_f32`` of every element."""
    f = f.astype(np.uint32, copy=False)
    tf = f & 0xFFFFE000
    fix = ((f & 0x7F800000) == 0x7F800000) & ((f & 0x7FFFFF) != 0) & ((tf & 0x7FFFFF) == 0)
    out: Arr = tf | (fix.astype(np.uint32) << 13)
    return out


# -- Float6 E3M2 and Float4 E2M1 (no infinity or NaN) -------------------------------------------------
def _mini_from_f32(f: int, sbit: int, ebits: int, mbits: int, bias: int) -> int:
    sign = sbit if f >> 31 else 0
    maxcode = (1 << (ebits + mbits)) - 1
    if (f >> 23) & 0xFF == 0xFF:  # NaN -> +max, infinity -> +-max
        return maxcode if f & 0x7FFFFF else sign | maxcode
    exponent = ((f >> 23) & 0xFF) - 127 + bias
    mantissa = f & 0x7FFFFF
    if exponent > (1 << ebits) - 1:
        return sign | maxcode
    drop = 23 - mbits
    if exponent <= 0:
        if exponent < -mbits:
            return sign
        return sign | ((((mantissa | 0x800000) >> (1 - exponent)) >> drop) & ((1 << mbits) - 1))
    return sign | (exponent << mbits) | ((mantissa >> drop) & ((1 << mbits) - 1))


def f6_from_f32(f: int) -> int:
    """Rogue's ``floatToFloat6`` (E3M2, bias 3): truncating; NaN +28, overflow and infinity clamp to +-28."""
    return _mini_from_f32(f, 0x20, 3, 2, 3)


def f4_from_f32(f: int) -> int:
    """Rogue's ``floatToFloat4`` (E2M1, bias 1): truncating; NaN +6, overflow and infinity clamp to +-6."""
    return _mini_from_f32(f, 0x08, 2, 1, 1)


def _mini_value(code: int, ebits: int, mbits: int, bias: int) -> float:
    width = 1 + ebits + mbits
    code &= (1 << width) - 1
    sign = -1.0 if code >> (width - 1) else 1.0
    exponent = (code >> mbits) & ((1 << ebits) - 1)
    mantissa = code & ((1 << mbits) - 1)
    if exponent == 0:
        return sign * (mantissa * 2.0 ** (1 - bias - mbits))
    return sign * ((1.0 + mantissa / (1 << mbits)) * 2.0 ** (exponent - bias))


def f6_to_value(code: int) -> float:
    """Rogue's ``float6ToFloat``: the low 6 bits of ``code`` as E3M2."""
    return _mini_value(code, 3, 2, 3)


def f4_to_value(code: int) -> float:
    """Rogue's ``float4ToFloat``: the low 4 bits of ``code`` as E2M1."""
    return _mini_value(code, 2, 1, 1)


def _v_mini_from_f32(f: U32, sbit: int, ebits: int, mbits: int, bias: int) -> Arr:
    f = f.astype(np.uint32, copy=False)
    sign = np.where((f >> 31) != 0, sbit, 0).astype(np.uint32)
    maxcode = (1 << (ebits + mbits)) - 1
    biased = ((f >> 23) & 0xFF).astype(np.int64)
    exponent = biased - 127 + bias
    mantissa = f & 0x7FFFFF
    drop = 23 - mbits
    mmask = (1 << mbits) - 1
    shift = np.clip(1 - exponent, 0, 31).astype(np.uint32)
    sub = sign | ((((mantissa | 0x800000) >> shift) >> drop) & mmask)
    normal = sign | (np.clip(exponent, 0, 255).astype(np.uint32) << mbits) | ((mantissa >> drop) & mmask)
    out = np.where(exponent <= 0, np.where(exponent < -mbits, sign, sub), normal)
    out = np.where(exponent > (1 << ebits) - 1, sign | maxcode, out)
    special = np.where(mantissa != 0, maxcode, sign | maxcode)
    out = np.where(biased == 0xFF, special, out)
    return out.astype(np.uint8)


def v_f6_from_f32(f: U32) -> Arr:
    """``f6_from_f32`` of every element."""
    return _v_mini_from_f32(f, 0x20, 3, 2, 3)


def v_f4_from_f32(f: U32) -> Arr:
    """``f4_from_f32`` of every element."""
    return _v_mini_from_f32(f, 0x08, 2, 1, 1)


_F6_TABLE = np.array([f6_to_value(i) for i in range(64)], dtype=np.float32)
_F4_TABLE = np.array([f4_to_value(i) for i in range(16)], dtype=np.float32)


def v_f6_to_value(code: Arr) -> F32:
    """``f6_to_value`` of every element, as float32."""
    out: Arr = _F6_TABLE[code.astype(np.uint8, copy=False) & 0x3F]
    return out


def v_f4_to_value(code: Arr) -> F32:
    """``f4_to_value`` of every element, as float32."""
    out: Arr = _F4_TABLE[code.astype(np.uint8, copy=False) & 0x0F]
    return out


def v_f16_to_f32(h: Arr) -> U32:
    """``f16_to_f32`` of every element (exact, signalling NaNs kept)."""
    h32 = h.astype(np.uint32)
    sign = (h32 & 0x8000) << 16
    exponent = (h32 >> 10) & 0x1F
    mantissa = h32 & 0x3FF
    normal = sign | ((exponent + 112) << 23) | (mantissa << 13)
    special = sign | 0x7F800000 | (mantissa << 13)
    sub = sign | (mantissa.astype(np.float32) * np.float32(2.0 ** -24)).view(np.uint32)
    return np.where(exponent == 0, sub, np.where(exponent == 31, special, normal)).astype(np.uint32)
