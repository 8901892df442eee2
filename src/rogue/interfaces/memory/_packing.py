"""Where a variable's bits lie in its block's register image, and copying raw values in and out.

Pure functions on a ``bytearray`` image (C++ Rogue's ``Block::setBytes`` /
``getBytes``). A *raw* value is the int whose little-endian bytes are the C
buffer of the value (``valueBytes`` of them count). On the way in its low
``valueBytes`` bytes are reversed for a big-endian model, then its bits are
copied least significant first: a scalar's chunk ``i`` takes the next
``bitSize[i]`` bits at ``bitOffset[i]``; list element ``x`` its ``valueBits``
bits at ``bitOffset[0] + x*valueStride``. Bit ``n`` of the image is bit
``n % 8`` of byte ``n // 8``. Bits outside the variable are kept. The ``*_many``
functions do a run of list elements at once with numpy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Layout", "pack", "pack_many", "typed_view", "unpack", "unpack_all"]

U64 = npt.NDArray[Any]


class Layout:
    """A variable's placement (from its bit offsets, sizes and list geometry); see the module text."""

    __slots__ = ("numValues", "valueBits", "valueStride", "valueBytes", "reverse", "order", "vmask", "fast",
                 "chunks", "bo0", "fb0", "fstride", "_view", "_view_of", "_pos")

    def __init__(self, bitOffset: list[int], bitSize: list[int], numValues: int, valueBits: int,
                 valueStride: int, valueBytes: int, reverse: bool, fast: bool) -> None:
        self.numValues = numValues
        self.valueBits = valueBits
        self.valueStride = valueStride
        self.valueBytes = valueBytes
        self.reverse = reverse
        self.order: Any = "big" if reverse else "little"
        self.vmask = (1 << (8 * valueBytes)) - 1
        self.fast = fast
        self.chunks = tuple(zip(bitOffset, bitSize))
        self.bo0 = bitOffset[0]
        self.fb0 = bitOffset[0] // 8
        self.fstride = valueStride // 8
        self._view: Any = None
        self._view_of: Any = None
        self._pos: Any = None

    def bit_end(self) -> int:
        """One past the highest image bit the variable covers."""
        if self.numValues:
            return self.bo0 + (self.numValues - 1) * self.valueStride + self.valueBits
        return max(o + s for o, s in self.chunks)


def _field(data: bytearray, lsb: int, size: int) -> int:
    first = lsb >> 3
    return (int.from_bytes(data[first:(lsb + size + 7) >> 3], "little") >> (lsb & 7)) & ((1 << size) - 1)


def _store(data: bytearray, lsb: int, size: int, value: int) -> None:
    first, end = lsb >> 3, (lsb + size + 7) >> 3
    shift = lsb & 7
    mask = ((1 << size) - 1) << shift
    old = int.from_bytes(data[first:end], "little")
    data[first:end] = ((old & ~mask) | ((value << shift) & mask)).to_bytes(end - first, "little")


def pack(data: bytearray, lay: Layout, raw: int, index: int) -> None:
    """Copy ``raw`` into the image: the scalar variable (``index`` ignored) or list element ``index`` (< numValues)."""
    vb = lay.valueBytes
    raw &= lay.vmask
    if lay.fast:
        at = lay.fb0 + lay.fstride * index if lay.numValues else lay.fb0
        data[at:at + vb] = raw.to_bytes(vb, lay.order)
        return
    if lay.reverse:
        raw = int.from_bytes(raw.to_bytes(vb, "big"), "little")
    if lay.numValues:
        _store(data, lay.bo0 + index * lay.valueStride, lay.valueBits, raw)
        return
    for off, size in lay.chunks:
        _store(data, off, size, raw)
        raw >>= size


def unpack(data: bytearray, lay: Layout, index: int) -> int:
    """The raw value of the scalar variable (``index`` ignored) or of list element ``index`` (< numValues)."""
    if lay.fast:
        at = lay.fb0 + lay.fstride * index if lay.numValues else lay.fb0
        return int.from_bytes(data[at:at + lay.valueBytes], lay.order)
    if lay.numValues:
        raw = _field(data, lay.bo0 + index * lay.valueStride, lay.valueBits)
    else:
        raw = pos = 0
        for off, size in lay.chunks:
            raw |= _field(data, off, size) << pos
            pos += size
    if lay.reverse:
        raw = int.from_bytes(raw.to_bytes(lay.valueBytes, "little"), "big")
    return raw


