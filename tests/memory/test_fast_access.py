"""The specialised ``_set``/``_get`` of byte-aligned UInt/Int variables give what the general conversion gives.

Each case builds the same variable twice: one keeps the setter and getter
``specialise`` gave it, the other is put back on the general ``set_num`` /
``get_num`` (Rogue's rules, checked against C++ Rogue by the register
vectors). The same inputs must then stage the same image and stale range,
read back the same values and dtype, and raise the same errors.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rogue.interfaces.memory as rim
from rogue import GeneralError
from rogue.interfaces.memory import _access

from engine_helpers import Model, block_of, variable

_UNSIGNED = (np.uint8, np.uint16, np.uint32, np.uint64)
_SIGNED = (np.int8, np.int16, np.int32, np.int64)


def _limits(model: int, bits: int, rng: Any) -> tuple[Any, Any]:
    """The variable's minimum and maximum: none, narrow ones, pyrogue's (its model's whole range) or others."""
    if not rng:
        return None, None
    if rng == "full":  # what pyrogue gives a UInt/Int variable: the whole range of its bits
        return (0, 2 ** bits - 1) if model == rim.UInt else (-2 ** (bits - 1), 2 ** (bits - 1) - 1)
    if rng == "wide":  # wider than any C type: nothing is refused
        return -2.0 ** 70, 2.0 ** 70
    if rng == "nan":  # a NaN limit never refuses
        return float("nan"), 10
    if rng == "frac":
        return -2.5, 1e3 + 0.5
    if rng == "inf":
        return -math.inf, math.inf
    if rng == "big":  # limits beyond 2**53: ints next to them round onto them
        return -2.0 ** 62 - 2 ** 10, 2.0 ** 63 - 2 ** 10
    return (0, 200) if model == rim.UInt else (-100, 100)


_RANGES = [False, True, "full", "wide", "nan", "frac", "inf", "big"]


def _pair(model: int, nbytes: int, count: int, stride_extra: int, big: bool, mode: str,
          rng: Any) -> tuple[Any, Any]:
    """(specialised, general) copies of one list variable, each alone in its block."""
    out = []
    for _ in range(2):
        bits = 8 * nbytes
        lo, hi = _limits(model, bits, rng)
        v = variable(Model(model, isBigEndian=big), numValues=count, valueBits=bits, valueStride=bits + 8 * stride_extra,
                     bitOffset=8, mode=mode, minimum=lo, maximum=hi)
        block_of(v, size=1 + count * (nbytes + stride_extra) + 1)
        out.append(v)
    fast, general = out
    s = general._Variable__rb  # type: ignore[attr-defined]
    s.setter, s.getter = _access.set_num, _access.get_num
    return fast, general


def _state(v: Any) -> tuple[bytes, bool, int, int, bool]:
    s = v._Variable__rb
    return bytes(s.bst.data), s.stale, s.staleLow, s.staleHigh, s.bst.stale


def _outcome(fn: Any) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except (GeneralError, TypeError, ValueError, OverflowError) as exc:
        return type(exc).__name__, str(exc)


@pytest.mark.parametrize("model", [rim.UInt, rim.Int])
@pytest.mark.parametrize("nbytes", [1, 2, 4, 8])
def test_list_fast_path_is_installed(model: int, nbytes: int) -> None:
    fast, _ = _pair(model, nbytes, 4, 0, False, "RW", False)
    s = fast._Variable__rb  # type: ignore[attr-defined]
    assert s.setter is not _access.set_num and s.getter is not _access.get_num


@settings(max_examples=200, deadline=None)
@given(model=st.sampled_from([rim.UInt, rim.Int]), nbytes=st.sampled_from([1, 2, 4, 8]),
       count=st.integers(1, 6), stride_extra=st.integers(0, 2), big=st.booleans(),
       mode=st.sampled_from(["RW", "RO", "WO"]), rng=st.sampled_from(_RANGES),
       dtype=st.sampled_from(_UNSIGNED + _SIGNED + (np.float32, np.bool_)),
       length=st.integers(0, 8), index=st.integers(-3, 7), ndim2=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1), twice=st.booleans())
def test_list_set_get_match_the_general_path(model: int, nbytes: int, count: int, stride_extra: int, big: bool,
                                             mode: str, rng: Any, dtype: Any, length: int, index: int,
                                             ndim2: bool, seed: int, twice: bool) -> None:
    fast, general = _pair(model, nbytes, count, stride_extra, big, mode, rng)
    gen = np.random.default_rng(seed)
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    if info is not None:
        values = gen.integers(info.min, info.max, size=length, dtype=dtype, endpoint=True)
        if rng and length:
            values[gen.integers(0, length)] = 7  # mostly in range somewhere
    else:
        values = gen.random(length).astype(dtype)
    if ndim2:
        values = values.reshape(1, -1)
    for v in (fast, general):
        v._set(np.zeros(count, dtype=np.uint8 if model == rim.UInt else np.int8), 0)  # a known image first
    for _ in range(2 if twice else 1):
        a = _outcome(lambda: fast._set(values, index))
        b = _outcome(lambda: general._set(values, index))
        assert a == b
        assert _state(fast) == _state(general)
    got_a, got_b = fast._get(-1), general._get(-1)
    assert got_a.dtype == got_b.dtype and got_a.tolist() == got_b.tolist()
    for k in (-1, 0, count - 1, count):
        assert _outcome(lambda: fast._get(k) if k >= 0 else fast._get(k).tolist()) == \
            _outcome(lambda: general._get(k) if k >= 0 else general._get(k).tolist())


