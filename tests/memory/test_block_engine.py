"""rim.Block without pyrogue: geometry, overlap and verify masks, stale ranges, gating, verify, retry, timeouts."""

from __future__ import annotations

import logging
from typing import Any

import pytest

import rogue.interfaces.memory as rim

from engine_helpers import P, R, V, W, ListData, Model, block_of, bus, ge, staged, variable


# -- geometry ---------------------------------------------------------------------------------------------
def test_scalar_geometry_and_shift() -> None:
    v = variable(rim.UInt, 20, 3, offset=6)
    assert (v._offset(), v._bitOffset(), v._varBytes(), v._valueBits(), v._valueStride()) == (6, [3], 3, 20, 20)
    v._shiftOffsetDown(6 % 4, 4)
    assert (v._offset(), v._bitOffset(), v._varBytes()) == (4, [19], 8)
    v._bitOffset().append(99)  # a copy
    assert v._bitOffset() == [19] and v._bitSize() == [20]
    assert v._numValues() == 0 and v._retryCount() == 0 and v._verifyEn() and not v._overlapEn()


def test_list_geometry_matches_the_vectors() -> None:
    v = variable(rim.Int, numValues=7, valueBits=31, valueStride=34, bitOffset=5, offset=12)
    v._shiftOffsetDown(0, 4)
    assert v._varBytes() == 32 and v._bitSize() == [217] and (v._numValues(), v._valueBits(), v._valueStride()) == (7, 31, 34)
    s = v._Variable__rb  # type: ignore[attr-defined]
    assert s.low == [0, 4, 8, 12, 16, 20, 24] and s.high == [7, 11, 15, 19, 23, 27, 31]


def test_geometry_is_exact_past_float_precision() -> None:
    v = variable(rim.UInt, 8, 2 ** 27 + 8)  # Rogue computes this in C float, which loses the low bits
    v._shiftOffsetDown(0, 4)
    assert v._varBytes() == (2 ** 27 + 16 + 31) // 32 * 4
    with ge("minimum access size"):
        v._shiftOffsetDown(0, 0)


def test_bad_construction_is_refused() -> None:
    for offsets, sizes in (([0, 8], [8]), ([], [])):
        with ge("same length"):
            rim.Variable("V", "RW", 0, 0, 0, offsets, sizes, False, True, True, True, Model(rim.UInt), ListData(), 0)
    with ge("bitSize must be an unsigned 32-bit int"):
        rim.Variable("V", "RW", 0, 0, 0, [0], [-1], False, True, True, True, Model(rim.UInt), ListData(), 0)


# -- addVariables ---------------------------------------------------------------------------------------
def test_block_properties() -> None:
    rec, hub = bus(0x100)
    a = variable(rim.UInt, 8, 0, name="A", mode="RO", bulkOpEn=False, retryCount=2, updateNotify=False)
    b = variable(rim.UInt, 8, 8, name="B", mode="WO", bulkOpEn=True, retryCount=1)
    a._updatePath("root.Dev.A")
    blk = rim.Block(0x20, 4)
    assert (blk.path, blk.mode, blk.bulkOpEn, blk.offset, blk.size, blk.variables) == ("Undefined", "RW", False, 0x20, 4, [])
    blk._setSlave(hub)
    blk.addVariables([a, b])
    assert (blk.path, blk.mode, blk.bulkOpEn, blk.address) == ("root.Dev.A", "RW", True, 0x120)
    assert blk.variables == [a, b] and blk.variables is not blk.variables
    assert blk._Block__rb.retryCount == 2 and blk._Block__rb.updateEn  # type: ignore[attr-defined]
    ro = rim.Block(0, 4)
    ro.addVariables([variable(rim.UInt, 8, 0, mode="RO"), variable(rim.UInt, 8, 8, mode="RO")])
    assert ro.mode == "RO"


