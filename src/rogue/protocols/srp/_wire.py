"""SRPv3 words: pure encode/decode of request and response frames (no I/O).

Layout (``docs/srpv3.md``): every word is 32-bit little-endian. Header = 5 words:
word 0 = version (7:0) | opcode (9:8) | hardware timeout (31:24); word 1 = id;
words 2, 3 = address bits 31:0, 63:32; word 4 = size - 1. A request carries
write data after the header (write and post only). A response is the echoed
header, ``size`` data bytes and a 1-word tail status.

``SrpV3`` (``srpv3.py``) and ``SrpV3Emulation`` (``emulation.py``) encode and
check every frame with the functions here, working in their frame buffers
(:func:`unpack_header`, :func:`pack_request_into`, :func:`check_response`,
:func:`parse_request`, :func:`pack_response_into`); the byte-building forms
(:func:`encode_request`, :func:`encode_response`) are the same functions over
a fresh buffer. So the vectors captured from C++ Rogue test the code that ships.

Naming: in every package the pure codec of what it puts on a link is its
``_wire.py`` (SRPv3 frames here; the stream and memory bridges' messages in
``interfaces/stream/_wire.py`` and ``interfaces/memory/_wire.py``), as a file format's is ``_format.py``
(``utilities/fileio``): the bytes of a protocol are found at the same place in
every package, named after ``docs/wire.md`` which they follow.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, NamedTuple

from ...interfaces.memory._types import POST, READ, VERIFY, WRITE

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = [
    "DEFAULT_HW_TIMEOUT",
    "HEADER",
    "HEADER_LEN",
    "HEADER_MASK",
    "MAX_SIZE",
    "MIN_SIZE",
    "OP_INVALID",
    "OP_POST",
    "OP_READ",
    "OP_WRITE",
    "OPCODE_OF_TYPE",
    "TAIL",
    "TAIL_LEN",
    "VERSION",
    "Header",
    "Response",
    "MISMATCH_TEXT",
    "SIZE_MISMATCH_TEXT",
    "check_request",
    "check_response",
    "decode_header",
    "decode_response",
    "encode_request",
    "encode_response",
    "header_matches",
    "header_words",
    "pack_request_into",
    "pack_response_into",
    "parse_request",
    "response_length",
    "request_length",
    "tail_error",
    "unpack_header",
    "word0",
]

VERSION = 0x03
HEADER_LEN = 20
TAIL_LEN = 4
MIN_SIZE = 4
MAX_SIZE = 4096

OP_READ = 0  # also Verify
OP_WRITE = 1
OP_POST = 2
OP_INVALID = 3

# Bits 13:10 of word 0 are hardware status bits a response may set; they are
# ignored when comparing the echoed header with the expected one.
HEADER_MASK = 0xFFFFC3FF

# C++ Rogue 6.15 puts 0x0A in bits 31:24 (captured in vectors/srpv3.json).
DEFAULT_HW_TIMEOUT = 0x0A

# Rogue's texts for a response that does not answer its request.
MISMATCH_TEXT = "Received SRPV3 message did not match expected protocol"
SIZE_MISMATCH_TEXT = "Received SRPV3 message had a header size mismatch"
_M32 = 0xFFFFFFFF

TAIL_LOCKUP = 0x2000
TAIL_TIMEOUT = 0x0100

HEADER = struct.Struct("<5I")
TAIL = struct.Struct("<I")

# rim transaction type -> SRPv3 opcode.
OPCODE_OF_TYPE = {READ: OP_READ, WRITE: OP_WRITE, POST: OP_POST, VERIFY: OP_READ}


class Header(NamedTuple):
    """The fields of a decoded SRPv3 header."""

    version: int
    opcode: int
    timeout: int
    id: int
    address: int
    size: int
    words: tuple[int, ...]


class Response(NamedTuple):
    """A decoded response frame: header fields, data view and tail status."""

    header: Header
    data: memoryview
    status: int


def word0(opcode: int, timeout: int = DEFAULT_HW_TIMEOUT) -> int:
    """Header word 0 of a request: version 3, ``opcode`` and the hardware timeout byte."""
    return VERSION | ((opcode & 0x3) << 8) | ((timeout & 0xFF) << 24)


def header_words(
    opcode: int, tran_id: int, address: int, size: int, timeout: int = DEFAULT_HW_TIMEOUT
) -> tuple[int, int, int, int, int]:
    """The 5 header words of a request (``size`` in bytes, stored as size - 1)."""
    return (
        word0(opcode, timeout),
        tran_id & 0xFFFFFFFF,
        address & 0xFFFFFFFF,
        (address >> 32) & 0xFFFFFFFF,
        (size - 1) & 0xFFFFFFFF,
    )


def request_length(opcode: int, size: int) -> int:
    """Request frame length: header only for a read, header + data for write/post."""
    return HEADER_LEN + size if opcode in (OP_WRITE, OP_POST) else HEADER_LEN


def response_length(size: int) -> int:
    """Response frame length: header + data + tail, for every non-posted request."""
    return HEADER_LEN + size + TAIL_LEN


def pack_request_into(buf: WriteableBuffer, w0: int, tran_id: int, address: int, size: int) -> None:
    """Write a request header (word 0 ``w0``, see :func:`word0`) into the first 20 bytes of ``buf``."""
    HEADER.pack_into(buf, 0, w0, tran_id & _M32, address & _M32, (address >> 32) & _M32, (size - 1) & _M32)


def encode_request(
    opcode: int, tran_id: int, address: int, size: int, data: ReadableBuffer | None = None,
    timeout: int = DEFAULT_HW_TIMEOUT
) -> bytes:
    """A request frame's bytes; ``data`` (``size`` bytes) is appended for write/post."""
    has_data = opcode in (OP_WRITE, OP_POST)
    payload = bytes(data if data is not None else b"") if has_data else b""
    if has_data and len(payload) != size:
        raise ValueError(f"write data is {len(payload)} bytes, size is {size}")
    buf = bytearray(request_length(opcode, size))
    pack_request_into(buf, word0(opcode, timeout), tran_id, address, size)
    if has_data:
        buf[HEADER_LEN:] = payload
    return bytes(buf)


