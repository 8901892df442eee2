"""Register words in and out: hex values <-> little-endian bytes, and their listings.

Pure functions (no I/O): ``write`` turns hex VALUEs into transaction bytes,
``read`` and ``dump`` turn transaction bytes back into hex text.
"""

from __future__ import annotations

from ._common import UsageError

__all__ = ["WORD_SIZES", "format_dump", "format_read", "from_words", "to_words"]

#: Word sizes in bytes that ``--word-size`` accepts (32-bit words by default).
WORD_SIZES = (1, 2, 4, 8)


def from_words(values: list[int], word_size: int) -> bytes:
    """Register values as little-endian bytes, ``word_size`` bytes each (a value too wide fails)."""
    out = bytearray()
    for v in values:
        if v >> (8 * word_size):
            raise UsageError(f"value 0x{v:x} does not fit in a {8 * word_size}-bit word (see --word-size)")
        out += v.to_bytes(word_size, "little")
    return bytes(out)


def to_words(data: bytes, word_size: int) -> list[int]:
    """Little-endian bytes as register values (``len(data)`` must be a multiple of ``word_size``)."""
    if len(data) % word_size:
        raise UsageError(f"{len(data)} bytes are not a whole number of {word_size}-byte words")
    return [int.from_bytes(data[i:i + word_size], "little") for i in range(0, len(data), word_size)]


def _word(v: int, word_size: int) -> str:
    return f"0x{v:0{2 * word_size}x}"


def format_read(address: int, data: bytes, word_size: int) -> list[str]:
    """One line per word: ``0x00001000: 0xdeadbeef``."""
    return [
        f"0x{address + i * word_size:08x}: {_word(v, word_size)}"
        for i, v in enumerate(to_words(data, word_size))
    ]


def format_dump(address: int, data: bytes, word_size: int, line_bytes: int = 16) -> list[str]:
    """A hex dump, ``line_bytes`` per line: ``0x00001000: 03020100 07060504 ...``.

    Words are shown as register values (little-endian, as ``read`` shows them).
    """
    if line_bytes % word_size:
        line_bytes = word_size * max(1, line_bytes // word_size)
    lines = []
    for off in range(0, len(data), line_bytes):
        words = to_words(data[off:off + line_bytes], word_size)
        lines.append(f"0x{address + off:08x}: " + " ".join(f"{v:0{2 * word_size}x}" for v in words))
    return lines
