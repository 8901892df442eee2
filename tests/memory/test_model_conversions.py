"""The model conversions on their own (``_models``): hand-computed cases from registers.md and C++ Rogue's code.

Float bit patterns are checked against values worked out by hand from
Rogue's ``floatToHalf``/``floatToFloat8``/... (truncation, clamping, NaN and
subnormal rules); the numpy versions must give the scalar results bit for bit.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from rogue import GeneralError
from rogue.interfaces.memory import _model_ids as ids
from rogue.interfaces.memory._models import NUMERIC, Reject, _base
from rogue.interfaces.memory._models import _smallfloat as sf
from rogue.interfaces.memory._models._numeric import round_half_away
from rogue.interfaces.memory._models._other import buffer_raw, string_raw, string_value


def bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def dbits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


class V:
    """A variable's state as the codecs read it."""

    def __init__(self, lo: float = 0.0, hi: float = 0.0, valueBits: int = 32, binPoint: int = 0) -> None:
        self.name, self.lo, self.hi, self.rng = "V", lo, hi, lo != 0 or hi != 0
        self.valueBits, self.binPoint = valueBits, binPoint


# -- float32 rounding (C's (float)double on x86-64) ---------------------------------------------
def test_f32_bits_rounds_like_a_c_cast() -> None:
    assert sf.f32_bits(0.1) == 0x3DCCCCCD
    assert sf.f32_bits(-0.0) == 0x80000000
    assert sf.f32_bits(3.4028234663852886e38) == 0x7F7FFFFF  # FLT_MAX
    assert sf.f32_bits(3.4028235677973366e38) == 0x7F800000  # the midpoint rounds (to even) up to infinity
    assert sf.f32_bits(1e39) == 0x7F800000 and sf.f32_bits(-1e39) == 0xFF800000
    assert sf.f32_bits(1e-46) == 0 and sf.f32_bits(-1e-46) == 0x80000000
    assert sf.f32_bits(float("nan")) == 0x7FC00000
    assert sf.f32_bits(-float("nan")) == 0xFFC00000
    payload = struct.unpack("<d", struct.pack("<Q", 0x7FF0000020000000))[0]  # signalling NaN, payload bit 29
    assert sf.f32_bits(payload) == 0x7FC00001  # high payload kept, made quiet


def test_f32_value_makes_a_signalling_nan_quiet() -> None:
    assert sf.f32_value(0x3F800000) == 1.0
    assert dbits(sf.f32_value(0x7F800001)) == 0x7FF8000020000000
    assert dbits(sf.f32_value(0xFF800000)) == dbits(-math.inf)


def test_f32_scalar_and_numpy_agree() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-50, 50, 2000),
                             [3.4028235677973366e38, 3.4028235e38, -1e39, 1e-46, 0.0, -0.0, math.inf]])
    assert sf.v_f32_bits(values).tolist() == [sf.f32_bits(float(x)) for x in values]


# -- Float16: truncation -------------------------------------------------------------------------------
@pytest.mark.parametrize("value, code", [
    (1.0, 0x3C00), (-2.0, 0xC000), (65504.0, 0x7BFF),
    (1.000732421875, 0x3C00),  # 1 + 3*2**-12: round-to-nearest gives 0x3C01, Rogue truncates
    (65519.0, 0x7BFF),         # IEEE rounds this to 65504 too, but 65535.9 as well:
    (65535.0, 0x7BFF),         # truncated, not infinity
    (65536.0, 0x7C00), (-1e10, 0xFC00), (math.inf, 0x7C00),
    (2.0 ** -14, 0x0400), (2.0 ** -20, 0x0010), (2.0 ** -24, 0x0001),
    (2.0 ** -25, 0x0000), (-(2.0 ** -26), 0x8000),
])
def test_float16_truncates(value: float, code: int) -> None:
    assert sf.f16_from_f32(sf.f32_bits(value)) == code


