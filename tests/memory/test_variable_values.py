"""rim.Variable._set/_get without pyrogue: Rogue's input rules per model, its error texts, lists, packing."""

from __future__ import annotations

import math

import numpy as np
import pytest

import rogue.interfaces.memory as rim
from rogue import GeneralError
from rogue.interfaces.memory import _access

from engine_helpers import Model, block_of, staged, variable


def uint(bits: int = 32, **kw: object) -> rim.Variable:
    v = variable(rim.UInt, bits, minimum=0, maximum=2 ** bits - 1, **kw)  # type: ignore[arg-type]
    block_of(v)
    return v


def ge(text: str) -> object:
    """pytest.raises for a GeneralError whose text is exactly ``text``."""
    import re
    return pytest.raises(GeneralError, match="^" + re.escape(text) + "$")


# -- UInt / Int -----------------------------------------------------------------------------------------
def test_uint_accepts_ints_bools_and_unsigned_numpy_scalars() -> None:
    v = uint(32)
    for value, expect in [(5, 5), (True, 1), (np.uint8(7), 7), (np.uint16(8), 8), (np.uint32(9), 9),
                          (np.uint64(10), 10)]:
        v._set(value, -1)
        assert v._get(-1) == expect and type(v._get(-1)) is int
    assert staged(v) == (10).to_bytes(4, "little")


@pytest.mark.parametrize("value, text", [
    (1.0, "Block::setUIntPy: General Error: Failed to extract value for V."),
    ((1,), "Block::setUIntPy: General Error: Failed to extract value for V."),
    (None, "Block::setUIntPy: General Error: Failed to extract value for V."),
    ("1", "Block::setUIntPy: General Error: Failed to extract value for V."),
    (np.int64(1), "Block::setUIntPy: General Error: Failed to extract scalar unsigned int value for V."),
    (np.float64(1), "Block::setUIntPy: General Error: Failed to extract scalar unsigned int value for V."),
    (np.bool_(True), "Block::setUIntPy: General Error: Failed to extract scalar unsigned int value for V."),
    (np.ulonglong(1), "Block::setUIntPy: General Error: Failed to extract scalar unsigned int value for V."),
    ([1], "Block::setUIntPy: General Error: Overflow error for passed list with length 1 at index 0. "
          "Variable length = 0 for V"),
    (np.array([1], dtype=np.uint32), "Block::setUIntPy: General Error: Overflow error for passed array with "
                                     "length 1 at index 0. Variable length = 0 for V"),
    (np.zeros((1, 1), dtype=np.uint32), "Block::setUIntPy: General Error: Invalid number of dimensions (2) for "
                                         "passed ndarray for V"),
    (np.array(5, dtype=np.uint32), "Block::setUIntPy: General Error: Invalid number of dimensions (0) for passed "
                                   "ndarray for V"),
    (2 ** 32, "Block::setUInt: General Error: Value range error for V. Value=4294967296, Min=0.000000, "
              "Max=4294967295.000000"),
])
def test_uint_refusals(value: object, text: str) -> None:
    v = uint(32)
    v._set(3, -1)
    with ge(text):  # type: ignore[attr-defined]
        v._set(value, -1)
    assert v._get(-1) == 3  # nothing staged


def test_uint_conversion_overflow_is_pythons() -> None:
    v = variable(rim.UInt, 64)  # min = max = None: no range check
    block_of(v)
    with pytest.raises(OverflowError, match="^can't convert negative value to unsigned int$"):
        v._set(-1, -1)
    with pytest.raises(OverflowError, match="^Python int too large to convert to C unsigned long$"):
        v._set(2 ** 64, -1)
    v._set(2 ** 64 - 1, -1)
    assert v._get(-1) == 2 ** 64 - 1


def test_uint_without_range_keeps_the_low_bits() -> None:
    v = variable(rim.UInt, 12, 4)  # pyrogue always gives a range; without one the value is truncated
    block_of(v, size=4)
    v._set(0xABCDE, -1)
    assert v._get(-1) == 0xCDE
    assert staged(v) == bytes([0xE0, 0xCD, 0, 0])