def unpack_header(buf: ReadableBuffer) -> tuple[int, ...]:
    """The 5 header words of a frame (its first 20 bytes; no checks): the response path's one unpack."""
    return HEADER.unpack_from(buf, 0)


def decode_header(buf: ReadableBuffer) -> Header:
    """Decode the first 20 bytes of ``buf`` (request or response) into its fields."""
    words = unpack_header(buf)
    w0 = words[0]
    return Header(
        version=w0 & 0xFF,
        opcode=(w0 >> 8) & 0x3,
        timeout=(w0 >> 24) & 0xFF,
        id=words[1],
        address=words[2] | (words[3] << 32),
        size=words[4] + 1,
        words=words,
    )


def check_response(words: tuple[int, ...], buf: ReadableBuffer, n: int, w0: int, address: int, size: int) -> tuple[str, str] | None:
    """Check the ``n``-byte response frame ``buf`` (header ``words`` unpacked) against its request.

    ``w0``, ``address`` and ``size`` are the request's. Returns None for a good
    response, else ``(error text for the transaction, detail for the log)``:
    a header that does not echo the request (word 0 under :data:`HEADER_MASK`),
    a non-zero tail status, or a frame whose length is not 24 + ``size``.
    """
    if not header_matches(words, (w0, words[1], address & _M32, (address >> 32) & _M32, size - 1)):
        return MISMATCH_TEXT, (f"bad header for id={words[1]}: word0=0x{words[0]:08x} "
                               f"address=0x{words[2] | words[3] << 32:x} size-1={words[4]}")
    status = TAIL.unpack_from(buf, n - TAIL_LEN)[0]
    if status:
        return tail_error(status), f"error for id={words[1]}, tail=0x{status:08x}"
    if n != HEADER_LEN + size + TAIL_LEN:
        return SIZE_MISMATCH_TEXT, (f"size mismatch for id={words[1]}: frame {n} bytes, "
                                    f"expected {HEADER_LEN + size + TAIL_LEN}")
    return None


