"""The numeric models (UInt, Int, Bool, the floats, Fixed, UFixed): C++ Rogue's conversions.

Each model is a :class:`NumCodec` of pure functions between a value and its
*raw* form: the int whose little-endian bytes are the C buffer Rogue copies
into the register image (an int64's two's complement, a float's IEEE bits,
...). Scalars go through ``extract`` (Rogue's input rule), ``encode`` (range
check and conversion) and ``decode``; lists through the numpy versions
``list_cvals``/``arr_cvals``, ``encode_many`` and ``decode_many``, which give
element for element what the scalar functions give. ``v`` below is any object
with ``name``, ``lo``, ``hi``, ``rng`` (range check on), ``valueBits`` and
``binPoint`` (a variable's state).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

from . import _smallfloat as sf
from ._base import (NPY_BOOL, NPY_F16, NPY_F32, NPY_F64, NPY_INTS, NPY_UINTS, Reject, U64_MAX, as_double,
                    as_float_bits, as_i64, as_u64, fmt_f, is_bool_source, rogue_error)
from .._model_ids import (BFLOAT16, BOOL, DOUBLE, FIXED, FLOAT, FLOAT4, FLOAT6, FLOAT8, FLOAT16, INT, TENSORFLOAT32,
                          UFIXED, UINT)

__all__ = ["NUMERIC", "NumCodec", "round_half_away"]

U64 = npt.NDArray[Any]
_D_BITS = struct.Struct("<Q").unpack
_D_PACK = struct.Struct("<d").pack
_Q_PACK = struct.Struct("<Q").pack
_D_UNPACK = struct.Struct("<d").unpack
_NONE = type(None)


def _range_error(src: str, v: Any, value_text: str) -> Exception:
    return rogue_error(src, f"Value range error for {v.name}. Value={value_text}, Min={fmt_f(v.lo)}, Max={fmt_f(v.hi)}")


def _first_bad(bad: npt.NDArray[Any]) -> int:
    return int(bad.argmax()) if bad.any() else -1


def _first_out_of_range(v: Any, values: npt.NDArray[Any]) -> int:
    """Index of the first value outside [lo, hi] compared as doubles (NaN never is), or -1.

    The extremes decide (converting to double does not change the order), so
    the common all-valid case costs two reductions; integers of a short array
    go through Python's min/max, cheaper than numpy's for a few values.
    """
    if values.dtype.kind == "f":
        top, bottom = np.fmax.reduce(values), np.fmin.reduce(values)  # NaN ignored
        if not (float(top) > v.hi or float(bottom) < v.lo):
            return -1
    else:
        if len(values) <= 64:
            items = values.tolist()
            top, bottom = max(items), min(items)
        else:
            top, bottom = values.max().item(), values.min().item()
        if not (float(top) > v.hi or float(bottom) < v.lo):
            return -1
    return _first_bad(_range_bad(v, values))


def _range_bad(v: Any, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
    with np.errstate(invalid="ignore"):
        f = values.astype(np.float64)
    bad: npt.NDArray[Any] = (f > v.hi) | (f < v.lo)
    return bad


def round_half_away(x: float) -> float:
    """C's ``round()``: to the nearest integer, halves away from zero (exact for every double)."""
    if x != x or x in (math.inf, -math.inf):
        return x
    a = abs(x)
    r = math.floor(a)
    if a - r >= 0.5:
        r += 1
    return math.copysign(float(r), x)


