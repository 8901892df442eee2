"""Rogue's PRBS LFSR, vectorised: the payload words of a frame from its seed.

Rogue steps a ``width``-bit state ``s`` once per payload word::

    fb = XOR over t in taps (t < width) of (s >> t) & 1
    s  = ((s << 1) | fb) & (2**width - 1)

and writes each new ``s``. Seen as one bit sequence ``b``, with the seed's bit
``i`` being ``b[-i]``, each step appends one bit ``b[n] = XOR b[n - (t+1)]``
and payload word ``k`` (from 0) is the window ``bit i = b[k + 1 - i]``. So a
frame of N words is fixed by only N + width bits; the words are their sliding
windows.

The generated bits ``b[1..]`` are linear in the seed's low ``L`` bits
(``L = 1 + the highest tap``): :class:`Lfsr` keeps, per seed bit, the first
``K`` bits that seed bit produces (the *table*: ``L * K`` bits, at most
``TABLE_BYTES`` = 1 MiB per width/taps, grown only as far as frames need) and
XORs the rows of the seed's set bits. Beyond ``K`` it uses, for the
recurrence's polynomial ``P(x) = 1 + sum x**(t+1)``, ``P(x)**M == P(x**M)`` over
GF(2) for a power of two ``M``: ``b[n] = XOR b[n - M(t+1)]``, which fills whole
byte-aligned blocks of bits with a few numpy XORs. The sliding windows are
then cut with one shift per 32-bit word. Frames of a few words take a plain
integer loop instead (less overhead than numpy there). Per thread, scratch
arrays (about 3.3 times the frame at width 32) are kept for frames up to
``SCRATCH_KEEP`` bytes.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Lfsr", "engine", "SMALL_WORDS", "TABLE_BYTES"]

TABLE_BYTES = 1 << 20  # the largest table of one width/taps (bytes)
SCRATCH_KEEP = 16 << 20  # per thread, scratch arrays up to this size are kept for the next frame
SMALL_WORDS = 48  # frames of at most this many payload words use the integer loop
_REV8 = np.array([int(f"{i:08b}"[::-1], 2) for i in range(256)], dtype=np.uint8)
_SHIFTS = np.arange(32, 0, -1, dtype=np.uint64)  # 32 - r for r = 0..31
_scratch = threading.local()


def _buffer(name: str, count: int, dtype: npt.DTypeLike) -> npt.NDArray[Any]:
    """A per-thread scratch array of ``count`` items, reused between calls (fresh memory costs page faults)."""
    arr: npt.NDArray[Any] | None = getattr(_scratch, name, None)
    if arr is not None and arr.size >= count and arr.dtype == dtype:
        return arr[:count]
    arr = np.empty(count, dtype=dtype)
    if arr.nbytes <= SCRATCH_KEEP:
        setattr(_scratch, name, arr)
    return arr


@lru_cache(maxsize=256)
def _pack32(count: int) -> Callable[..., bytes]:
    """``struct.pack`` of ``count`` little-endian uint32 (one compiled Struct per count)."""
    return struct.Struct(f"<{count}I").pack


def tap_mask(width: int, taps: bytes | list[int] | tuple[int, ...]) -> int:
    """The taps as a bit mask: a tap at or above ``width`` reads nothing; a repeated tap cancels (XOR)."""
    mask = 0
    for t in taps:
        if t < width:
            mask ^= 1 << t
    return mask


class Lfsr:
    """Payload generator and checker for one ``width`` (multiple of 32) and tap set.

    Thread-safe: the table grows under a lock; everything else is per call.
    """

    def __init__(self, width: int, taps: bytes | tuple[int, ...]) -> None:
        if width <= 0 or width % 32:
            raise ValueError(f"width {width} is not a positive multiple of 32")
        self.width = width
        self.word_bytes = width // 8
        self.lanes = width // 32
        self.mask = (1 << width) - 1
        self.taps = tap_mask(width, taps)
        self.lags = [t + 1 for t in range(width) if self.taps >> t & 1]
        self.span = self.lags[-1] if self.lags else 0  # L: seed bits that feed back
        self.lag_min = self.lags[0] if self.lags else 0
        # Table: row i = generated bits b[1..K] of seed 1 << i (see _grow), at most table_limit bytes.
        self.table_limit = max(64, (TABLE_BYTES // max(1, self.span)) // 8 * 8)  # bytes per row at most
        self._xtable = np.zeros((self.span, 0), dtype=np.uint32)
        self._lock = threading.Lock()

    # -- the plain loop (small frames, and the reference for the rest) --------------
    def words_small(self, seed: int, count: int) -> bytes:
        """``count`` payload words after ``seed``, little-endian, by stepping the LFSR."""
        s, taps, mask = seed & self.mask, self.taps, self.mask
        out = []
        for _ in range(count):
            s = ((s << 1) | ((s & taps).bit_count() & 1)) & mask
            out.append(s)
        if self.width == 32:
            return _pack32(count)(*out)
        wb = self.word_bytes
        return b"".join(x.to_bytes(wb, "little") for x in out)

    # -- the table ----------------------------------------------------------------------
    def _grow(self, nbytes: int) -> np.ndarray:
        """The chunk table with at least ``nbytes`` bytes per row (or its limit), grown if needed.

        Row i holds b[1..K] of seed ``1 << i`` as 32-bit chunks, each bit-reversed (the
        order the windows are cut in; XOR commutes with that). It is built in bytes of the
        bit sequence (bit n-1 = b[n]), bit-serially for the first 8 L bits, then by blocks.
        """
        xtable = self._xtable
        if 4 * xtable.shape[1] >= min(nbytes, self.table_limit):
            return xtable
        with self._lock:
            xtable = self._xtable
            have = 4 * xtable.shape[1]
            if have >= min(nbytes, self.table_limit):
                return xtable
            L = self.span
            # At least L bytes: the block recurrence below needs 8 * L known bits to start.
            want = min(self.table_limit, -(-max(nbytes, 2 * have, 64, L) // 8) * 8)
            new = np.zeros((L, want), dtype=np.uint8)
            if have:  # only the chunk table is kept: undo its bit reversal to go on in bytes
                new[:, :have] = _REV8[xtable.astype(">u4").view(np.uint8)]
            if have == 0:
                # Bit-serial for the first 8 * L bits, all L seeds at once: bit i of v[n] = b[n] of seed 1 << i.
                v = [1 << i for i in range(L - 1, -1, -1)]  # b[-(L-1)] .. b[0]
                for _ in range(8 * L):
                    x = 0
                    for lag in self.lags:
                        x ^= v[-lag]
                    v.append(x)
                bits = np.frombuffer(b"".join(x.to_bytes((L + 7) // 8, "little") for x in v[L:]), dtype=np.uint8)
                bits = np.unpackbits(bits.reshape(8 * L, -1), axis=1, count=L, bitorder="little")
                new[:, :L] = np.packbits(bits.T, axis=1, bitorder="little")
                have = L
            _extend(new, have, want, self.lags, 8)
            self._xtable = np.frombuffer(_REV8[new].tobytes(), dtype=">u4").astype(np.uint32).reshape(L, -1)
            return self._xtable

    def _generated(self, seed: int, out: np.ndarray) -> None:
        """Fill ``out`` (uint32) with the generated bits b[1..] of ``seed`` as bit-reversed 32-bit chunks."""
        L, n = self.span, out.size
        if L == 0:
            out[:] = 0
            return
        xtable = self._grow(4 * n)
        have = min(n, xtable.shape[1])
        low = seed & ((1 << L) - 1)
        rows = [i for i in range(low.bit_length()) if low >> i & 1]
        if not rows:
            out[:] = 0
            return
        if len(rows) == 1:
            out[:have] = xtable[rows[0], :have]
        else:
            np.bitwise_xor.reduce(xtable[rows, :have], axis=0, out=out[:have])
        if have < n:
            _extend(out[None, :], have, n, self.lags, 32)

    def bits(self, seed: int, nbytes: int) -> np.ndarray:
        """Generated bits b[1 .. 8*nbytes] of ``seed`` as little-endian packed bytes (``nbytes`` a multiple of 4)."""
        chunks = np.empty(nbytes // 4, dtype=np.uint32)
        self._generated(seed, chunks)
        return _REV8[chunks.astype(">u4").view(np.uint8)]

    # -- payload words --------------------------------------------------------------------
    def windows(self, seed: int, count: int) -> np.ndarray:
        """The ``count`` payload words after ``seed`` as a ``(count, lanes)`` uint64 view (low 32 bits valid)."""
        W, lanes = self.width, self.lanes
        nch = -(-(count + 1) // 32)  # generated bits needed, in 32-bit chunks
        seed &= self.mask
        # X[i] = sum_m b[32(i + 1) - W - m] << m: the seed's 32-bit lanes, highest first (b[-j] is
        # seed bit j), then the generated bits b[1..] in bit-reversed 32-bit chunks.
        x32 = np.empty(lanes + nch, dtype=np.uint32)
        x32[:lanes] = np.frombuffer(seed.to_bytes(W // 8, "big"), dtype=">u4")
        self._generated(seed, x32[lanes:])
        x = x32.astype(np.uint64)
        y = (x[:-1] << np.uint64(32)) | x[1:]
        # flat[32 i + r] = 32-bit window ending at b[32(i + 1) - W + r] (high bits are garbage).
        flat = _buffer("flat", 32 * len(y), np.uint64)
        np.right_shift(y[:, None], _SHIFTS[None, :], out=flat.reshape(len(y), 32))
        # word k, lane l = window ending at b[k + 1 - 32 l] = flat[k + W - 31 - 32 l].
        if W == 32:
            return flat[1:count + 1].reshape(count, 1)
        # (np.ndarray with strides: as_strided's Python overhead is a third of a 4 KiB frame's time)
        lanes_view: np.ndarray = np.ndarray((count, lanes), np.uint64, flat, offset=8 * (W - 31), strides=(8, -256))
        return lanes_view

    def fill(self, seed: int, out: np.ndarray) -> None:
        """Write the payload words after ``seed`` into ``out`` (a writable little-endian uint32 array)."""
        count = out.size // self.lanes
        np.copyto(out.reshape(count, self.lanes), self.windows(seed, count), casting="unsafe")

    def payload(self, seed: int, count: int) -> bytes:
        """``count`` payload words after ``seed`` as bytes (either method, whichever is faster)."""
        if count <= SMALL_WORDS:
            return self.words_small(seed, count)
        out = np.empty(count * self.lanes, dtype="<u4")
        self.fill(seed, out)
        return out.tobytes()

    def first_mismatch(self, seed: int, data: np.ndarray) -> int:
        """Index of the first payload word of ``data`` (little-endian uint32 lanes) differing from ``seed``'s, or -1."""
        count = data.size // self.lanes
        if count <= SMALL_WORDS:
            exp = np.frombuffer(self.words_small(seed, count), dtype="<u4")
        else:
            exp = _buffer("expected", count * self.lanes, np.dtype("<u4"))
            self.fill(seed, exp)
        diff = _buffer("diff", exp.size, np.bool_)
        np.not_equal(exp, data, out=diff)
        if not diff.any():
            return -1
        return int(np.argmax(diff)) // self.lanes