def test_list_get_is_a_copy_in_rogues_dtype() -> None:
    fast, _ = _pair(rim.UInt, 4, 3, 0, True, "RW", False)
    fast._set(np.array([1, 2, 3], dtype=np.uint32), -1)
    got = fast._get(-1)
    assert got.dtype == np.uint32 and got.tolist() == [1, 2, 3]
    got[0] = 99  # a copy: the image is not changed through it
    assert fast._get(0) == 1
    assert bytes(fast._Variable__rb.bst.data)[1:5] == b"\x00\x00\x00\x01"  # type: ignore[attr-defined]


def _scalar_pair(model: int, nbytes: int, big: bool, mode: str, rng: Any) -> tuple[Any, Any]:
    """(specialised, general) copies of one scalar variable at byte 1 of its block."""
    out = []
    for _ in range(2):
        lo, hi = _limits(model, 8 * nbytes, rng)
        v = variable(Model(model, isBigEndian=big), bitSize=8 * nbytes, bitOffset=8, mode=mode, minimum=lo,
                     maximum=hi)
        block_of(v, size=nbytes + 2)
        out.append(v)
    fast, general = out
    s = general._Variable__rb  # type: ignore[attr-defined]
    s.setter, s.getter = _access.set_num, _access.get_num
    return fast, general


@pytest.mark.parametrize("model", [rim.UInt, rim.Int])
@pytest.mark.parametrize("nbytes", [1, 2, 3, 4, 5, 8])
def test_scalar_fast_path_is_installed(model: int, nbytes: int) -> None:
    fast, _ = _scalar_pair(model, nbytes, False, "RW", "full")
    s = fast._Variable__rb  # type: ignore[attr-defined]
    assert s.setter is not _access.set_num and s.getter is not _access.get_num


_EDGES = [0, 1, -1, 7, 100, 200, 201, -100, -101, 255, 256, -128, -129, 2 ** 15, 2 ** 16, 2 ** 31, 2 ** 32 - 1, 2 ** 32,
          -2 ** 31, -2 ** 31 - 1, 2 ** 53, 2 ** 53 + 1, 2 ** 63 - 1, 2 ** 63, -2 ** 63, -2 ** 63 - 1, 2 ** 64 - 1,
          2 ** 64, 2 ** 70, 2 ** 63 - 2 ** 10, 2 ** 63 - 2 ** 10 + 1, 2 ** 63 - 2 ** 9, -2 ** 62 - 2 ** 10,
          -2 ** 62 - 2 ** 10 - 1, -2 ** 62 - 2 ** 11, True, 3.0, np.uint32(5), "7"]


@settings(max_examples=300, deadline=None)
@given(model=st.sampled_from([rim.UInt, rim.Int]), nbytes=st.sampled_from([1, 2, 3, 4, 5, 8]), big=st.booleans(),
       mode=st.sampled_from(["RW", "RO", "WO"]), rng=st.sampled_from(_RANGES),
       values=st.lists(st.one_of(st.sampled_from(_EDGES), st.integers(-2 ** 66, 2 ** 66),
                                 st.integers(-300, 300)), min_size=1, max_size=4))
def test_scalar_set_get_match_the_general_path(model: int, nbytes: int, big: bool, mode: str, rng: Any,
                                               values: list[Any]) -> None:
    fast, general = _scalar_pair(model, nbytes, big, mode, rng)
    for value in values:
        a = _outcome(lambda: fast._set(value, -1))
        b = _outcome(lambda: general._set(value, -1))
        assert a == b
        assert _state(fast) == _state(general)
        got_a, got_b = _outcome(lambda: fast._get(-1)), _outcome(lambda: general._get(-1))
        assert got_a == got_b and type(got_a[1]) is type(got_b[1])


@pytest.mark.parametrize("model", [rim.UInt, rim.Int])
@pytest.mark.parametrize("nbytes", [1, 2, 4, 8])
def test_pyrogue_limits_leave_every_value_of_the_type_to_the_fast_path(model: int, nbytes: int,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """pyrogue gives every UInt/Int its whole range as limits: an int or array of the type needs no check."""
    fast, general = _scalar_pair(model, nbytes, False, "RW", "full")
    lst, lst_general = _pair(model, nbytes, 4, 0, False, "RW", "full")
    info = np.iinfo(f"{'u' if model == rim.UInt else 'i'}{nbytes}")
    calls: list[Any] = []
    monkeypatch.setattr("rogue.interfaces.memory._access_fast.set_num", lambda *a: calls.append(a))
    arr = np.array([info.min, info.max, 0, 1], dtype=info.dtype)
    for value in (int(info.min), int(info.max), 1):
        fast._set(value, -1)
        general._set(value, -1)
        assert _state(fast) == _state(general)
    lst._set(arr, -1)
    lst_general._set(arr, -1)
    assert _state(lst) == _state(lst_general) and lst._get(-1).tolist() == arr.tolist()
    assert calls == []  # nothing went to the general path