def test_float16_nan_payloads() -> None:
    assert sf.f16_from_f32(0x7FC00000) == 0x7E00
    assert sf.f16_from_f32(0x7FC02000) == 0x7E01  # payload bit 13 survives
    assert sf.f16_from_f32(0x7F800001) == 0x7C01  # payload lost by the shift: bit 0 set, still NaN
    assert sf.f16_from_f32(0xFF800001) == 0xFC01
    assert sf.f16_to_f32(0x7C01) == 0x7F802000  # exact, the signalling bit kept
    assert sf.f16_to_f32(0x0001) == bits(2.0 ** -24)


def test_float16_round_trips_every_code() -> None:
    codes = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    f32 = sf.v_f16_to_f32(codes)
    assert f32.tolist() == [sf.f16_to_f32(i) for i in range(65536)]
    assert sf.v_f16_from_f32(f32).tolist() == list(range(65536))


# -- Float8 E4M3 ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, code", [
    (1.0, 0x38), (-1.5, 0xBC), (448.0, 0x7E), (-448.0, 0xFE),
    (479.0, 0x7E), (480.0, 0x7E), (-511.0, 0xFE),  # Rogue gives the NaN code 0x7F here (2.9 item 9): saturated
    (1000.0, 0x7E), (math.inf, 0x7E), (-math.inf, 0xFE), (float("nan"), 0x7F), (-float("nan"), 0x7F),
    (2.0 ** -7, 0x04), (2.0 ** -9, 0x01), (2.0 ** -10, 0x00), (-(2.0 ** -11), 0x80),
    (0.3, 0x29),     # 1.2 * 2**-2: mantissa .2 truncated to 1/8
])
def test_float8_encode(value: float, code: int) -> None:
    assert sf.f8_from_f32(sf.f32_bits(value)) == code


def test_float8_decode() -> None:
    assert sf.f32_value(sf.f8_to_f32(0x7E)) == 448.0
    assert math.isnan(sf.f32_value(sf.f8_to_f32(0x7F))) and sf.f8_to_f32(0xFF) == 0x7FC00000
    assert sf.f32_value(sf.f8_to_f32(0x01)) == 2.0 ** -9
    assert sf.f32_value(sf.f8_to_f32(0x80)) == 0.0 and math.copysign(1, sf.f32_value(sf.f8_to_f32(0x80))) < 0


# -- BFloat16, TensorFloat32, Float6, Float4 ------------------------------------------------------------------
def test_bfloat16_and_tf32_truncate_and_keep_nans() -> None:
    assert sf.bf16_from_f32(bits(1.0)) == 0x3F80
    assert sf.bf16_from_f32(bits(1.0078125 + 2.0 ** -9)) == 0x3F81  # low bits dropped
    assert sf.bf16_from_f32(0x7F800001) == 0x7F81
    assert sf.bf16_from_f32(0x7F800000) == 0x7F80
    assert sf.tf32_from_f32(0x3F801FFF) == 0x3F800000
    assert sf.tf32_from_f32(0x7F800001) == 0x7F802000
    assert sf.tf32_from_f32(0xFFC01234) == 0xFFC00000


@pytest.mark.parametrize("value, f6, f4", [
    (28.0, 0x1F, 0x07), (30.0, 0x1F, 0x07), (-100.0, 0x3F, 0x0F), (math.inf, 0x1F, 0x07),
    (-math.inf, 0x3F, 0x0F), (float("nan"), 0x1F, 0x07), (-float("nan"), 0x1F, 0x07),
    (6.0, 0x16, 0x07), (0.5, 0x08, 0x01), (0.0625, 0x01, 0x00), (2.0 ** -6, 0x00, 0x00),
    (-0.0, 0x20, 0x08), (1.75, 0x0F, 0x03),
])
def test_float6_float4_encode(value: float, f6: int, f4: int) -> None:
    assert sf.f6_from_f32(sf.f32_bits(value)) == f6
    assert sf.f4_from_f32(sf.f32_bits(value)) == f4


def test_float6_float4_decode_every_code() -> None:
    assert [sf.f4_to_value(c) for c in range(8)] == [0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0]
    assert sf.f6_to_value(0x1F) == 28.0 and sf.f6_to_value(0x3F) == -28.0 and sf.f6_to_value(0x01) == 0.0625
    assert sf.f6_to_value(0xFF) == -28.0  # upper bits ignored
    assert math.copysign(1, sf.f4_to_value(0x08)) < 0