def test_int_rules() -> None:
    v = variable(rim.Int, 12, minimum=-2048, maximum=2047)
    block_of(v)
    v._set(-1, -1)
    assert staged(v) == b"\xff\x0f" and v._get(-1) == -1
    v._set(np.int8(-5), -1)
    assert v._get(-1) == -5
    with ge("Block::setIntPy: General Error: Failed to extract scalar signed int value for V."):  # type: ignore[attr-defined]
        v._set(np.uint8(1), -1)
    with ge("Block::setInt: General Error: Value range error for V. Value=2048, Min=-2048.000000, "  # type: ignore[attr-defined]
            "Max=2047.000000"):
        v._set(2048, -1)
    w = variable(rim.Int, 64)
    block_of(w)
    with pytest.raises(OverflowError, match="^Python int too large to convert to C long$"):
        w._set(2 ** 63, -1)


def test_int_subclasses_are_ints() -> None:
    import enum

    class E(enum.IntEnum):
        A = 3

    v = uint(8)
    v._set(E.A, -1)
    assert v._get(-1) == 3


# -- Bool, floats ---------------------------------------------------------------------------------------
def test_bool_rules() -> None:
    v = variable(rim.Bool, 1, 3, minimum=0, maximum=1)
    block_of(v, size=1)
    for value, expect in [(True, True), (None, False), (2, True), (0, False), (np.bool_(True), True)]:
        v._set(value, -1)
        assert v._get(-1) is expect
    assert staged(v) == b"\x08"
    for value in (1.0, np.int8(1), "x"):
        with ge("Block::setBoolPy: General Error: Failed to extract value for V."):  # type: ignore[attr-defined]
            v._set(value, -1)


def test_float_rules() -> None:
    v = variable(rim.Float, 32, minimum=-3.4e38, maximum=3.4e38)
    block_of(v)
    v._set(0.1, -1)
    assert staged(v) == bytes.fromhex("cdcccc3d") and v._get(-1) == float(np.float32(0.1))
    v._set(np.float32(1.5), -1)
    v._set(3, -1)
    assert v._get(-1) == 3.0
    with ge("Block::setFloatPy: General Error: Failed to extract value for V."):  # type: ignore[attr-defined]
        v._set(np.float64(1.0), -1)  # numpy scalars must be float32 exactly
    with pytest.raises(OverflowError, match="int too large to convert to float"):
        v._set(10 ** 400, -1)


def test_float8_family_has_no_numpy_scalar_branch() -> None:
    for mid, bits in [(rim.Float8, 8), (rim.BFloat16, 16), (rim.TensorFloat32, 32), (rim.Float6, 8), (rim.Float4, 8)]:
        v = variable(mid, bits)
        block_of(v)
        v._set(np.float64(1.0), -1)  # a float subclass: the Python rule accepts it
        assert v._get(-1) == 1.0
        with pytest.raises(GeneralError, match=r"Failed to extract value for V\.$"):
            v._set(np.float32(1.0), -1)


def test_double_and_fixed_arrays_must_be_float64() -> None:
    v = variable(rim.Double, 64, numValues=2, valueBits=64, valueStride=64)
    block_of(v)
    with ge("Block::setFLoatPy: General Error: Passed nparray is not of type (double) for V"):  # type: ignore[attr-defined]
        v._set(np.zeros(2, dtype=np.float32), -1)
    f = variable(Model(rim.Fixed, binPoint=2), numValues=2, valueBits=8, valueStride=8)
    block_of(f)
    with ge("Block::setFixedPy: General Error: Passed nparray is not of type (double) for V"):  # type: ignore[attr-defined]
        f._set(np.zeros(2, dtype=np.float32), -1)
    f._set(np.array([1.25, -0.5]), -1)
    assert f._get(-1).tolist() == [1.25, -0.5] and staged(f) == b"\x05\xfe"


def test_float16_and_specials() -> None:
    v = variable(rim.Float16, 16)
    block_of(v)
    v._set(np.float16(-2.0), -1)
    assert staged(v) == b"\x00\xc0"
    v._set(math.nan, -1)
    assert staged(v) == b"\x00\x7e" and math.isnan(v._get(-1))
    v._set(1.000732421875, -1)  # truncated, as Rogue's floatToHalf
    assert v._get(-1) == 1.0


