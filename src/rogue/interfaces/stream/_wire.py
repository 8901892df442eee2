"""Stream bridge wire format: a frame's fields <-> the 4 parts of one ZeroMQ message.

Pure functions, no sockets (``docs/wire.md``, "Stream bridge"). Part 0 is the 16-bit
flags, little-endian (low byte firstUser, high byte lastUser), part 1 the
channel (1 byte), part 2 the error (1 byte), part 3 the payload (0 bytes or
more). The bridge receives parts 0..2 as ``bytes`` and the payload as any
buffer; :func:`decode` only looks at sizes and the three header parts.

Naming: in every package the pure codec of what it puts on a link is its
``_wire.py`` (the stream bridge's messages here; the memory bridge's in
``interfaces/memory/_wire.py``, SRPv3 frames in ``protocols/srp/_wire.py``), as a file format's is ``_format.py``
(``utilities/fileio``): the bytes of a protocol are found at the same place in
every package, named after ``docs/wire.md`` which they follow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["PARTS", "WireError", "decode", "encode", "encode_header"]

PARTS = 4  # parts in every stream bridge message

# One-byte parts are shared objects, so encoding a header allocates only the flags part.
_BYTE = tuple(bytes((i,)) for i in range(256))


class WireError(ValueError):
    """A message that is not a stream bridge frame; ``reason`` says what is wrong."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def encode_header(flags: int, channel: int, error: int) -> tuple[bytes, bytes, bytes]:
    """Parts 0..2 of a message: flags (2 bytes LE), channel (1 byte), error (1 byte)."""
    if not (0 <= channel <= 0xFF and 0 <= error <= 0xFF and 0 <= flags <= 0xFFFF):
        raise WireError(f"flags 0x{flags:x}, channel {channel} or error {error} out of range")
    return flags.to_bytes(2, "little"), _BYTE[channel], _BYTE[error]


def encode(flags: int, channel: int, error: int, payload: Any) -> list[Any]:
    """All 4 parts of a message; the payload buffer is passed through, not copied."""
    return [*encode_header(flags, channel, error), payload]


def decode(parts: Sequence[Any]) -> tuple[int, int, int, Any]:
    """``(flags, channel, error, payload)`` from the parts of one received message.

    Parts 0..2 must be indexable byte buffers (``bytes``, ``memoryview``); the
    payload part is returned as it was given. Raises :class:`WireError` for a
    part count other than 4 or header parts of the wrong size.
    """
    if len(parts) != PARTS:
        raise WireError(f"message has {len(parts)} parts, expected {PARTS}")
    p0, p1, p2, payload = parts
    if len(p0) != 2:
        raise WireError(f"flags part is {len(p0)} bytes, expected 2")
    if len(p1) != 1:
        raise WireError(f"channel part is {len(p1)} bytes, expected 1")
    if len(p2) != 1:
        raise WireError(f"error part is {len(p2)} bytes, expected 1")
    return p0[0] | (p0[1] << 8), p1[0], p2[0], payload