def test_overlap_checks() -> None:
    rec, hub = bus(0x100)
    blk = rim.Block(0x8, 4)
    blk._setSlave(hub)
    with ge(r"^Block::addVariables: General Error: Variable bit overlap detected for block A with address "
            r"0x00000108 and variable B$"):
        blk.addVariables([variable(rim.UInt, 8, 0, name="A"), variable(rim.UInt, 4, 4, name="B")])
    blk2 = rim.Block(0x8, 4)
    blk2._setSlave(hub)
    with ge(r"^Block::addVariables: General Error: Variable bit mask overlap detected for block A with address "
            r"0x00000108$"):
        blk2.addVariables([variable(rim.UInt, 8, 0, name="A"), variable(rim.UInt, 4, 4, name="B", overlapEn=True)])
    ok = rim.Block(0, 4)
    ok.addVariables([variable(rim.UInt, 8, 0, overlapEn=True), variable(rim.UInt, 4, 4, overlapEn=True)])
    with ge("Variable bit overlap detected"):  # chunks of one variable
        rim.Block(0, 4).addVariables([variable(rim.UInt, [4, 4], [0, 2])])
    with ge("Variable bit overlap detected"):  # list elements wider than their stride
        rim.Block(0, 8).addVariables([variable(rim.UInt, numValues=2, valueBits=16, valueStride=8)])
    with ge("past the end of block"):  # Rogue writes past its buffer
        rim.Block(0, 4).addVariables([variable(rim.UInt, 32, 8)])


def test_verify_mask() -> None:
    rw = variable(rim.UInt, 16, 0, name="A")
    ro = variable(rim.UInt, 4, 12, name="B", mode="RO", overlapEn=True)
    nv = variable(rim.UInt, 8, 16, name="C", verify=False)
    rw2 = variable(rim.UInt, 4, 12, name="D", overlapEn=True)
    with ge("mask overlap"):
        rim.Block(0, 4).addVariables([rw, ro, nv, rw2])
    b = rim.Block(0, 4)
    b.addVariables([variable(rim.UInt, 12, 0), variable(rim.UInt, 4, 12, mode="RO"), variable(rim.UInt, 8, 16, verify=False),
                    variable(rim.UInt, 8, 24, mode="WO")])
    assert bytes(b._Block__rb.vmask) == b"\xff\x0f\x00\x00"  # type: ignore[attr-defined]
    shared = rim.Block(0, 2)
    shared.addVariables([variable(rim.UInt, 16, 0, overlapEn=True), variable(rim.UInt, 8, 4, mode="RO", overlapEn=True)])
    assert bytes(shared._Block__rb.vmask) == b"\x0f\xf0"  # type: ignore[attr-defined]


# -- transactions: ranges, stale, gating --------------------------------------------------------------------
def test_write_sends_stale_range_aligned_and_extended() -> None:
    rec, hub = bus(0x100)
    lst = variable(rim.UInt, numValues=4, valueBits=32, valueStride=32, name="L")
    other = variable(rim.UInt, 8, 8, offset=16, name="O")
    other._shiftOffsetDown(16, 4)  # merged into the block at offset 0, as pyrogue does
    blk = block_of(lst, other, size=24, slave=hub, minAccess=4)
    lst._set(0x11223344, 2)
    blk._startTransaction(W, False, True, lst, -1)
    assert rec.log == [(W, 0x108, bytes.fromhex("44332211"))]  # only that element's word
    blk._startTransaction(W, True, True, lst, -1)  # forced, not stale: the last stale range again (2.9 item 4)
    assert rec.log[-1] == (W, 0x108, bytes.fromhex("44332211"))
    other._set(5, -1)
    lst._set(1, 0)
    blk._startTransaction(W, False, True, lst, -1)  # extended over the other stale variable
    assert rec.log[-1][:2] == (W, 0x100) and len(rec.log[-1][2]) == 20
    rec.log.clear()
    blk._startTransaction(W, False, True, None, -1)  # nothing stale, not forced: gated
    blk._startTransaction(W, True, True, None, -1)  # whole block
    assert rec.log == [(W, 0x100, staged(lst))]


