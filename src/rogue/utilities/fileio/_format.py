"""Rogue's data-file record: the 8-byte header, and a vectorised index of a whole buffer.

A file is a sequence of records, all little-endian::

    offset 0  uint32  size field = payload bytes + 4
    offset 4  uint16  frame flags
    offset 6  uint8   frame error
    offset 7  uint8   channel
    offset 8  ...     payload (size field - 4 bytes)

In Python, a record's ``size`` is always its payload bytes, never the field, as pyrogue's
``FileReader`` gives it (it subtracts the 4): :class:`RogueHeader`,
:func:`decode_header`, :func:`encode_header` and :class:`RecordIndex` agree;
only the bytes on disk hold payload + 4.

Pure functions, no file handles: the writer, the readers and ``rogue-bridge
info`` all call these, so the vector tests test what ships.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass, field
from typing import Iterable, Iterator, NamedTuple, Union

import numpy as np

__all__ = ["HEADER_SIZE", "RecordIndex", "RogueHeader", "ScanProblem", "decode_header", "encode_header", "scan_chunks",
           "header_struct", "scan"]

#: The bytes of a data file: mapped (``mmap``), read, or any slice of them.
FileBytes = Union[bytes, bytearray, memoryview, mmap.mmap]

HEADER_SIZE = 8
#: ``size field (payload + 4), flags, error, channel``: the header's bytes (pyrogue's ``'IHBB'``, little-endian).
header_struct = struct.Struct("<IHBB")
_U32 = struct.Struct("<I")
_MAX_PAYLOAD = 0xFFFFFFFF - 4  # the size field is payload + 4 in 32 bits


class RogueHeader(NamedTuple):
    """A record header, as pyrogue's ``FileReader`` yields it: ``size`` is the payload in bytes.

    (The size field in the file is payload + 4; pyrogue's reader subtracts
    the 4, and so does everything here.)
    """

    size: int
    flags: int
    error: int
    channel: int


def encode_header(payload: int, flags: int, error: int, channel: int) -> bytes:
    """The 8 header bytes of a record of ``payload`` bytes."""
    if not 0 <= payload <= _MAX_PAYLOAD:
        raise ValueError(f"payload of {payload} bytes does not fit a record (at most {_MAX_PAYLOAD})")
    return header_struct.pack(payload + 4, flags, error, channel)


def decode_header(buf: FileBytes, offset: int = 0) -> RogueHeader:
    """The header at ``offset`` of ``buf`` (needs 8 bytes there); ``size`` is the payload (the field - 4)."""
    field, flags, error, channel = header_struct.unpack_from(buf, offset)
    return RogueHeader(field - 4, flags, error, channel)


@dataclass(frozen=True)
class ScanProblem:
    """Why a scan stopped before the end of the buffer: ``kind`` at ``offset``, in words."""

    kind: str  # "truncated header", "truncated record" or "zero size"
    offset: int
    message: str


@dataclass(frozen=True)
class RecordIndex:
    """Every complete record of a buffer as numpy arrays (one element per record).

    ``offset`` (int64) is where the record's header starts, ``size`` (uint32) its
    payload bytes (as ``RogueHeader.size`` and pyrogue's ``header.size``: the
    file's field minus 4), ``flags`` (uint16), ``error`` and ``channel``
    (uint8); record i's payload is ``data[offset[i] + 8:offset[i] + 8 +
    size[i]]``. ``end`` is the offset just past
    the last complete record, ``length`` the buffer's length; ``problem`` says
    why the scan stopped early (a cut record, a zero size), ``skipped`` counts
    headers with a size of 1..3 (no payload; skipped as Rogue's reader does).
    """

    offset: np.ndarray
    size: np.ndarray
    flags: np.ndarray
    error: np.ndarray
    channel: np.ndarray
    end: int
    length: int
    problem: ScanProblem | None = None
    skipped: int = 0
    skipped_first: int = -1
    name: str = field(default="", compare=False)

    def __len__(self) -> int:
        return len(self.offset)

    @property
    def payload_offset(self) -> np.ndarray:
        """Where each payload starts (``offset + 8``)."""
        return self.offset + HEADER_SIZE

    @property
    def payload_size(self) -> np.ndarray:
        """``size`` as int64 (payload bytes; sums and differences without uint32 overflow)."""
        return self.size.astype(np.int64)

    def select(self, channel: int | Iterable[int] | None = None, *, error: bool | None = None) -> "RecordIndex":
        """The records of ``channel`` (one or several), and/or with (``error=True``) or without an error."""
        mask = np.ones(len(self), dtype=bool)
        if channel is not None:
            chans = [channel] if isinstance(channel, (int, np.integer)) else list(channel)
            mask &= np.isin(self.channel, np.asarray(chans, dtype=np.int64))
        if error is not None:
            mask &= (self.error != 0) if error else (self.error == 0)
        return RecordIndex(self.offset[mask], self.size[mask], self.flags[mask], self.error[mask],
                           self.channel[mask], self.end, self.length, self.problem, self.skipped,
                           self.skipped_first, self.name)


def _u32_view(buf: FileBytes, n: int) -> np.ndarray:
    """A uint32 (little-endian) at every byte offset of ``buf``: element i is the word at byte i."""
    if n < 4:
        return np.zeros(0, dtype="<u4")
    view: np.ndarray = np.ndarray((n - 3,), dtype="<u4", buffer=buf, offset=0, strides=(1,))
    return view


def _period(sizes: list[int]) -> int:
    """The shortest period P <= 8 of the last sizes (the last P equal the P before), 0 if none."""
    n = len(sizes)
    for p in range(1, 9):
        if 2 * p > n:
            return 0
        if sizes[n - p:] == sizes[n - 2 * p:n - p] and min(sizes[n - p:]) >= 4:
            return p
    return 0


_SPEC_FIRST = 1024  # records checked by the first speculative step; doubled after each success
_SPEC_MAX = 1 << 21
_LOOP_BEFORE_SPEC = 16  # records parsed one by one before looking for a period again


def scan(buf: FileBytes, start: int = 0, name: str = "", limit: int = 0) -> RecordIndex:
    """Index every complete record of ``buf`` (bytes, mmap, numpy array...) from ``start``.

    ``limit`` > 0 stops after about that many records (never fewer, unless the
    buffer ends): ``end`` is then where the next scan starts, ``problem`` None.

    Record offsets form a chain (each follows from the previous size), so the
    scan parses one record at a time until the sizes repeat with a short
    period (fixed-size frames, or channels interleaved in a fixed pattern), then
    checks that guess for thousands of records at once with one numpy gather,
    falling back to one at a time where it fails. Flags, error and channel are
    gathered for all records at the end.
    """
    n = len(buf) if not isinstance(buf, np.ndarray) else buf.nbytes
    u32 = _u32_view(buf, n)
    unpack = _U32.unpack_from
    offs: list[int] = []  # records parsed one by one, not yet in a chunk
    sizes: list[int] = []
    hist: list[int] = []  # recent sizes, for the period check
    chunks_o: list[np.ndarray] = []
    chunks_s: list[np.ndarray] = []
    problem: ScanProblem | None = None
    skipped, skipped_first = 0, -1
    pos = start
    spec = _SPEC_FIRST
    done = 0  # records already in chunks
    while pos < n:
        if limit and done + len(offs) >= limit:
            break
        if n - pos < HEADER_SIZE:
            problem = ScanProblem("truncated header", pos, f"the file ends {n - pos} bytes into the header of a "
                                  f"record at offset {pos} (a cut record: its header needs 8)")
            break
        s = unpack(buf, pos)[0]
        if s < 4:
            if s == 0:
                problem = ScanProblem("zero size", pos, f"record header at offset {pos} has size 0 "
                                      "(not a record: reading stops here)")
                break
            skipped += 1
            if skipped_first < 0:
                skipped_first = pos
            pos += HEADER_SIZE
            hist.clear()
            continue
        if pos + 4 + s > n:
            problem = ScanProblem("truncated record", pos, f"record at offset {pos} is cut: its header says "
                                  f"{s - 4} payload bytes, the file holds {n - pos - HEADER_SIZE}")
            break
        offs.append(pos)
        sizes.append(s)
        hist.append(s)
        pos += 4 + s
        if len(hist) < _LOOP_BEFORE_SPEC:
            continue
        p = _period(hist)
        hist = hist[-p:] if p else []
        if not p:
            continue
        # Speculate: the last p sizes repeat. Check whole periods that fit in the buffer at once.
        pattern = np.asarray(hist, dtype=np.uint32)
        lens = pattern.astype(np.int64) + 4
        period = int(lens.sum())
        rel = np.concatenate(([0], np.cumsum(lens)[:-1]))
        while True:
            k = min((n - pos) // period, max(1, spec // p))
            if limit:
                k = min(k, max(1, (limit - done - len(offs)) // p + 1))
            if k <= 0:
                break
            cand = ((pos + period * np.arange(k, dtype=np.int64))[:, None] + rel[None, :]).ravel()
            got = u32[cand]
            ok = got == np.tile(pattern, k)
            good = len(ok) if ok.all() else int(np.argmin(ok))
            if good:
                if offs:
                    chunks_o.append(np.asarray(offs, dtype=np.int64))
                    chunks_s.append(np.asarray(sizes, dtype=np.uint32))
                    done += len(offs)
                    offs, sizes = [], []
                chunks_o.append(cand[:good])
                chunks_s.append(got[:good])
                done += good
            if good < len(ok):
                pos = int(cand[good])
                spec = _SPEC_FIRST
                hist = []
                break
            pos = int(cand[-1] + lens[-1])
            spec = min(spec * 2, _SPEC_MAX)
            if limit and done >= limit:
                break
    if offs:
        chunks_o.append(np.asarray(offs, dtype=np.int64))
        chunks_s.append(np.asarray(sizes, dtype=np.uint32))
    offset = np.concatenate(chunks_o) if chunks_o else np.zeros(0, dtype=np.int64)
    size = np.concatenate(chunks_s) - np.uint32(4) if chunks_s else np.zeros(0, dtype=np.uint32)  # fields >= 4
    meta = u32[offset + 4] if len(offset) else np.zeros(0, dtype=np.uint32)
    return RecordIndex(offset, size, (meta & 0xFFFF).astype(np.uint16), ((meta >> 16) & 0xFF).astype(np.uint8),
                       (meta >> 24).astype(np.uint8), min(pos, n), n, problem, skipped, skipped_first, name)


def scan_chunks(buf: FileBytes, name: str = "", chunk: int = 1 << 16) -> Iterator[RecordIndex]:
    """:func:`scan` ``buf`` in pieces of about ``chunk`` records (bounded memory for any file size).

    Each piece's ``skipped``/``skipped_first`` are its own; the last piece
    carries the ``problem``, if any.
    """
    pos, n = 0, len(buf) if not isinstance(buf, np.ndarray) else buf.nbytes
    while True:
        idx = scan(buf, pos, name, limit=chunk)
        yield idx
        if idx.problem is not None or idx.end >= n:
            return
        pos = idx.end