def test_small_floats_scalar_and_numpy_agree() -> None:
    rng = np.random.default_rng(7)
    f = np.concatenate([rng.integers(0, 2 ** 32, 20000, dtype=np.uint64),
                        [(s << 31) | (e << 23) | m for s in (0, 1) for e in range(256) for m in (0, 1, 0x400000, 0x7FFFFF)]])
    f32 = f.astype(np.uint32)
    ints = [int(x) for x in f32]
    for scalar, vector in [(sf.f16_from_f32, sf.v_f16_from_f32), (sf.f8_from_f32, sf.v_f8_from_f32),
                           (sf.bf16_from_f32, sf.v_bf16_from_f32), (sf.tf32_from_f32, sf.v_tf32_from_f32),
                           (sf.f6_from_f32, sf.v_f6_from_f32), (sf.f4_from_f32, sf.v_f4_from_f32)]:
        assert vector(f32).tolist() == [scalar(x) for x in ints], scalar.__name__
    codes = np.arange(256, dtype=np.uint8)
    assert sf.v_f8_to_f32(codes).tolist() == [sf.f8_to_f32(c) for c in range(256)]
    assert sf.v_f6_to_value(codes).astype(np.float64).tolist() == [sf.f6_to_value(c) for c in range(256)]
    assert sf.v_f4_to_value(codes).astype(np.float64).tolist() == [sf.f4_to_value(c) for c in range(256)]


# -- Rogue's input rules (Boost.Python extract<T>) ----------------------------------------------------------------
def test_integer_extraction() -> None:
    assert _base.as_u64(True) == 1 and _base.as_u64(2 ** 64 - 1) == 2 ** 64 - 1
    with pytest.raises(OverflowError, match="^can't convert negative value to unsigned int$"):
        _base.as_u64(-1)
    with pytest.raises(OverflowError, match="^Python int too large to convert to C unsigned long$"):
        _base.as_u64(2 ** 64)
    with pytest.raises(OverflowError, match="^Python int too large to convert to C long$"):
        _base.as_i64(2 ** 63)
    with pytest.raises(OverflowError, match="^Python int too large to convert to C long$"):
        _base.as_i64(-(2 ** 63) - 1)
    for bad in (1.0, "1", None, np.int64(1), np.uint8(1), (1,)):
        with pytest.raises(Reject):
            _base.as_u64(bad)


def test_float_extraction() -> None:
    assert _base.as_double(3) == 3.0 and _base.as_double(np.float64(0.5)) == 0.5  # a float subclass
    with pytest.raises(OverflowError, match="int too large to convert to float"):
        _base.as_double(10 ** 400)
    for bad in (np.float32(1), np.int32(1), "1.0", None, [1.0], (1.0,)):
        with pytest.raises(Reject):
            _base.as_double(bad)


# -- codecs: range checks and Rogue's texts ---------------------------------------------------------------------
def test_range_check_texts() -> None:
    with pytest.raises(GeneralError, match=r"^Block::setUInt: General Error: Value range error for V\. "
                                           r"Value=131072, Min=0\.000000, Max=131071\.000000$"):
        NUMERIC[ids.UINT].encode(V(0, 131071), 131072)
    with pytest.raises(GeneralError, match=r"^Block::setInt: General Error: Value range error for V\. "
                                           r"Value=1, Min=-1\.000000, Max=0\.000000$"):
        NUMERIC[ids.INT].encode(V(-1, 0), 1)
    with pytest.raises(GeneralError, match=r"^Block::setFloat16: General Error: Value range error for V\. "
                                           r"Value=70000\.000000, Min=-65504\.000000, Max=65504\.000000$"):
        NUMERIC[ids.FLOAT16].encode(V(-65504.0, 65504.0), sf.f32_bits(70000.0))
    assert NUMERIC[ids.UINT].encode(V(), 2 ** 64 - 1) == 2 ** 64 - 1  # min = max = 0: no range check
    # compared as doubles, like C: 2**53 + 1 rounds to 2**53 and passes a maximum of 2**53
    assert NUMERIC[ids.UINT].encode(V(0, 2.0 ** 53), 2 ** 53 + 1) == 2 ** 53 + 1
    # the float32 value is compared: 1.00000006 <= max as a double, but its float32 rounds up past it
    with pytest.raises(GeneralError, match=r"Value=1\.000000, Min=0\.000000, Max=1\.000000$"):
        NUMERIC[ids.FLOAT].encode(V(0.0, 1.00000006), sf.f32_bits(1.00000006))
    assert NUMERIC[ids.DOUBLE].encode(V(0.0, 1.00000006), 1.00000006) == dbits(1.00000006)