# -- runs of list elements (numpy) ------------------------------------------------------------------
def typed_view(data: bytearray | bytes, lay: Layout) -> Any:
    """A numpy view of the elements in the image: 1-D of ``uN`` for 1/2/4/8-byte values, else (n, bytes) of uint8.

    The view of a block's image (a ``bytearray``) is kept on ``lay``; one of a copy (``bytes``, read-only: a
    reader's copy from ``_reader_gate``) is not, so it never replaces that one.
    """
    if lay._view_of is data:
        return lay._view
    vb, n = lay.valueBytes, lay.numValues
    if lay.fb0 + lay.fstride * (n - 1) + vb > len(data):
        raise ValueError("variable extends past the block")
    if vb in (1, 2, 4, 8):
        dtype = np.dtype(f"{'>' if lay.reverse else '<'}u{vb}")
        view = np.ndarray((n,), dtype=dtype, buffer=data, offset=lay.fb0, strides=(lay.fstride,))
    else:
        view = np.ndarray((n, vb), dtype=np.uint8, buffer=data, offset=lay.fb0, strides=(lay.fstride, 1))
    if data.__class__ is bytearray:
        lay._view, lay._view_of = view, data
    return view


def _value_bytes(lay: Layout, raws: U64) -> npt.NDArray[Any]:
    """(n, valueBytes) bytes of each raw as Rogue copies them (reversed for a big-endian model)."""
    b = np.ascontiguousarray(raws, dtype="<u8").view(np.uint8).reshape(-1, 8)[:, :lay.valueBytes]
    return b[:, ::-1] if lay.reverse else b


def _bit_positions(lay: Layout, index: int, count: int) -> tuple[int, int, npt.NDArray[Any]]:
    """Image byte range [b0, b1) of elements index..index+count-1, and each value bit's position in it."""
    start = lay.bo0 + index * lay.valueStride
    end = start + (count - 1) * lay.valueStride + lay.valueBits
    b0, b1 = start >> 3, (end + 7) >> 3
    if index == 0 and count == lay.numValues and lay._pos is not None:
        return b0, b1, lay._pos
    pos = ((start & 7) + np.arange(count, dtype=np.intp)[:, None] * lay.valueStride
           + np.arange(lay.valueBits, dtype=np.intp)[None, :])
    if index == 0 and count == lay.numValues:
        lay._pos = pos
    return b0, b1, pos


def pack_many(data: bytearray, lay: Layout, index: int, raws: U64) -> None:
    """Copy ``raws`` into list elements ``index`` .. ``index+len(raws)-1`` (all < numValues)."""
    n = len(raws)
    if n == 0:
        return
    if lay.fast:
        view = typed_view(data, lay)
        view[index:index + n] = raws if view.ndim == 1 else _value_bytes(lay, raws)
        return
    b0, b1, pos = _bit_positions(lay, index, n)
    seg = np.frombuffer(data, dtype=np.uint8, count=b1 - b0, offset=b0)
    bits = np.unpackbits(seg, bitorder="little")
    vbits = np.unpackbits(np.ascontiguousarray(_value_bytes(lay, raws)), axis=1, bitorder="little")
    bits[pos] = vbits[:, :lay.valueBits]
    data[b0:b1] = np.packbits(bits, bitorder="little").tobytes()


def unpack_all(data: bytearray, lay: Layout) -> U64:
    """The raw values of every list element, as uint64."""
    n = lay.numValues
    if lay.fast:
        view = typed_view(data, lay)
        if view.ndim == 1:
            out: U64 = view.astype(np.uint64)
            return out
        b = np.zeros((n, 8), dtype=np.uint8)
        b[:, :lay.valueBytes] = view[:, ::-1] if lay.reverse else view
        return b.view("<u8").reshape(n).astype(np.uint64)
    b0, b1, pos = _bit_positions(lay, 0, n)
    bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8, count=b1 - b0, offset=b0), bitorder="little")
    full = np.zeros((n, 64), dtype=np.uint8)
    full[:, :lay.valueBits] = bits[pos]
    b = np.packbits(full, axis=1, bitorder="little")
    if lay.reverse:
        vb = lay.valueBytes
        b[:, :vb] = b[:, :vb][:, ::-1].copy()
    return b.view("<u8").reshape(n).astype(np.uint64)