def _extend(rows: np.ndarray, have: int, want: int, lags: list[int], unit: int) -> None:
    """Fill items ``have..want`` of each row of ``unit``-bit items from those before (``b[n] = XOR b[n - M lag]``).

    The items are bytes of the bit sequence (``unit`` 8) or its bit-reversed 32-bit chunks
    (``unit`` 32): M is a multiple of ``unit``, so every block and source is whole items.
    """
    L, lag_min = lags[-1], lags[0]
    if have < L:
        raise ValueError(f"{have} known items per row; the recurrence needs {L}")
    while have < want:
        m = 1 << ((unit * have // L).bit_length() - 1)  # the largest power of two M with M * L <= unit * have
        mb = m // unit  # items per M bits (M >= unit always holds: have >= L items)
        end = min(want, have + mb * lag_min)
        n = end - have
        first = True
        for lag in lags:
            src = rows[:, have - mb * lag: have - mb * lag + n]
            if first:
                rows[:, have:end] = src
                first = False
            else:
                rows[:, have:end] ^= src
        have = end


@lru_cache(maxsize=16)
def engine(width: int, taps: bytes) -> Lfsr:
    """The shared :class:`Lfsr` of ``width`` and ``taps`` (tables are built once per process)."""
    return Lfsr(width, taps)
