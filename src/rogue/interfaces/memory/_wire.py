"""Memory bridge messages: pure encode/decode of request and response parts (no I/O).

Layout (``docs/wire.md``, "Memory bridge"; every field little-endian):

* request, 4 parts (Read, Verify, probe) or 5 parts (Write, Post):
  id u32, address u64, size u32, type u32 [, write data of exactly ``size`` bytes];
* response, always 6 parts: the four header parts echoed, the data (the bytes
  read, or the write data echoed; empty for a probe), and the result text
  (``OK`` or the error message, ASCII, 1..999 bytes, no terminator).

Decoders raise :class:`WireError` with the reason; they never look at
sockets. ``response_to`` builds a response from the *received* header parts,
so a server's echo is byte-exact by construction.

Naming: in every package the pure codec of what it puts on a link is its
``_wire.py`` (the memory bridge's messages here; the stream bridge's in
``interfaces/stream/_wire.py``, SRPv3 frames in ``protocols/srp/_wire.py``), as a file format's is ``_format.py``
(``utilities/fileio``): the bytes of a protocol are found at the same place in
every package, named after ``docs/wire.md`` which they follow.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from typing import NamedTuple, Union

from ._types import POST, PROBE, READ, VERIFY, WRITE  # re-exported: the type numbers the wire carries

__all__ = [
    "MAX_RESULT",
    "Part",
    "OK",
    "ROUTE_SIZE",
    "POST",
    "PROBE",
    "READ",
    "VERIFY",
    "WRITE",
    "Request",
    "Response",
    "WireError",
    "decode_request",
    "decode_response",
    "encode_request",
    "encode_response",
    "failure_data",
    "new_route",
    "probe_request",
    "request_parts",
    "response_id",
    "response_to",
    "result_bytes",
]


#: A message part as the codec takes and gives it: bytes, or a buffer over the caller's bytes (not copied).
Part = Union[bytes, bytearray, memoryview]

OK = b"OK"
ROUTE_SIZE = 16  # bytes of a many-clients routing id (a transaction id part is 4: never confused)
MAX_RESULT = 999  # the reference client reads the result into a 1000-byte C string

U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")
_U32_MAX = 0xFFFFFFFF
_U64_MAX = 0xFFFFFFFFFFFFFFFF

# Type parts of the common types, packed once (the client sends one per request).
TYPE_PART = {t: U32.pack(t) for t in (READ, WRITE, POST, VERIFY, PROBE)}


class WireError(ValueError):
    """A message that breaks the memory bridge wire format; ``reason`` says which rule."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Request(NamedTuple):
    """A decoded request; ``head`` holds the four received header parts (for the echo)."""

    id: int
    address: int
    size: int
    type: int
    data: Part | None  # the write data part (Write/Post), else None
    head: tuple[Part, Part, Part, Part]


class Response(NamedTuple):
    """A decoded response (``data`` is the data part as received; its size is not checked here)."""

    id: int
    address: int
    size: int
    type: int
    data: Part
    result: str


def _check_fields(tid: int, address: int, size: int, ttype: int) -> None:
    if not 0 <= tid <= _U32_MAX:
        raise WireError(f"id {tid} does not fit in 32 bits")
    if not 0 <= address <= _U64_MAX:
        raise WireError(f"address {address:#x} does not fit in 64 bits")
    if not 0 <= size <= _U32_MAX:
        raise WireError(f"size {size} does not fit in 32 bits")
    if not 0 <= ttype <= _U32_MAX:
        raise WireError(f"type {ttype} does not fit in 32 bits")


_pack32 = U32.pack
_pack64 = U64.pack
_unpack32 = U32.unpack
_unpack64 = U64.unpack
_type_part = TYPE_PART.get
# The decoders build their named tuples as ``tuple.__new__(cls, fields)``: the same
# object as ``cls(*fields)`` without the Python frame of a namedtuple's ``__new__``.
_new = tuple.__new__


def request_parts(tid: int, address: int, size: int, ttype: int, data: Part | None) -> list[Part]:
    """The parts of a request from fields a ``Transaction`` guarantees (the client's hot path, unchecked).

    ``data`` is the write data (any buffer of ``size`` bytes) and is sent for
    Write and Post only. :func:`encode_request` is this with every field checked.
    """
    parts: list[Part] = [_pack32(tid), _pack64(address), _pack32(size), _type_part(ttype) or _pack32(ttype)]
    if (ttype == WRITE or ttype == POST) and data is not None:
        parts.append(data)
    return parts


