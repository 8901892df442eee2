"""Batched records: several sub-frames in one record's payload, as pyrogue's ``FileReader(batched=True)`` reads them.

Each sub-frame, one after another until the payload ends (little-endian)::

    offset 0  uint32  size: the sub-frame's data bytes
    offset 4  uint8   tdest
    offset 5  uint8   first user
    offset 6  uint8   last user
    offset 7  uint8   width code: 0, 1, 2, 3 for 2, 4, 8, 16 bytes
    offset 8  ...     (width 16 only) 8 more header bytes, skipped
    then      size data bytes

A pure function, no file handles: :class:`FileReader` calls it on the mapped
file. Where pyrogue's reader goes wrong we do better: it seeks to an absolute
file offset to skip the extra header bytes of a 16-byte width (reading from
the wrong place) and raises an IndexError for a width code above 3; here the
bytes are skipped in place and a bad code is a :class:`BatchError`.
"""

from __future__ import annotations

import struct
from typing import Any, Iterator, NamedTuple

__all__ = ["BATCH_HEADER_SIZE", "BATCH_WIDTHS", "BatchError", "BatchHeader", "split_batch"]

BATCH_HEADER_SIZE = 8
#: Header width in bytes for each width code.
BATCH_WIDTHS = (2, 4, 8, 16)
_batch_struct = struct.Struct("<IBBBB")


class BatchHeader(NamedTuple):
    """A sub-frame's header, as pyrogue's ``BatchHeader``: ``width`` in bytes (2, 4, 8 or 16), not its code."""

    size: int
    tdest: int
    fUser: int
    lUser: int
    width: int


class BatchError(ValueError):
    """A record's payload does not split into sub-frames (a cut header or data, a bad width code)."""


def split_batch(buf: Any, start: int, end: int) -> Iterator[tuple[BatchHeader, int, int]]:
    """Yield ``(header, data_start, data_end)`` for each sub-frame of ``buf[start:end]``, in order.

    Raises :class:`BatchError` at the first sub-frame that does not fit
    (after yielding those before it, as pyrogue's reader does); an empty
    payload is an error too (it holds no sub-frame header).
    """
    pos = start
    while True:
        if pos + BATCH_HEADER_SIZE > end:
            raise BatchError(f"batch sub-frame header at offset {pos} is cut: {end - pos} bytes left in the "
                             f"record, a header needs {BATCH_HEADER_SIZE}")
        size, tdest, fuser, luser, code = _batch_struct.unpack_from(buf, pos)
        if code >= len(BATCH_WIDTHS):
            raise BatchError(f"batch sub-frame header at offset {pos} has width code {code} (not 0..3)")
        width = BATCH_WIDTHS[code]
        data = pos + max(BATCH_HEADER_SIZE, width)
        if data > end:
            raise BatchError(f"batch sub-frame header at offset {pos} is cut: its width is {width} bytes, "
                             f"{end - pos} are left in the record")
        if data + size > end:
            raise BatchError(f"batch sub-frame at offset {pos} is cut: its header says {size} data bytes, "
                             f"{end - data} are left in the record")
        yield BatchHeader(size, tdest, fuser, luser, width), data, data + size
        pos = data + size
        if pos == end:
            return