# -- String, Bytes, PyFunc, Custom ------------------------------------------------------------------------
def test_string_rules() -> None:
    v = variable(rim.String, 32)
    block_of(v)
    v._set("hello", -1)
    assert staged(v) == b"hel\0" and v._get(-1) == "hel"
    with ge("Block::setStringPy: General Error: Failed to extract value for V."):  # type: ignore[attr-defined]
        v._set(None, -1)  # Rogue: undefined behaviour
    lst = variable(rim.String, numValues=2, valueBits=16, valueStride=16)
    block_of(lst)
    with ge("Block::setStringPy: General Error: Using nparray not supported for V"):  # type: ignore[attr-defined]
        lst._set("a", -1)
    lst._set("xyz", 1)
    assert lst._get(1) == "x"
    with ge("Block::getStringPy: General Error: Using ndarry not supported for V"):  # type: ignore[attr-defined]
        lst._get(-1)
    with ge("Block::setBytes: General Error: Index 2 is out of range for V"):  # type: ignore[attr-defined]
        lst._set("a", 2)


def test_bytes_model() -> None:
    v = variable(rim.Bytes, 24)
    block_of(v)
    v._set(b"\x01\x02\x03\x04", -1)
    assert v._get(-1) == b"\x01\x02\x03"
    with pytest.raises(GeneralError, match="shorter than the 3 bytes of V"):  # Rogue reads past the end
        v._set(b"\x01", -1)
    with ge("Block::setByteArray: General Error: Failed to extract byte array for V"):  # type: ignore[attr-defined]
        v._set(5, -1)


def test_pyfunc_model() -> None:
    calls: list[object] = []

    def to_bytes(value: object) -> bytes:
        calls.append(value)
        return int(value).to_bytes(9, "little")  # type: ignore[call-overload]

    model = Model(rim.PyFunc, toBytes=to_bytes, fromBytes=lambda b: ("got", b))
    v = variable(model, 72)
    block_of(v)
    v._set(0x0102, -1)
    assert calls == [0x0102] and v._get(-1) == ("got", (0x0102).to_bytes(9, "little"))
    with ge("Block::setPyFunc: General Error: Passing ndarray not supported for V"):  # type: ignore[attr-defined]
        v._set(np.zeros(1), -1)
    short = variable(Model(rim.PyFunc, toBytes=lambda x: b"\x01"), 72)
    block_of(short)
    with pytest.raises(GeneralError, match="shorter than the 9 bytes of V"):
        short._set(1, -1)
    none = variable(Model(rim.PyFunc, toBytes=lambda x: None), 72)
    block_of(none)
    with ge("Block::setPyFunc: General Error: Failed to extract byte array from pyFunc return value for V"):  # type: ignore[attr-defined]
        none._set(1, -1)
    lst = variable(Model(rim.PyFunc, toBytes=lambda x: bytes([x]), fromBytes=bytes), numValues=3, valueBits=8,
                   valueStride=8)
    block_of(lst)
    lst._set([7, 8], 1)
    assert staged(lst) == b"\x00\x07\x08" and lst._get(2) == b"\x08"
    with ge("Block::getPyFunc: General Error: Accessing unindexed value not support for V"):  # type: ignore[attr-defined]
        lst._get(-1)
    with ge("Block::setPyFunc: General Error: Overflow error for passed array with length 3 at index 1. "  # type: ignore[attr-defined]
            "Variable length = 3 for V"):
        lst._set([1, 2, 3], 1)


def test_wide_uint_goes_through_the_model() -> None:
    model = Model(rim.UInt, isBigEndian=True, toBytes=lambda x: x.to_bytes(16, "big"),
                  fromBytes=lambda b: int.from_bytes(b, "big"))
    v = variable(model, 128)
    block_of(v)
    v._set(0x0102, -1)
    # big-endian toBytes, then the Block reverses again: stored little-endian (registers.md 2.9 item 2)
    assert staged(v)[:2] == b"\x02\x01" and v._get(-1) == 0x0102
    assert v._getDumpValue(False) == "V = 0x" + (0x0102).to_bytes(16, "big").hex() + "\n"


def test_custom_model_is_a_no_op() -> None:
    v = variable(rim.Custom, 32)
    block_of(v)
    v._set(5, -1)  # Rogue calls an uninitialised pointer here
    assert v._get(-1) is None and staged(v) == bytes(4)
    assert v._getDumpValue(False) == "V = UNDEFINED\n"


