"""The test traffic of the record/play tests: frame i's size, channel, flags, error and payload.

10 000 frames: mostly small (0 to 2 KiB), every 1000th one 1 MiB, a few of 0 bytes;
every channel (i % 256), flags cycling through all 16 bits, errors on every 7th.
"""

from __future__ import annotations

import numpy as np

COUNT = 10_000
BIG = 1 << 20


def size(i: int) -> int:
    if i % 1000 == 999:
        return BIG
    if i % 250 == 3:
        return 0
    return (i * 37) % 2049


def meta(i: int) -> tuple[int, int, int]:
    """(channel, flags, error) of frame i."""
    return i % 256, (i * 40503) & 0xFFFF, (i & 0xFF) | 1 if i % 7 == 0 else 0


def payload(i: int) -> bytes:
    n = size(i)
    return ((np.arange(n, dtype=np.uint32) * 31 + i) & 0xFF).astype(np.uint8).tobytes()
