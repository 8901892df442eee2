"""``Block.addVariables``: attach variables, derive the block's flags, overlap and verify masks (Rogue's rules).

Masks are Python ints over the block's bits (bit ``n`` = bit ``n % 8`` of byte
``n // 8``). A list variable's mask is built with numpy, so a long list costs
one pass, not one big-int operation per element.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._models import rogue_error

__all__ = ["add_variables", "fields_mask"]


def _list_mask(first: int, count: int, stride: int, bits: int) -> int:
    """The bits of ``count`` values of ``bits`` bits every ``stride`` bits from bit ``first`` (stride >= bits)."""
    if count <= 16 or stride == 0:
        mask = 0
        one = (1 << bits) - 1
        for x in range(count):
            mask |= one << (first + x * stride)
        return mask
    period = np.zeros((count, stride), dtype=np.uint8)
    period[:, :bits] = 1
    flat = period.reshape(-1)[:(count - 1) * stride + bits]
    return int.from_bytes(np.packbits(flat, bitorder="little").tobytes(), "little") << first


def fields_mask(s: Any) -> int:
    """All bits a variable covers (its chunks, or every list element)."""
    if s.numValues:
        return _list_mask(s.bitOffset[0], s.numValues, s.valueStride, s.valueBits)
    mask = 0
    for off, size in zip(s.bitOffset, s.bitSize):
        mask |= ((1 << size) - 1) << off
    return mask


def _exclusive(s: Any, exc: int, fail: Any) -> int:
    """Add the variable's bits to the exclusive mask; ``fail()`` (raises) where any is taken already."""
    if s.numValues:
        if s.numValues > 1 and s.valueStride < s.valueBits:  # its own elements overlap
            fail()
        m = fields_mask(s)
        if exc & m:
            fail()
        return exc | m
    for off, size in zip(s.bitOffset, s.bitSize):
        m = ((1 << size) - 1) << off
        if exc & m:
            fail()
        exc |= m
    return exc


def add_variables(block: Any, b: Any, variables: list[Any], states: list[Any]) -> None:
    """Rogue's ``Block::addVariables`` on the block state ``b`` (``states`` are the variables' states)."""
    from .block import logger_for
    for s in states:
        end = s.lay.bit_end()
        if end > 8 * b.size:
            raise rogue_error("Block::addVariables", f"Variable {s.name} covers bits up to {end - 1}, past the end "
                              f"of block {b.path} with size {b.size}")
    b.variables = variables
    b.vstates = tuple(states)
    b.notify = tuple(v for v, s in zip(variables, states) if s.updateNotify)
    exc = ole = vmask = vblock = 0
    for k, s in enumerate(states):
        s.block, s.bst = block, b
        if k == 0:
            b.path = s.path
            b.log = logger_for(b.path)
            b.mode = s.mode
        b.bulkOpEn = b.bulkOpEn or s.bulkOpEn
        b.updateEn = b.updateEn or s.updateNotify
        b.retryCount = max(b.retryCount, s.retryCount)
        if b.mode != s.mode:
            b.mode = "RW"

        def fail(name: str = s.name) -> None:
            raise rogue_error("Block::addVariables", f"Variable bit overlap detected for block {b.path} with "
                              f"address 0x{block.address & 0xFFFFFFFF:08x} and variable {name}")

        bits = fields_mask(s)
        if s.overlapEn:
            ole |= bits
        else:
            exc = _exclusive(s, exc, fail)
        if s.mode == "RW" and s.verifyEn:
            b.verifyEn = True
            vmask |= bits
        if s.mode in ("RO", "WO") or not s.verifyEn:
            vblock |= bits
    if ole & exc:
        raise rogue_error("Block::addVariables", f"Variable bit mask overlap detected for block {b.path} with "
                          f"address 0x{block.address & 0xFFFFFFFF:08x}")
    b.vblock_bits |= vblock
    b.vmask_bits = (b.vmask_bits | vmask) & ~b.vblock_bits
    b.vmask[:] = b.vmask_bits.to_bytes(b.size, "little")
    log = b.log
    if log is not None and log.isEnabledFor(10):
        log.debug("Done adding variables. Verify Mask %s", b.vmask.hex())