def _v_round_half_away(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    with np.errstate(invalid="ignore"):
        a = np.abs(x)
        r = np.floor(a)
        r = r + (a - r >= 0.5)
    out: npt.NDArray[Any] = np.copysign(r, x)
    return out


def _scale(bp: int) -> float:
    return 2.0 ** bp if bp < 1024 else math.inf


@dataclass(eq=False)
class NumCodec:
    """One numeric model: its Rogue names, input rules and conversions (see the module text)."""

    model_id: int
    src_py: str                     #: Rogue's name of the setter, in its error texts
    fast_types: frozenset[type]     #: exact Python types a scalar may take without further checks
    list_types: frozenset[type]     #: element types of a Python list that numpy converts as Rogue does
    extract: Callable[[Any], Any]   #: Rogue's rule for a Python scalar -> C value (``Reject`` if refused)
    np_scalar_value: Callable[[Any], Any]  #: numpy scalar of an accepted type -> C value
    arr_nums: frozenset[int]        #: numpy type numbers accepted for arrays (and numpy scalars)
    arr_err: str                    #: text when an array has another type
    arr_cvals: Callable[[Any], Any]          #: accepted ndarray -> array of C values
    list_cvals: Callable[[list[Any]], Any]   #: list of ``list_types`` -> array of C values, or None
    encode: Callable[[Any, Any], int]        #: (v, C value) -> raw, after Rogue's checks
    encode_many: Callable[[Any, Any], tuple[U64, int]]  #: (v, C values) -> (raws, first failing index or -1)
    decode: Callable[[Any, int], Any]        #: (v, raw) -> Python value
    decode_many: Callable[[Any, U64], Any]   #: (v, raws) -> numpy array of Rogue's dtype
    list_word: str = "array"        #: "list" or "array" in the overflow text for a Python list
    arr_index_unsigned: bool = False  #: the array overflow text prints the index as unsigned
    np_scalar: bool = True          #: numpy scalars have their own branch (else the Python rule applies)
    np_scalar_err: str = "Failed to extract value for %s."
    arr_err_src: str = ""           #: Rogue's source name of the array type error (``src_py`` if empty)


# -- UInt and Int (up to 64 bits) ---------------------------------------------------------------
def _enc_uint(v: Any, val: int) -> int:
    if v.rng:
        f = float(val)
        if f > v.hi or f < v.lo:
            raise _range_error("Block::setUInt", v, str(val))
    return val


def _enc_many_uint(v: Any, vals: U64) -> tuple[U64, int]:
    return vals, _first_out_of_range(v, vals) if v.rng and len(vals) else -1


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
            raise _range_error("Block::setInt", v, str(val))
    return val


def _enc_many_int(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    return vals.view(np.uint64), _first_out_of_range(v, vals) if v.rng and len(vals) else -1


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


def _v_signed(raws: U64, bits: int) -> npt.NDArray[Any]:
    if bits < 64:
        raws = np.where(raws >= np.uint64(1 << (bits - 1)), raws - np.uint64(1 << bits), raws)
    return raws.view(np.int64)


def _dec_many_int(v: Any, raws: U64) -> npt.NDArray[Any]:
    return _v_signed(raws, v.valueBits).astype(_int_dtype(v.valueBits))


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


# -- float32 family: the C value is the float32 bit pattern -----------------------------------------------
def _list_f32(lst: list[Any]) -> npt.NDArray[Any] | None:
    try:
        return sf.v_f32_bits(np.array(lst, dtype=np.float64))
    except (OverflowError, ValueError, TypeError):
        return None


def _f32_range(src: str) -> Callable[[Any, int], None]:
    def check(v: Any, bits: int) -> None:
        f = sf.f32_value(bits)
        if f > v.hi or f < v.lo:
            raise _range_error(src, v, fmt_f(f))
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
            bad = _first_out_of_range(v, bits.view(np.float32)) if len(bits) else -1
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
    return (raws & np.uint64(0xFFFFFFFF)).astype(np.uint32).view(np.float32)


def _dec_many_f16(v: Any, raws: U64) -> npt.NDArray[Any]:
    return (raws & np.uint64(0xFFFF)).astype(np.uint16).view(np.float16)


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
        raise _range_error("Block::setDouble", v, fmt_f(val))
    return int(_D_BITS(_D_PACK(val))[0])


def _enc_many_double(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    return vals.view(np.uint64), _first_out_of_range(v, vals) if v.rng and len(vals) else -1


def _dec_double(v: Any, raw: int) -> float:
    return float(_D_UNPACK(_Q_PACK(raw & U64_MAX))[0])


def _dec_many_double(v: Any, raws: U64) -> npt.NDArray[Any]:
    return raws.view(np.float64)


def _enc_fixed(v: Any, val: float) -> int:
    if v.rng and (val > v.hi or val < v.lo):
        raise _range_error("Block::setFixed", v, fmt_f(val))
    bits, bp = v.valueBits, v.binPoint
    scale = _scale(bp)
    r = round_half_away(val * scale)
    if not math.isfinite(r) or r >= 2.0 ** (bits - 1) or r < -(2.0 ** (bits - 1)):
        hi = (1 << (bits - 1)) - 1
        raise rogue_error("Block::setFixed", f"Fixed point overflow for {v.name}. Value={fmt_f(val)}, "
                          f"Min={fmt_f(float(-hi - 1) / scale)}, Max={fmt_f(float(hi) / scale)}")
    return int(r)


def _enc_ufixed(v: Any, val: float) -> int:
    if v.rng and (val > v.hi or val < v.lo):
        raise _range_error("Block::setUFixed", v, fmt_f(val))
    if val < 0:
        raise rogue_error("Block::setUFixed", f"Unsigned fixed-point underflow for {v.name}. Value={fmt_f(val)}")
    bits, bp = v.valueBits, v.binPoint
    scale = _scale(bp)
    r = round_half_away(val * scale)
    if not math.isfinite(r) or r >= 2.0 ** bits:
        raise rogue_error("Block::setUFixed", f"Unsigned fixed-point overflow for {v.name}. Value={fmt_f(val)}, "
                          f"Min=0, Max={fmt_f(float((1 << bits) - 1) / scale)}")
    return int(r)


def _enc_many_fixed(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    bits = v.valueBits
    with np.errstate(over="ignore", invalid="ignore"):
        r = _v_round_half_away(vals * _scale(v.binPoint))
        bad = ~((r < 2.0 ** (bits - 1)) & (r >= -(2.0 ** (bits - 1))))
    if v.rng:
        bad |= _range_bad(v, vals)
    k = _first_bad(bad)
    raws = np.where(bad, 0.0, r).astype(np.int64).view(np.uint64)
    return raws, k


def _enc_many_ufixed(v: Any, vals: npt.NDArray[Any]) -> tuple[U64, int]:
    bits = v.valueBits
    with np.errstate(over="ignore", invalid="ignore"):
        r = _v_round_half_away(vals * _scale(v.binPoint))
        bad = ~((r < 2.0 ** bits) & (vals >= 0))
    if v.rng:
        bad |= _range_bad(v, vals)
    k = _first_bad(bad)
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
    return float(raw) / _scale(v.binPoint)


def _dec_ufixed(v: Any, raw: int) -> float:
    return float(raw) / _scale(v.binPoint)


def _dec_many_fixed(v: Any, raws: U64) -> npt.NDArray[Any]:
    return _v_signed(raws, v.valueBits).astype(np.float64) / _scale(v.binPoint)


def _dec_many_ufixed(v: Any, raws: U64) -> npt.NDArray[Any]:
    return raws.astype(np.float64) / _scale(v.binPoint)


# -- the table -------------------------------------------------------------------------------------
_INTS = frozenset((int, bool))
_NUMS = frozenset((int, float, bool))


def _floats(model_id: int, name: str, conv: Callable[[int], int], vconv: Any, dec: Any, dec_many: Any,
            np_scalar: bool = False) -> NumCodec:
    enc, enc_many = _f32_family(f"Block::set{name}", conv, vconv)
    kw: dict[str, Any] = dict(
        fast_types=_NUMS, list_types=_NUMS, extract=as_float_bits, np_scalar=np_scalar, np_scalar_value=_np_f32,
        arr_nums=frozenset((NPY_F32,)), arr_err="Passed nparray is not of type (float32) for %s", arr_cvals=_arr_f32,
        list_cvals=_list_f32, encode=enc, encode_many=enc_many, decode=dec, decode_many=dec_many)
    return NumCodec(model_id, f"Block::set{name}Py", **kw)


NUMERIC: dict[int, NumCodec] = {
    UINT: NumCodec(
        UINT, "Block::setUIntPy", list_word="list", arr_index_unsigned=True, fast_types=_INTS, list_types=_INTS,
        extract=as_u64, np_scalar_err="Failed to extract scalar unsigned int value for %s.",
        np_scalar_value=int, arr_nums=NPY_UINTS,
        arr_err="Passed nparray is not of an accepted unsigned int type (uint64, uint32, uint16, uint8) for %s",
        arr_cvals=lambda a: a.astype(np.uint64), list_cvals=_list_uint, encode=_enc_uint, encode_many=_enc_many_uint,
        decode=_dec_uint, decode_many=_dec_many_uint),
    INT: NumCodec(
        INT, "Block::setIntPy", list_word="list", fast_types=_INTS, list_types=_INTS, extract=as_i64,
        np_scalar_err="Failed to extract scalar signed int value for %s.", np_scalar_value=int, arr_nums=NPY_INTS,
        arr_err="Passed nparray is not of an accepted signed int type (int64, int32, int16, int8) for %s",
        arr_cvals=lambda a: a.astype(np.int64), list_cvals=_list_int, encode=_enc_int, encode_many=_enc_many_int,
        decode=_dec_int, decode_many=_dec_many_int),
    BOOL: NumCodec(
        BOOL, "Block::setBoolPy", fast_types=frozenset((bool, int, _NONE)), list_types=frozenset((bool, int, _NONE)),
        extract=_ext_bool, np_scalar_value=bool, arr_nums=frozenset((NPY_BOOL,)),
        arr_err="Passed nparray is not of type (bool) for %s", arr_cvals=lambda a: a.astype(np.bool_),
        list_cvals=_list_bool, encode=_enc_bool,
        encode_many=lambda v, vals: (vals.astype(np.uint64), -1), decode=_dec_bool,
        decode_many=lambda v, raws: raws != 0),
    FLOAT: _floats(FLOAT, "Float", _ident, _v_ident, _low(0xFFFFFFFF, _ident), _dec_many_float, np_scalar=True),
    FLOAT16: _floats(FLOAT16, "Float16", sf.f16_from_f32, sf.v_f16_from_f32, _low(0xFFFF, sf.f16_to_f32),
                     _dec_many_f16, np_scalar=True),
    FLOAT8: _floats(FLOAT8, "Float8", sf.f8_from_f32, sf.v_f8_from_f32, _low(0xFF, sf.f8_to_f32), _dec_many_f8),
    BFLOAT16: _floats(BFLOAT16, "BFloat16", sf.bf16_from_f32, sf.v_bf16_from_f32, _low(0xFFFF, sf.bf16_to_f32),
                      _dec_many_bf16),
    TENSORFLOAT32: _floats(TENSORFLOAT32, "TensorFloat32", sf.tf32_from_f32, sf.v_tf32_from_f32,
                           _low(0xFFFFFFFF, _ident), _dec_many_float),
    FLOAT6: _floats(FLOAT6, "Float6", sf.f6_from_f32, sf.v_f6_from_f32,
                    lambda v, raw: sf.f6_to_value(raw & 0xFF), _dec_many_f6),
    FLOAT4: _floats(FLOAT4, "Float4", sf.f4_from_f32, sf.v_f4_from_f32,
                    lambda v, raw: sf.f4_to_value(raw & 0xFF), _dec_many_f4),
    DOUBLE: NumCodec(
        DOUBLE, "Block::setDoublePy", fast_types=_NUMS, list_types=_NUMS, extract=as_double, np_scalar_value=float,
        arr_nums=frozenset((NPY_F64,)), arr_err_src="Block::setFLoatPy",
        arr_err="Passed nparray is not of type (double) for %s", arr_cvals=lambda a: a.astype("=f8"),
        list_cvals=_list_f64, encode=_enc_double, encode_many=_enc_many_double, decode=_dec_double,
        decode_many=_dec_many_double),
    FIXED: NumCodec(
        FIXED, "Block::setFixedPy", fast_types=_NUMS, list_types=_NUMS, extract=as_double, np_scalar_value=float,
        arr_nums=frozenset((NPY_F64,)), arr_err="Passed nparray is not of type (double) for %s",
        arr_cvals=lambda a: a.astype("=f8"), list_cvals=_list_f64, encode=_enc_fixed, encode_many=_enc_many_fixed,
        decode=_dec_fixed, decode_many=_dec_many_fixed),
    UFIXED: NumCodec(
        UFIXED, "Block::setFixedPy", fast_types=_NUMS, list_types=_NUMS, extract=as_double, np_scalar_value=float,
        arr_nums=frozenset((NPY_F64,)), arr_err="Passed nparray is not of type (double) for %s",
        arr_cvals=lambda a: a.astype("=f8"), list_cvals=_list_f64, encode=_enc_ufixed, encode_many=_enc_many_ufixed,
        decode=_dec_ufixed, decode_many=_dec_many_ufixed),
}
# The numpy-scalar branch of the two float32 models that have one; Rogue's spelling of Float's array error.
NUMERIC[FLOAT].np_scalar_value = _np_f32
NUMERIC[FLOAT].arr_err_src = "Block::setFLoatPy"
NUMERIC[FLOAT16].np_scalar_value = _np_f16
NUMERIC[FLOAT16].arr_nums = frozenset((NPY_F16,))
NUMERIC[FLOAT16].arr_err = "Passed nparray is not of type (float16) for %s"
NUMERIC[FLOAT16].arr_cvals = _arr_f16