def test_int_decode_sign_extension() -> None:
    dec = NUMERIC[ids.INT].decode
    assert dec(V(valueBits=17), 0x1FFFF) == -1
    assert dec(V(valueBits=12), 0x800) == -2048
    assert dec(V(valueBits=12), 0x7FF) == 2047
    assert dec(V(valueBits=64), 2 ** 64 - 1) == -1
    assert dec(V(valueBits=1), 1) == -1


def test_fixed_rounds_half_away_and_overflows() -> None:
    enc, dec = NUMERIC[ids.FIXED].encode, NUMERIC[ids.FIXED].decode
    v = V(valueBits=8, binPoint=4)
    assert enc(v, 3.3217) == 53 and dec(v, 53) == 3.3125
    assert enc(v, 0.03125) == 1 and enc(v, -0.03125) == -1  # halves away from zero
    assert enc(v, 0.09375) == 2  # 1.5 -> 2
    assert dec(v, 0xFF) == -0.0625
    with pytest.raises(GeneralError, match=r"^Block::setFixed: General Error: Fixed point overflow for V\. "
                                           r"Value=7\.970000, Min=-8\.000000, Max=7\.937500$"):
        enc(v, 7.97)
    with pytest.raises(GeneralError, match="Fixed point overflow"):
        enc(v, math.nan)
    assert round_half_away(0.49999999999999994) == 0.0 and round_half_away(-2.5) == -3.0


def test_ufixed_underflow_and_overflow() -> None:
    enc, dec = NUMERIC[ids.UFIXED].encode, NUMERIC[ids.UFIXED].decode
    v = V(valueBits=8, binPoint=4)
    assert enc(v, 15.9375) == 255 and dec(v, 255) == 15.9375
    with pytest.raises(GeneralError, match=r"^Block::setUFixed: General Error: Unsigned fixed-point underflow for V\. "
                                           r"Value=-0\.500000$"):
        enc(v, -0.5)
    with pytest.raises(GeneralError, match=r"^Block::setUFixed: General Error: Unsigned fixed-point overflow for V\. "
                                           r"Value=16\.000000, Min=0, Max=15\.937500$"):
        enc(v, 16.0)
    with pytest.raises(GeneralError, match=r"Value range error for V\. Value=-0\.500000"):
        enc(V(0.0, 15.9375, 8, 4), -0.5)  # the range check comes first


def test_numeric_encode_many_matches_scalars() -> None:
    rng = np.random.default_rng(3)
    cases = [
        (ids.UINT, V(0, 1000, 12), rng.integers(0, 1100, 50).astype(np.uint64)),
        (ids.INT, V(-2048, 2047, 12), rng.integers(-2100, 2100, 50).astype(np.int64)),
        (ids.FIXED, V(valueBits=12, binPoint=3), rng.uniform(-300, 300, 50)),
        (ids.UFIXED, V(valueBits=12, binPoint=3), rng.uniform(-10, 600, 50)),
        (ids.DOUBLE, V(-1, 1, 64), rng.uniform(-1.2, 1.2, 50)),
        (ids.FLOAT16, V(-65504, 65504, 16), sf.v_f32_bits(rng.uniform(-7e4, 7e4, 50))),
        (ids.FLOAT8, V(-448, 448, 8), sf.v_f32_bits(rng.uniform(-500, 500, 50))),
    ]
    for mid, v, cvals in cases:
        codec = NUMERIC[mid]
        raws, bad = codec.encode_many(v, cvals)
        expect: list[int] = []
        first = -1
        for k, c in enumerate(cvals.tolist()):
            try:
                expect.append(codec.encode(v, c) & (2 ** 64 - 1))
            except GeneralError:
                first = k
                break
        assert bad == first, mid
        assert [int(x) for x in raws[:len(expect)]] == expect, mid
        decoded = codec.decode_many(v, raws[:len(expect)])
        assert [float(x) for x in decoded] == [float(codec.decode(v, r)) for r in expect], mid


