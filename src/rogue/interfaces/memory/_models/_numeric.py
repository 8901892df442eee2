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

from typing import Any, Callable

import numpy as np

from . import _smallfloat as sf
from ._base import NPY_BOOL, NPY_F16, NPY_F32, NPY_F64, NPY_INTS, NPY_UINTS, as_double, as_float_bits, as_i64, as_u64
from ._codec import NumCodec, round_half_away
from ._floats import (_arr_f16, _arr_f32, _dec_double, _dec_fixed, _dec_many_bf16, _dec_many_double, _dec_many_f4,
                      _dec_many_f6, _dec_many_f8, _dec_many_f16, _dec_many_fixed, _dec_many_float, _dec_many_ufixed,
                      _dec_ufixed, _enc_double, _enc_fixed, _enc_many_double, _enc_many_fixed, _enc_many_ufixed,
                      _enc_ufixed, _f32_family, _ident, _list_f32, _list_f64, _low, _np_f16, _np_f32, _v_ident)
from ._ints import (_dec_bool, _dec_int, _dec_many_int, _dec_many_uint, _dec_uint, _enc_bool, _enc_int, _enc_many_int,
                    _enc_many_uint, _enc_uint, _ext_bool, _list_bool, _list_int, _list_uint)
from .._model_ids import (BFLOAT16, BOOL, DOUBLE, FIXED, FLOAT, FLOAT4, FLOAT6, FLOAT8, FLOAT16, INT, TENSORFLOAT32,
                          UFIXED, UINT)

__all__ = ["NUMERIC", "NumCodec", "round_half_away"]

_NONE = type(None)
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