def test_read_ranges_and_a_stale_block_is_not_read() -> None:
    rec, hub = bus(0x100)
    lst = variable(rim.UInt, numValues=4, valueBits=32, valueStride=32, name="L")
    blk = block_of(lst, slave=hub, minAccess=4)
    rec.poke(0x100, bytes(range(16)))
    blk._startTransaction(R, False, True, lst, 1)
    assert rec.log[-1] == (R, 0x104, bytes(4)) and lst._get(1) == 0x07060504 and lst._get(0) == 0
    blk._startTransaction(R, False, True, lst, -1)
    assert rec.log[-1] == (R, 0x100, bytes(16)) and lst._get(0) == 0x03020100
    lst._set(9, 3)
    n = len(rec.log)
    blk._startTransaction(R, False, True, lst, -1)  # staged, unwritten values are never overwritten
    assert len(rec.log) == n and lst._get(3) == 9


def test_gating_by_mode() -> None:
    rec, hub = bus(0)
    ro = block_of(variable(rim.UInt, 32, mode="RO"), slave=hub)
    ro._startTransaction(W, True, True, None, -1)
    ro._startTransaction(P, True, True, None, -1)
    ro._startTransaction(V, True, True, None, -1)
    assert rec.log == []
    ro._startTransaction(R, False, True, None, -1)
    assert [t for t, _, _ in rec.log] == [R]
    rec.log.clear()
    v = variable(rim.UInt, 32, mode="WO")
    wo = block_of(v, slave=hub)
    wo._startTransaction(R, False, True, None, -1)
    v._set(3, -1)
    wo._startTransaction(W, False, True, v, -1)
    wo._startTransaction(V, False, True, None, -1)
    assert [t for t, _, _ in rec.log] == [W]
    rec.log.clear()
    rw = block_of(variable(rim.UInt, 32), slave=hub)
    rw._startTransaction(V, False, True, None, -1)  # no write before: no verify pending
    rw._startTransaction(P, False, True, None, -1)  # post ignores the stale flag
    assert [t for t, _, _ in rec.log] == [P]


def test_disabled_block_drops_transactions_after_clearing_stale() -> None:
    rec, hub = bus(0)
    v = variable(rim.UInt, 32)
    blk = block_of(v, slave=hub, enable=False)
    v._set(5, -1)
    blk._startTransaction(W, False, True, v, -1)
    assert rec.log == [] and not blk._Block__rb.stale  # type: ignore[attr-defined]
    blk.setEnable(True)
    blk._startTransaction(W, False, True, v, -1)
    assert rec.log == []  # the write was dropped with the stale state
    blk._startTransaction(R, False, True, v, -1)
    assert [t for t, _, _ in rec.log] == [R]


# -- verify ----------------------------------------------------------------------------------------------
def test_verify_failure_text_and_mask() -> None:
    rec, hub = bus(0x100)
    a = variable(rim.UInt, 12, 0, name="A")
    b = variable(rim.UInt, 4, 12, name="B", verify=False)
    blk = block_of(a, b, size=4, slave=hub, offset=0x10)
    a._updatePath("root.Dev.A")
    blk2 = block_of(variable(rim.UInt, 8, 0), slave=hub, offset=0x40)
    a._set(0xABC, -1)
    blk._startTransaction(W, True, False, a, -1)
    blk._startTransaction(V, False, False, None, -1)
    blk._checkTransaction()  # verified fine
    rec.flip = {0x111: 0x80}  # a bit outside the verify mask (B's)
    blk._startTransaction(W, True, False, a, -1)
    blk._startTransaction(V, False, False, None, -1)
    blk._checkTransaction()
    rec.flip = {0x111: 0x01}
    blk._startTransaction(W, True, False, a, -1)
    blk._startTransaction(V, False, False, None, -1)
    with ge(r"^Block::checkTransaction: General Error: Verify error for block A with address 0x00000110\. "
            r"Byte: 1\. Got: 0x0b, Exp: 0x0a, Mask: 0x0f$"):
        blk._checkTransaction()
    blk._checkTransaction()  # the verify is over: no error twice
    del blk2


def test_verify_compares_with_the_bytes_written_not_later_sets() -> None:
    rec, hub = bus(0)
    v = variable(rim.UInt, 32)
    blk = block_of(v, slave=hub)
    v._set(1, -1)
    blk._startTransaction(W, True, False, v, -1)
    blk._startTransaction(V, False, False, None, -1)
    v._set(2, -1)  # staged while the verify is outstanding: it must still expect 1
    blk._checkTransaction()
    assert [t for t, _, _ in rec.log] == [W, V]