def test_a_variable_outside_a_block_says_so() -> None:
    v = variable(rim.UInt, 32)
    with pytest.raises(GeneralError, match="not in a block"):
        v._set(1, -1)
    with pytest.raises(GeneralError, match="not in a block"):
        v._get(-1)


# -- lists ------------------------------------------------------------------------------------------------
def test_uint_list_arrays_lists_and_dtypes() -> None:
    v = variable(rim.UInt, numValues=16, valueBits=32, valueStride=32, minimum=0, maximum=2 ** 32 - 1)
    block_of(v)
    for dtype in (np.uint8, np.uint16, np.uint32, np.uint64):
        v._set(np.arange(16, dtype=dtype), -1)
        out = v._get(-1)
        assert out.dtype == np.uint32 and out.tolist() == list(range(16))
    v._set([9, 8], 3)
    assert v._get(3) == 9 and v._get(4) == 8 and type(v._get(4)) is int
    v._set(7, -1)  # a scalar without index writes element 0
    assert v._get(0) == 7
    with ge("Block::setUIntPy: General Error: Passed nparray is not of an accepted unsigned int type "  # type: ignore[attr-defined]
            "(uint64, uint32, uint16, uint8) for V"):
        v._set(np.zeros(16, dtype=np.int64), -1)
    with ge("Block::setUIntPy: General Error: Overflow error for passed array with length 2 at index 15. "  # type: ignore[attr-defined]
            "Variable length = 16 for V"):
        v._set(np.zeros(2, dtype=np.uint32), 15)
    with ge("Block::setUIntPy: General Error: Overflow error for passed list with length 17 at index 0. "  # type: ignore[attr-defined]
            "Variable length = 16 for V"):
        v._set([0] * 17, -1)
    with ge("Block::setBytes: General Error: Index 4294967294 is out of range for V"):  # type: ignore[attr-defined]
        v._set(1, -2)
    with ge("Block::getBytes: General Error: Index 16 is out of range for V"):  # type: ignore[attr-defined]
        v._get(16)


def test_list_refusal_stages_the_values_before_it() -> None:
    v = variable(rim.Int, numValues=7, valueBits=31, valueStride=34, bitOffset=5, minimum=-2 ** 30,
                 maximum=2 ** 30 - 1)
    block_of(v)
    with ge("Block::setInt: General Error: Value range error for V. Value=1512623640, "  # type: ignore[attr-defined]
            "Min=-1073741824.000000, Max=1073741823.000000"):
        v._set([1, 0, 690276702, 1512623640, 0, 5, 6], -1)
    assert v._get(-1).tolist() == [1, 0, 690276702, 0, 0, 0, 0]
    with pytest.raises(GeneralError, match=r"Failed to extract value for V\.$"):
        v._set([4, 2.5], 0)
    assert v._get(0) == 4 and v._get(1) == 0


def test_float_list_and_bool_list() -> None:
    f = variable(rim.Float, numValues=3, valueBits=32, valueStride=32)
    block_of(f)
    f._set([1, 0.5, -2.0], -1)
    assert f._get(-1).dtype == np.float32 and f._get(-1).tolist() == [1.0, 0.5, -2.0]
    with ge("Block::setFLoatPy: General Error: Passed nparray is not of type (float32) for V"):  # type: ignore[attr-defined]
        f._set(np.zeros(3), -1)
    b = variable(rim.Bool, numValues=10, valueBits=1, valueStride=1)
    block_of(b)
    b._set([True, None, 3, False] * 2 + [True, True], -1)
    assert b._get(-1).tolist() == [True, False, True, False] * 2 + [True, True]
    assert staged(b) == bytes([0b00000101 | 0b01010000, 0b11])


def _same_as_one_by_one(make: object, values: np.ndarray) -> None:
    """The numpy path gives the image and values that element-by-element staging gives."""
    bulk, single = make(), make()  # type: ignore[operator]
    block_of(bulk)
    block_of(single)
    bulk._set(values, -1)
    for k, x in enumerate(values.tolist()):
        single._set(x, k)
    assert staged(bulk) == staged(single)
    assert bulk._get(-1).tolist() == single._get(-1).tolist() == [single._get(k) for k in range(len(values))]