def header_matches(got: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """True when an echoed header equals the expected one (word 0 under :data:`HEADER_MASK`)."""
    return (
        (got[0] & HEADER_MASK) == expected[0]
        and got[1] == expected[1]
        and got[2] == expected[2]
        and got[3] == expected[3]
        and got[4] == expected[4]
    )


def tail_error(status: int) -> str:
    """The transaction error text for a tail status word (``""`` for 0 = success)."""
    if status == 0:
        return ""
    if status & TAIL_LOCKUP:
        return "FPGA register bus lockup detected in hardware. Power cycle required."
    if status & TAIL_TIMEOUT:
        return "FPGA register bus timeout detected in hardware"
    return f"Non zero status message returned on fpga register bus in hardware: 0x{status:x}"


def decode_response(buf: ReadableBuffer) -> Response:
    """Split a response frame (at least 24 bytes) into header, data and tail status."""
    mv = memoryview(buf)
    n = mv.nbytes
    if n < HEADER_LEN + TAIL_LEN:
        raise ValueError(f"response frame of {n} bytes is shorter than {HEADER_LEN + TAIL_LEN}")
    return Response(decode_header(mv), mv[HEADER_LEN : n - TAIL_LEN], TAIL.unpack_from(mv, n - TAIL_LEN)[0])


def pack_response_into(buf: WriteableBuffer, request: ReadableBuffer, size: int, status: int = 0) -> None:
    """Frame a response in ``buf`` (24 + ``size`` bytes): ``request``'s header echoed, the tail status.

    The ``size`` data bytes between them are the caller's to fill (the
    emulation reads its memory straight into the frame).
    """
    mv = memoryview(buf)
    mv[:HEADER_LEN] = memoryview(request)[:HEADER_LEN]
    TAIL.pack_into(mv, HEADER_LEN + size, status & _M32)


def encode_response(header: ReadableBuffer, data: ReadableBuffer, status: int = 0) -> bytes:
    """A response frame: the 20 header bytes echoed, the data, the tail status."""
    data = memoryview(data).cast("B")
    size = data.nbytes
    buf = bytearray(response_length(size))
    pack_response_into(buf, header, size, status)
    buf[HEADER_LEN:HEADER_LEN + size] = data
    return bytes(buf)


def parse_request(buf: ReadableBuffer, n: int) -> tuple[int, int, int, int] | str:
    """Validate the ``n``-byte request frame ``buf`` as the hardware does.

    Returns ``(opcode, id, address, size)``, or the reason to drop it (then no
    response is sent): shorter than 20 bytes, version not 3, opcode 3, size
    below 4, above 4096 or not a multiple of 4, write/post without all its data.
    This is the emulation's per-request path: one unpack, no other allocation.
    """
    if n < HEADER_LEN:
        return f"undersized frame of {n} bytes"
    w0, tran_id, lo, hi, sz = HEADER.unpack_from(buf, 0)
    if w0 & 0xFF != VERSION:
        return f"version 0x{w0 & 0xFF:x} is not 3 (id={tran_id})"
    opcode = (w0 >> 8) & 0x3
    if opcode == OP_INVALID:
        return f"invalid opcode 0x3 (id={tran_id})"
    size = sz + 1
    if size < MIN_SIZE or size > MAX_SIZE or size & 0x3:
        return f"invalid request size {size} (id={tran_id})"
    if opcode != OP_READ and n < HEADER_LEN + size:
        return f"write frame of {n} bytes lacks data: need {HEADER_LEN + size} (id={tran_id})"
    return opcode, tran_id, lo | (hi << 32), size


def check_request(buf: ReadableBuffer) -> tuple[Header | None, str]:
    """:func:`parse_request` on a whole buffer: ``(header, "")`` or ``(None, reason)``."""
    res = parse_request(buf, memoryview(buf).nbytes)
    if type(res) is str:
        return None, res
    return decode_header(buf), ""