# -- errors, retry, timeout --------------------------------------------------------------------------------
def test_transaction_error_text_and_retry(caplog: pytest.LogCaptureFixture) -> None:
    rec, hub = bus(0x100)
    v = variable(rim.UInt, 32, name="A")
    blk = block_of(v, slave=hub, offset=0x1234)
    rec.fail = 1
    blk._startTransaction(R, False, False, v, -1)
    with ge(r"^Block::checkTransaction: General Error: Transaction error for block A with address 0x00001334\. "
            r"Error boom$"):
        blk._checkTransaction()
    r = variable(rim.UInt, 32, name="R", retryCount=2)
    rblk = block_of(r, slave=hub)
    rec.fail = 2
    with caplog.at_level(logging.WARNING, logger="pyrogue.memory.block.R"):
        rblk._startTransaction(R, False, False, r, -1)  # retries make it synchronous; the third try works
    warnings = [m.getMessage() for m in caplog.records if m.name == "pyrogue.memory.block.R"]
    assert len(warnings) == 2 and warnings[0].startswith("Error on try 1 out of 3: Block::checkTransaction")
    assert [t for t, _, _ in rec.log[-3:]] == [R, R, R]
    rec.fail = 3
    with ge("Error boom"):
        rblk._startTransaction(R, False, False, r, -1)
    assert any(m.levelno == logging.ERROR and "Error on try 3 out of 3" in m.getMessage() for m in caplog.records)


def test_a_retried_verify_verifies_again() -> None:
    rec, hub = bus(0)
    v = variable(rim.UInt, 32, name="A", retryCount=1)
    blk = block_of(v, slave=hub)
    v._set(0x55, -1)
    blk._startTransaction(W, True, False, v, -1)
    rec.flip = {0: 0x01}
    rec.log.clear()
    with ge("Verify error for block A"):  # Rogue's retry finds no verify pending and reports success (2.9 item 3)
        blk._startTransaction(V, False, False, None, -1)
    assert [t for t, _, _ in rec.log] == [V, V]
    rec.flip = {}
    blk._startTransaction(V, False, False, None, -1)  # still pending: verified now
    blk._startTransaction(V, False, False, None, -1)  # and no longer pending
    assert [t for t, _, _ in rec.log] == [V, V, V]


def test_chunks_out_of_order() -> None:
    v = variable(rim.UInt, [8, 8], [24, 0], minimum=0, maximum=0xFFFF)
    v._shiftOffsetDown(0, 4)
    assert v._varBytes() == 4  # Rogue takes the last chunk's end: 1 byte, and writes past its block
    block_of(v)
    v._set(0xABCD, -1)
    assert staged(v) == bytes.fromhex("ab0000cd") and v._get(-1) == 0xABCD


def test_a_failed_write_is_retried_forced() -> None:
    rec, hub = bus(0)
    v = variable(rim.UInt, 32, retryCount=1)
    blk = block_of(v, slave=hub)
    v._set(7, -1)
    rec.fail = 1
    blk._startTransaction(W, False, False, v, -1)  # stale is cleared by the first try; the retry is forced
    assert [(t, d) for t, _, d in rec.log] == [(W, b"\x07\0\0\0"), (W, b"\x07\0\0\0")]


class Silent(rim.Slave):
    """Keeps every transaction and never answers."""

    def __init__(self) -> None:
        super().__init__(4, 4096)
        self.held: list[Any] = []

    def _doTransaction(self, t: Any) -> None:
        self.held.append(t)


def test_timeout_text() -> None:
    silent = Silent()
    v = variable(rim.UInt, 32, name="T")
    blk = block_of(v, slave=silent)
    blk._setTimeout(20000)
    with ge(r"^Block::checkTransaction: General Error: Transaction error for block T with address 0x00000000\. "
            r"Error Timeout waiting for register transaction \d+ message response\.$"):
        blk._startTransaction(R, False, True, v, -1)