def encode_request(tid: int, address: int, size: int, ttype: int, data: Part | None = None) -> list[Part]:
    """The parts of a request; ``data`` (any buffer of ``size`` bytes) is required for Write/Post only."""
    _check_fields(tid, address, size, ttype)
    if ttype == WRITE or ttype == POST:
        if data is None:
            raise WireError(f"type {ttype} request needs {size} bytes of write data, got none")
        n = memoryview(data).nbytes
        if n != size:
            raise WireError(f"type {ttype} request has {n} bytes of write data for size {size}")
    elif data is not None:
        raise WireError(f"type {ttype:#x} request carries no data part")
    elif ttype == PROBE and size != 0:
        raise WireError(f"probe request with size {size}, expected 0")
    return request_parts(tid, address, size, ttype, data)


def probe_request(tid: int) -> list[Part]:
    """The 4 parts of readiness probe ``tid`` (address 0, size 0)."""
    return [U32.pack(tid), bytes(8), bytes(4), TYPE_PART[PROBE]]


def decode_request(parts: Sequence[Part]) -> Request:
    """Decode and validate a request's parts (bytes or buffers), or raise WireError."""
    n = len(parts)
    if n != 4 and n != 5:
        raise WireError(f"request has {n} parts, expected 4 or 5")
    p0, p1, p2, p3 = parts[0], parts[1], parts[2], parts[3]
    if len(p0) != 4 or len(p1) != 8 or len(p2) != 4 or len(p3) != 4:
        raise WireError(f"request header part sizes {len(p0)}, {len(p1)}, {len(p2)}, {len(p3)}, expected 4, 8, 4, 4")
    tid = _unpack32(p0)[0]
    size = _unpack32(p2)[0]
    ttype = _unpack32(p3)[0]
    data: Part | None = None
    if ttype == WRITE or ttype == POST:
        if n != 5:
            raise WireError(f"type {ttype} request id {tid} has no data part")
        data = parts[4]
        if len(data) != size:
            raise WireError(f"type {ttype} request id {tid} has {len(data)} data bytes for size {size}")
    elif n != 4:
        raise WireError(f"type {ttype:#x} request id {tid} has a data part ({n} parts, expected 4)")
    elif ttype == PROBE and size != 0:
        raise WireError(f"probe id {tid} has size {size}, expected 0")
    return _new(Request, (tid, _unpack64(p1)[0], size, ttype, data, (p0, p1, p2, p3)))


def result_bytes(result: str) -> bytes:
    """The result part for ``result`` (``""`` means success): ASCII, 1..999 bytes."""
    if not result:
        return OK
    raw = result.encode("ascii", "replace")
    return raw[:MAX_RESULT]


def failure_data(ttype: int, size: int, data: Part | None) -> Part:
    """The data part of a failed response: the write data for Write, else ``size`` zero bytes."""
    return data if ttype == WRITE and data is not None else bytes(size)


def response_to(request: Request, data: Part, result: str = "") -> list[Part]:
    """The 6 parts answering ``request``: its header parts echoed, ``data``, the result part."""
    head = request.head
    return [head[0], head[1], head[2], head[3], data, result_bytes(result) if result else OK]


def encode_response(tid: int, address: int, size: int, ttype: int, data: Part, result: str = "") -> list[Part]:
    """The 6 parts of a response built from field values (``result`` ``""`` means ``OK``)."""
    _check_fields(tid, address, size, ttype)
    return [U32.pack(tid), U64.pack(address), U32.pack(size), TYPE_PART.get(ttype) or U32.pack(ttype),
            data, result_bytes(result)]


def decode_response(parts: Sequence[Part]) -> Response:
    """Decode and validate a response's parts, or raise WireError.

    Checks the part count, the header part sizes and the result length; the
    data size is left to the caller, which must fail (not drop) a known
    transaction whose data part is not ``size`` bytes.
    """
    n = len(parts)
    if n != 6:
        raise WireError(f"response has {n} parts, expected 6")
    p0, p1, p2, p3, data, res = parts
    if len(p0) != 4 or len(p1) != 8 or len(p2) != 4 or len(p3) != 4:
        raise WireError(f"response header part sizes {len(p0)}, {len(p1)}, {len(p2)}, {len(p3)}, expected 4, 8, 4, 4")
    nres = len(res)
    if nres == 0 or nres > MAX_RESULT:
        raise WireError(f"response id {U32.unpack(p0)[0]} has a result part of {nres} bytes, expected 1..{MAX_RESULT}")
    result = "OK" if res == OK else bytes(res).decode("ascii", "replace")
    return _new(Response, (_unpack32(p0)[0], _unpack64(p1)[0], _unpack32(p2)[0], _unpack32(p3)[0], data, result))


def response_id(parts: Sequence[Part]) -> int:
    """The transaction id of a response message (its first header part; a route before it is skipped)."""
    return int(U32.unpack(parts[-6])[0])


def new_route() -> bytes:
    """A random routing id for a many-clients client: the extra first part of each of its requests."""
    return os.urandom(ROUTE_SIZE)