def test_decode_many_dtypes() -> None:
    raws = np.array([1, 2], dtype=np.uint64)
    for mid, vb, dtype in [(ids.UINT, 8, np.uint8), (ids.UINT, 9, np.uint16), (ids.UINT, 32, np.uint32),
                           (ids.UINT, 33, np.uint64), (ids.INT, 8, np.int8), (ids.INT, 16, np.int16),
                           (ids.INT, 17, np.int32), (ids.INT, 64, np.int64), (ids.BOOL, 1, np.bool_),
                           (ids.FLOAT, 32, np.float32), (ids.DOUBLE, 64, np.float64), (ids.FLOAT16, 16, np.float16),
                           (ids.FLOAT8, 8, np.float32), (ids.BFLOAT16, 16, np.float32), (ids.TENSORFLOAT32, 32, np.float32),
                           (ids.FLOAT6, 8, np.float32), (ids.FLOAT4, 8, np.float32), (ids.FIXED, 8, np.float64),
                           (ids.UFIXED, 8, np.float64)]:
        assert NUMERIC[mid].decode_many(V(valueBits=vb), raws).dtype == dtype, (mid, vb)


# -- String, Bytes, PyFunc buffers ----------------------------------------------------------------------------------
def test_string_rules() -> None:
    assert string_raw("AB", 4) == int.from_bytes(b"AB", "little")
    assert string_raw("ABCDEF", 4) == int.from_bytes(b"ABC", "little")  # valueBytes - 1 bytes, NUL kept
    assert string_raw("a\0b", 4) == ord("a")
    assert string_raw("h\u00e9", 3) == int.from_bytes(b"h\xc3", "little")  # cut inside a character
    for bad in (None, b"AB", 5, ["A"], "\ud800"):
        with pytest.raises(Reject):
            string_raw(bad, 4)
    assert string_value(int.from_bytes(b"h\xc3\xa9\0", "little"), 4) == "h\u00e9"
    assert string_value(int.from_bytes(b"ab\0c", "little"), 4) == "ab"
    with pytest.raises(GeneralError, match="^Block::getStringPy: General Error: Failed to generate String$"):
        string_value(int.from_bytes(b"h\xc3", "little"), 2)


def test_buffer_rules() -> None:
    assert buffer_raw(b"\x01\x02\x03", 2, "S", "refused %s", "V") == 0x0201
    assert buffer_raw(np.array([1], dtype="<u4"), 4, "S", "refused %s", "V") == 1
    with pytest.raises(GeneralError, match="^S: General Error: refused V$"):
        buffer_raw(None, 2, "S", "refused %s", "V")
    with pytest.raises(GeneralError, match="^S: General Error: refused V$"):
        buffer_raw(np.arange(8, dtype=np.uint8)[::2], 2, "S", "refused %s", "V")  # not contiguous
    with pytest.raises(GeneralError, match="shorter than the 4 bytes of V"):
        buffer_raw(b"\x01", 4, "S", "refused %s", "V")


def test_encode_many_range_with_nans_and_long_arrays() -> None:
    f16 = NUMERIC[ids.FLOAT16]
    bits_ = sf.v_f32_bits(np.array([math.nan, 1.0, 7e4, -math.nan]))
    assert f16.encode_many(V(-65504, 65504, 16), bits_)[1] == 2  # NaN is never out of range
    assert f16.encode_many(V(-65504, 65504, 16), sf.v_f32_bits(np.array([math.nan, 1.0])))[1] == -1
    u = NUMERIC[ids.UINT]
    long = np.arange(1000, dtype=np.uint64)
    assert u.encode_many(V(0, 999, 10), long)[1] == -1
    long[700] = 1000
    assert u.encode_many(V(0, 999, 10), long)[1] == 700
    d = NUMERIC[ids.DOUBLE]
    assert d.encode_many(V(-1, 1, 64), np.array([0.5, math.nan, -2.0]))[1] == 2
