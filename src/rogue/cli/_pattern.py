"""Test frames whose every byte can be checked: a sequence number plus a known pattern.

Frame ``seq`` of ``size`` bytes holds ``(i + seq) & 0xFF`` at byte ``i``, with
its first 4 bytes replaced by ``seq`` (uint32, little-endian) when the frame is
that long. Its channel is ``seq & 0xFF`` and its flags ``seq & 0xFFFF`` (when
the sender varies them), so metadata is checked too. Building and checking a
frame is a slice of a pre-built buffer and one comparison (C speed).
"""

from __future__ import annotations

import struct

__all__ = ["Checker", "payload"]

_PERIOD = 256
_base_len = 0
_base = b""


def _pattern(seq: int, size: int) -> bytes:
    global _base, _base_len
    if size + _PERIOD > _base_len:
        # Grow the pre-built pattern once to the largest size asked for.
        reps = (size + 2 * _PERIOD) // _PERIOD + 1
        _base = bytes(range(_PERIOD)) * reps
        _base_len = len(_base)
    start = seq & 0xFF
    return _base[start:start + size]


def payload(seq: int, size: int) -> bytes:
    """The ``size`` payload bytes of test frame ``seq``."""
    data = _pattern(seq, size)
    if size >= 4:
        data = struct.pack("<I", seq & 0xFFFFFFFF) + data[4:]
    return data


class Checker:
    """Checks test frames received in order: sequence, size, channel, flags, every byte.

    ``check(seq, data, size, channel, flags, error)`` is called per frame with
    ``seq`` being the number of frames received before it; the expected size
    comes from ``size_of(seq)``. The first few mismatches are kept as text.
    """

    def __init__(self, size_of, meta: bool = True) -> None:  # type: ignore[no-untyped-def]
        self._size_of = size_of
        self._meta = meta
        self.frames = 0
        self.bytes = 0
        self.bad = 0
        self.problems: list[str] = []

    def _fail(self, text: str) -> None:
        self.bad += 1
        if len(self.problems) < 5:
            self.problems.append(text)

    def check(self, data: bytes | bytearray, channel: int, flags: int, error: int) -> None:
        """Check the next received frame."""
        seq = self.frames
        self.frames += 1
        self.bytes += len(data)
        size = self._size_of(seq)
        if len(data) != size:
            self._fail(f"frame {seq}: {len(data)} bytes, expected {size}")
        elif data != payload(seq, size):
            got = struct.unpack_from("<I", data)[0] if size >= 4 else None
            self._fail(f"frame {seq}: payload differs (sequence field {got})")
        elif error:
            self._fail(f"frame {seq}: error field {error}")
        elif self._meta and (channel != seq & 0xFF or flags != seq & 0xFFFF):
            self._fail(f"frame {seq}: channel {channel} flags 0x{flags:x}, expected {seq & 0xFF} 0x{seq & 0xFFFF:x}")

    @property
    def ok(self) -> bool:
        """True when every frame checked so far was right."""
        return self.bad == 0
