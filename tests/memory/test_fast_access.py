"""The specialised ``_set``/``_get`` of byte-aligned UInt/Int variables give what the general conversion gives.

Each case builds the same variable twice: one keeps the setter and getter
``specialise`` gave it, the other is put back on the general ``set_num`` /
``get_num`` (Rogue's rules, checked against C++ Rogue by the register
vectors). The same inputs must then stage the same image and stale range,
read back the same values and dtype, and raise the same errors.
"""

from __future__ import annotations

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


def _pair(model: int, nbytes: int, count: int, stride_extra: int, big: bool, mode: str,
          rng: bool) -> tuple[Any, Any]:
    """(specialised, general) copies of one list variable, each alone in its block."""
    out = []
    for _ in range(2):
        bits = 8 * nbytes
        lo, hi = (None, None) if not rng else (0, 200) if model == rim.UInt else (-100, 100)
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
       mode=st.sampled_from(["RW", "RO", "WO"]), rng=st.booleans(),
       dtype=st.sampled_from(_UNSIGNED + _SIGNED + (np.float32, np.bool_)),
       length=st.integers(0, 8), index=st.integers(-3, 7), ndim2=st.booleans(),
       seed=st.integers(0, 2 ** 32 - 1), twice=st.booleans())
def test_list_set_get_match_the_general_path(model: int, nbytes: int, count: int, stride_extra: int, big: bool,
                                             mode: str, rng: bool, dtype: Any, length: int, index: int,
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
