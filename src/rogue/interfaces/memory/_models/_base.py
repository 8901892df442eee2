"""What the model codecs share: Rogue's error texts and its rules for accepting Python values.

C++ Rogue converts a Python value with Boost.Python's ``extract<T>``; these
functions accept and reject exactly what those conversions do, and raise the
same Python errors for values out of the C type's range.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ...._errors import GeneralError
from ._smallfloat import f32_bits

__all__ = [
    "NPY_BOOL", "NPY_F16", "NPY_F32", "NPY_F64", "NPY_INTS", "NPY_UINTS", "Reject", "U64_MAX",
    "as_double", "as_float_bits", "as_i64", "as_u64", "fmt_f", "is_bool_source", "rogue_error", "u32",
]

U64_MAX = 0xFFFFFFFFFFFFFFFF
I64_MIN = -(1 << 63)
I64_MAX = (1 << 63) - 1

# numpy type numbers Rogue's switches accept (NPY_UINT64 ... as this platform's numpy defines them).
NPY_UINTS = frozenset(np.dtype(t).num for t in (np.uint8, np.uint16, np.uint32, np.uint64))
NPY_INTS = frozenset(np.dtype(t).num for t in (np.int8, np.int16, np.int32, np.int64))
NPY_BOOL = np.dtype(np.bool_).num
NPY_F16 = np.dtype(np.float16).num
NPY_F32 = np.dtype(np.float32).num
NPY_F64 = np.dtype(np.float64).num


class Reject(Exception):
    """A value the Boost.Python conversion does not accept (the caller raises Rogue's text)."""


def rogue_error(src: str, msg: str) -> GeneralError:
    """A GeneralError worded as C++ Rogue's ``GeneralError::create(src, ...)``: ``"src: General Error: msg"``."""
    return GeneralError(src, "General Error: " + msg)


def u32(value: int) -> int:
    """``value`` printed as C's ``%u`` of a 32-bit integer (negative numbers wrap)."""
    return value & 0xFFFFFFFF


def fmt_f(value: float) -> str:
    """C's ``%f``."""
    return "%f" % value


def as_u64(obj: Any) -> int:
    """``extract<uint64_t>``: a Python int (or subclass, bool included) within 0 .. 2**64-1."""
    if not isinstance(obj, int):
        raise Reject
    v = int(obj)
    if v < 0:
        raise OverflowError("can't convert negative value to unsigned int")
    if v > U64_MAX:
        raise OverflowError("Python int too large to convert to C unsigned long")
    return v


def as_i64(obj: Any) -> int:
    """``extract<int64_t>``: a Python int (or subclass) within the int64 range."""
    if not isinstance(obj, int):
        raise Reject
    v = int(obj)
    if v < I64_MIN or v > I64_MAX:
        raise OverflowError("Python int too large to convert to C long")
    return v


def as_double(obj: Any) -> float:
    """``extract<double>``: a Python int or float (or subclass, so ``np.float64`` too)."""
    if isinstance(obj, float):
        return float(obj)
    if isinstance(obj, int):
        return float(obj)  # OverflowError "int too large to convert to float", as PyLong_AsDouble
    raise Reject


def as_float_bits(obj: Any) -> int:
    """``extract<float>``: as :func:`as_double`, then rounded to float32; returns its bit pattern."""
    return f32_bits(as_double(obj))


def is_bool_source(obj: Any) -> bool:
    """``extract<bool>`` accepts ``None`` and any Python int (bool included)."""
    return obj is None or isinstance(obj, int)