@pytest.mark.parametrize("bits, stride, first, big", [
    (32, 32, 0, False), (32, 32, 8, True), (16, 24, 16, False), (24, 24, 0, False), (24, 32, 8, True),
    (12, 12, 3, False), (12, 17, 5, True), (1, 9, 24, False), (64, 64, 0, False), (33, 40, 7, False),
])
def test_list_packing_numpy_equals_element_by_element(bits: int, stride: int, first: int, big: bool) -> None:
    n = 9
    rng = np.random.default_rng(bits * 100 + stride)
    values = rng.integers(0, 2 ** bits, n, dtype=np.uint64)

    def make() -> rim.Variable:
        return variable(Model(rim.UInt, isBigEndian=big), numValues=n, valueBits=bits, valueStride=stride,
                        bitOffset=first, minimum=0, maximum=2 ** bits - 1)
    _same_as_one_by_one(make, values)


def test_a_16_value_list_is_staged_in_one_go(monkeypatch: pytest.MonkeyPatch) -> None:
    v = variable(rim.UInt, numValues=16, valueBits=32, valueStride=32, minimum=0, maximum=2 ** 32 - 1)
    block_of(v)
    calls: list[object] = []
    monkeypatch.setattr(_access, "store", lambda *a: calls.append(a))
    monkeypatch.setattr(_access, "load", lambda *a: calls.append(a))
    v._set(np.arange(16, dtype=np.uint32), -1)
    v._set(list(range(16)), -1)
    assert v._get(-1).tolist() == list(range(16))
    assert calls == []  # no per-element staging


def test_byte_reversed_float_list_image() -> None:
    v = variable(Model(rim.Float, isBigEndian=True), numValues=2, valueBits=32, valueStride=32)
    block_of(v)
    v._set([1.0, -2.0], -1)
    assert staged(v) == bytes.fromhex("3f800000c0000000")
    assert v._get(-1).tolist() == [1.0, -2.0]


# -- scalars in pieces -----------------------------------------------------------------------------------------
def test_multi_chunk_scalar_lsb_first() -> None:
    v = variable(rim.UInt, [4, 8], [2, 20], minimum=0, maximum=4095)  # low 4 bits at bit 2, next 8 at bit 20
    block_of(v)
    v._set(0xABC, -1)
    assert staged(v) == bytes([0xC << 2, 0, 0xB0, 0x0A])
    assert v._get(-1) == 0xABC


def test_big_endian_scalar_reverses_over_value_bytes() -> None:
    v = variable(Model(rim.UInt, isBigEndian=True), 17, minimum=0, maximum=131071)
    block_of(v)
    v._set(131071, -1)  # bytes ff ff 01 reversed: 01 ff ff, low 17 bits stored
    assert staged(v)[:3] == bytes([0x01, 0xFF, 0x01])
    assert v._get(-1) == 130817  # as C++ Rogue (vectors s11-7)


def test_get_dump_value_formats() -> None:
    cases = [(variable(rim.UInt, 32, name="U"), 7, "U = 7\n"), (variable(rim.Int, 8, name="I"), -3, "I = -3\n"),
             (variable(rim.Bool, 1, name="B"), True, "B = 1\n"), (variable(rim.String, 32, name="S"), "ab", "S = ab\n"),
             (variable(rim.Float, 32, name="F"), 0.1, "F = 0.1\n"), (variable(rim.Double, 64, name="D"), 1e20, "D = 1e+20\n"),
             (variable(Model(rim.Fixed, binPoint=4), 8, name="X"), 1.25, "X = 1.25\n"),
             (variable(rim.Float16, 16, name="H"), 1.0, "H = UNDEFINED\n"),
             (variable(rim.Bytes, 16, name="Y"), b"\x01\xab", "Y = 0x01ab\n")]
    for v, value, text in cases:
        block_of(v)
        v._set(value, -1)
        assert v._getDumpValue(False) == text
    lst = variable(rim.UInt, numValues=3, valueBits=8, valueStride=8, name="L")
    block_of(lst)
    lst._set([1, 2, 3], -1)
    lst._updatePath("root.Dev.L")
    assert lst._getDumpValue(False) == "root.Dev.L = 1 2 3\n"
