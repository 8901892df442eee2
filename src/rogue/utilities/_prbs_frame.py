"""Rogue's PRBS frame layout for one word width and tap set: writing a frame's bytes and checking a received one.

Pure: no counters, locks or stream graph (those are :class:`rogue.utilities.Prbs`'s).
A frame of ``size`` bytes is ``width / 8``-byte little-endian words: word 0 the
sequence number (uint32 in its low 4 bytes), word 1 ``size / wordBytes - 1``, then
the LFSR states from the seed word 0 (:mod:`rogue.utilities._lfsr`).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from ..interfaces.stream.frame import FrameBuffer

from ._lfsr import SMALL_WORDS, Lfsr, engine

__all__ = ["FrameFormat", "M32"]

M32 = 0xFFFFFFFF
_u32 = struct.Struct("<I")
_u32x2 = struct.Struct("<II")


class FrameFormat:
    """The frame layout of one width (bits) and tap set (one byte per tap): :meth:`fill` and the checks."""

    __slots__ = ("width", "wb", "min_size", "pad", "lfsr")

    def __init__(self, width: int, taps: bytes) -> None:
        self.width = width
        self.wb = width // 8  # bytes per word
        self.min_size = 3 * self.wb  # two header words and one payload word
        self.pad = bytes(self.wb - 4)
        self.lfsr: Lfsr = engine(width, taps)

    def valid_size(self, size: int) -> bool:
        """Whether a frame of ``size`` bytes can be generated: whole words, at least 3, at most 2**32 - 1 bytes."""
        return not size % self.wb and self.min_size <= size <= M32

    def fill(self, buf: bytearray, seq: int, size: int, gen_payload: bool = True, send_count: bool = False) -> None:
        """Write frame ``seq`` of ``size`` bytes into ``buf`` (which may be longer).

        ``gen_payload`` off: only the two header words; ``send_count``: payload word i holds i (2, 3, ...).
        """
        wb, count = self.wb, size // self.wb - 2
        if wb == 4:
            head = _u32x2.pack(seq, count + 1)
        else:
            pad = self.pad
            head = _u32.pack(seq) + pad + _u32.pack(count + 1) + pad
        if not gen_payload:
            buf[: 2 * wb] = head
        elif send_count:
            if count <= SMALL_WORDS:
                if wb == 4:
                    body = struct.pack(f"<{count}I", *range(2, count + 2))
                else:
                    body = b"".join(_u32.pack(i) + self.pad for i in range(2, count + 2))
                buf[:size] = head + body
            else:
                buf[: 2 * wb] = head
                words = np.frombuffer(buf, dtype="<u4", count=count * (wb // 4), offset=2 * wb).reshape(count, -1)
                words[:] = 0
                words[:, 0] = np.arange(2, count + 2, dtype=np.uint32)
        elif count <= SMALL_WORDS:
            buf[:size] = head + self.lfsr.words_small(seq, count)
        else:
            buf[: 2 * wb] = head
            self.lfsr.fill(seq, np.frombuffer(buf, dtype="<u4", count=count * (wb // 4), offset=2 * wb))

    def header(self, buf: FrameBuffer) -> tuple[int, int]:
        """``(sequence, words after word 0)`` from a received frame's two header words (uint32 each)."""
        if self.wb == 4:
            return _u32x2.unpack_from(buf)
        return _u32.unpack_from(buf)[0], _u32.unpack_from(buf, self.wb)[0]

    def seed(self, buf: FrameBuffer, seq: int) -> int:
        """The LFSR seed of a received frame: its whole word 0 (``seq`` when the word is 4 bytes)."""
        wb = self.wb
        return seq if wb == 4 else int.from_bytes(memoryview(buf)[:wb], "little")

    def first_bad_word(self, buf: FrameBuffer, seed: int, size: int) -> int:
        """Index of the first payload word of a ``size``-byte frame that is not the LFSR's, or -1."""
        wb, lfsr = self.wb, self.lfsr
        count = size // wb - 2
        if count <= SMALL_WORDS:
            expected = lfsr.words_small(seed, count)
            got = memoryview(buf)[2 * wb:size]
            return -1 if bytes(got) == expected else _first_diff(got, expected, wb)
        return lfsr.first_mismatch(seed, np.frombuffer(buf, dtype="<u4", count=count * (wb // 4), offset=2 * wb))

    def bad_word_text(self, buf: FrameBuffer, seed: int, pos: int, size: int, rx_count: int) -> str:
        """Rogue's warning for payload word ``pos``: each byte got and expected."""
        wb = self.wb
        exp = self.lfsr.payload(seed, pos + 1)[pos * wb:]
        got = memoryview(buf)[(pos + 2) * wb:(pos + 3) * wb]
        text = f"Bad value at index {pos}. count={rx_count}, size={size // wb - 1}"
        return text + "".join(f"\n   {pos}:{x} Got=0x{got[x]:x} Exp=0x{exp[x]:x}" for x in range(wb))


def _first_diff(got: memoryview, expected: bytes, wb: int) -> int:
    """Index of the first differing ``wb``-byte word of two equal-length byte strings."""
    g = bytes(got)
    for i in range(0, len(g), wb):
        if g[i:i + wb] != expected[i:i + wb]:
            return i // wb
    return -1
