"""What every numeric model shares: :class:`NumCodec` and Rogue's range check and rounding.

A model's *raw* form is the int whose little-endian bytes are the C buffer
Rogue copies into the register image. ``v`` below is any object with
``name``, ``lo``, ``hi``, ``rng`` (range check on), ``valueBits`` and
``binPoint`` (a variable's state).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import numpy.typing as npt

from ._base import fmt_f, rogue_error

__all__ = ["NumCodec", "U64", "first_bad", "first_out_of_range", "range_bad", "range_error", "round_half_away",
           "two_pow", "v_round_half_away"]

U64 = npt.NDArray[Any]


def range_error(src: str, v: Any, value_text: str) -> Exception:
    return rogue_error(src, f"Value range error for {v.name}. Value={value_text}, Min={fmt_f(v.lo)}, Max={fmt_f(v.hi)}")


def first_bad(bad: npt.NDArray[Any]) -> int:
    return int(bad.argmax()) if bad.any() else -1


def first_out_of_range(v: Any, values: npt.NDArray[Any]) -> int:
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
    return first_bad(range_bad(v, values))


def range_bad(v: Any, values: npt.NDArray[Any]) -> npt.NDArray[Any]:
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


def v_round_half_away(x: npt.NDArray[Any]) -> npt.NDArray[Any]:
    with np.errstate(invalid="ignore"):
        a = np.abs(x)
        r = np.floor(a)
        r = r + (a - r >= 0.5)
    out: npt.NDArray[Any] = np.copysign(r, x)
    return out


def two_pow(bp: int) -> float:
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

