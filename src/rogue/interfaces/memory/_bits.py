"""Bit-field helpers on byte buffers: Rogue's ``Master._copyBits``, ``_setBits`` and ``_anyBits``.

Bits are numbered as in Rogue's ``Master.cpp``: bit ``n`` of a buffer is bit
``n % 8`` (0 = least significant) of byte ``n // 8`` (little-endian). A field
is turned into one Python int, shifted and masked, and written back: no loop
over bits. The buffers are anything with the buffer protocol (``bytearray``,
``memoryview``, ``numpy`` arrays); a destination must be writable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..._errors import GeneralError

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer, WriteableBuffer

__all__ = ["any_bits", "copy_bits", "set_bits"]


def _bytes_of(buf: ReadableBuffer, src: str, writable: bool) -> memoryview:
    try:
        mv = memoryview(buf)
        if mv.format != "B" or mv.ndim != 1:
            mv = mv.cast("B")
    except (TypeError, ValueError):
        raise GeneralError(src, "Python Buffer Error") from None
    if writable and mv.readonly:
        raise GeneralError(src, f"Python Buffer Error: destination {type(buf).__name__} is read-only")
    return mv


def _check(src: str, lsb: int, size: int, nbytes: int, what: str) -> None:
    if lsb < 0 or size < 0:
        raise GeneralError(src, f"bit offset {lsb} and size {size} must not be negative")
    if lsb + size > nbytes * 8:
        raise GeneralError(src, what % (size, lsb, nbytes * 8))


def _field(mv: memoryview, lsb: int, size: int) -> int:
    """The ``size`` bits of ``mv`` starting at bit ``lsb``, as an int (``size`` > 0)."""
    first, end = lsb // 8, (lsb + size + 7) // 8
    return (int.from_bytes(mv[first:end], "little") >> (lsb % 8)) & ((1 << size) - 1)


def _store(mv: memoryview, lsb: int, size: int, value: int) -> None:
    """Write the ``size`` low bits of ``value`` into ``mv`` at bit ``lsb``; the other bits stay."""
    first, end = lsb // 8, (lsb + size + 7) // 8
    shift = lsb % 8
    mask = ((1 << size) - 1) << shift
    old = int.from_bytes(mv[first:end], "little")
    mv[first:end] = ((old & ~mask) | ((value << shift) & mask)).to_bytes(end - first, "little")


def copy_bits(dst: WriteableBuffer, dstLsb: int, src: ReadableBuffer, srcLsb: int, size: int) -> None:
    """Copy ``size`` bits of ``src`` from bit ``srcLsb`` into ``dst`` at bit ``dstLsb`` (Rogue's ``_copyBits``)."""
    name = "Master::copyBits"
    d = _bytes_of(dst, name, True)
    _check(name, dstLsb, size, d.nbytes, "Attempt to copy %i bits starting from bit %i from dest array with bitSize %i")
    s = _bytes_of(src, name, False)
    _check(name, srcLsb, size, s.nbytes, "Attempt to copy %i bits starting from bit %i from source array with bitSize %i")
    if size:
        _store(d, dstLsb, size, _field(s, srcLsb, size))


def set_bits(dst: WriteableBuffer, lsb: int, size: int) -> None:
    """Set ``size`` bits of ``dst`` from bit ``lsb`` to 1 (Rogue's ``_setBits``)."""
    name = "Master::setBits"
    d = _bytes_of(dst, name, True)
    _check(name, lsb, size, d.nbytes, "Attempt to set %i bits starting from bit %i in array with bitSize %i")
    if size:
        _store(d, lsb, size, (1 << size) - 1)


def any_bits(src: ReadableBuffer, lsb: int, size: int) -> bool:
    """True when any of the ``size`` bits of ``src`` from bit ``lsb`` is 1 (Rogue's ``_anyBits``)."""
    name = "Master::anyBits"
    s = _bytes_of(src, name, False)
    _check(name, lsb, size, s.nbytes, "Attempt to access %i bits starting from bit %i from array with bitSize %i")
    return bool(size) and _field(s, lsb, size) != 0
