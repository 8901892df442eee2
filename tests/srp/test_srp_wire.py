"""SRPv3 codec against the bytes C++ Rogue 6.15 produced (vectors/srpv3.json)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rogue.protocols.srp import _wire as c

from conftest import VECTORS as SHARED_VECTORS
from conftest import shared_or_skip

_HERE = Path(__file__).parent
VECTORS = json.loads((_HERE / "vectors" / "srpv3.json").read_text())

READ, WRITE, POST, VERIFY = 1, 2, 3, 4  # rim constants


def _req(note: str) -> dict:
    return next(v for v in VECTORS["srpv3_requests"] if v["note"].startswith(note))


def test_vector_copy_matches_shared_spec() -> None:
    assert json.loads(shared_or_skip(SHARED_VECTORS / "srpv3.json").read_text()) == VECTORS


# -- requests, as C++ Rogue's SrpV3 built them ---------------------------------------------------
@pytest.mark.parametrize(
    ("note", "rim_type", "address", "size", "data"),
    [
        ("read 4 at 0x100", READ, 0x100, 4, None),
        ("write 8 at 0x1_0000_0200", WRITE, 0x1_0000_0200, 8, b"ABCDEFGH"),
        ("post 4 at 0x300", POST, 0x300, 4, bytes([1, 2, 3, 4])),
        ("verify 4 at 0x100", VERIFY, 0x100, 4, None),
        ("read 4 at 0x400 after _setHardwareTimeout", READ, 0x400, 4, None),
    ],
)
def test_request_vectors(note: str, rim_type: int, address: int, size: int, data: bytes | None) -> None:
    vec = _req(note)
    expected = bytes.fromhex(vec["request_frame"])
    opcode = c.OPCODE_OF_TYPE[rim_type]
    got = c.encode_request(opcode, vec["transaction_id"], address, size, data, timeout=0x0A)
    assert got == expected
    assert len(got) == c.request_length(opcode, size)

    hdr = c.decode_header(expected)
    assert (hdr.version, hdr.opcode, hdr.timeout) == (3, opcode, 0x0A)
    assert (hdr.id, hdr.address, hdr.size) == (vec["transaction_id"], address, size)
    assert hdr.words == c.header_words(opcode, vec["transaction_id"], address, size)
    checked, why = c.check_request(expected)
    assert why == "" and checked == hdr


def test_opcodes_of_every_type() -> None:
    assert c.OPCODE_OF_TYPE == {READ: 0, WRITE: 1, POST: 2, VERIFY: 0}
    for op in (c.OP_READ, c.OP_WRITE, c.OP_POST, c.OP_INVALID):
        assert (c.word0(op) >> 8) & 0x3 == op
        assert c.word0(op) & 0xFF == 3


def test_default_hardware_timeout_is_0x0a() -> None:
    assert c.DEFAULT_HW_TIMEOUT == 0x0A
    assert c.word0(c.OP_READ) == 0x0A000003


@pytest.mark.parametrize("timeout", [0x00, 0x01, 0x0A, 0x7F, 0xFF])
def test_hardware_timeout_byte(timeout: int) -> None:
    frame = c.encode_request(c.OP_READ, 1, 0x10, 4, timeout=timeout)
    assert frame[3] == timeout
    assert frame[:3] == b"\x03\x00\x00"
    assert c.decode_header(frame).timeout == timeout


@pytest.mark.parametrize("size", [4, 4096])
@pytest.mark.parametrize("opcode", [c.OP_READ, c.OP_WRITE, c.OP_POST])
def test_sizes_4_and_4096(size: int, opcode: int) -> None:
    data = bytes(i & 0xFF for i in range(size)) if opcode != c.OP_READ else None
    frame = c.encode_request(opcode, 0xFFFFFFFF, 0xFFFF_FFFF_FFFF_F000, size, data)
    assert struct.unpack_from("<I", frame, 16)[0] == size - 1
    assert len(frame) == (20 + size if data else 20)
    hdr, why = c.check_request(frame)
    assert why == "" and hdr is not None
    assert (hdr.id, hdr.address, hdr.size) == (0xFFFFFFFF, 0xFFFF_FFFF_FFFF_F000, size)
    if data:
        assert frame[20:] == data
    assert c.response_length(size) == 24 + size


def test_64bit_address_words() -> None:
    words = c.header_words(c.OP_READ, 7, 0x1234_5678_9ABC_DEF0, 4)
    assert words[2:4] == (0x9ABC_DEF0, 0x1234_5678)


def test_write_data_size_must_match() -> None:
    with pytest.raises(ValueError, match="3 bytes, size is 4"):
        c.encode_request(c.OP_WRITE, 1, 0, 4, b"abc")


# -- responses -----------------------------------------------------------------------------------
@pytest.mark.parametrize("vec", VECTORS["srpv3_error_texts"], ids=lambda v: v["note"])
def test_tail_error_vectors(vec: dict) -> None:
    frame = bytes.fromhex(vec["response_frame"])
    resp = c.decode_response(frame)
    assert resp.header.id == int(frame[4])
    assert resp.header.address == 0x500 and resp.header.size == 4
    assert bytes(resp.data) == bytes(4)
    assert c.tail_error(resp.status) == vec["error_text"]
    expected = c.header_words(c.OP_READ, resp.header.id, 0x500, 4)
    assert c.header_matches(resp.header.words, expected)


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (0, ""),
        (0x2000, "FPGA register bus lockup detected in hardware. Power cycle required."),
        (0x2100, "FPGA register bus lockup detected in hardware. Power cycle required."),
        (0x0100, "FPGA register bus timeout detected in hardware"),
        (0x0104, "FPGA register bus timeout detected in hardware"),
        (0x4, "Non zero status message returned on fpga register bus in hardware: 0x4"),
        (0x1, "Non zero status message returned on fpga register bus in hardware: 0x1"),
        (0x80000000, "Non zero status message returned on fpga register bus in hardware: 0x80000000"),
    ],
)
def test_each_tail_bit(status: int, text: str) -> None:
    assert c.tail_error(status) == text


def test_header_compare_masks_bits_13_to_10() -> None:
    exp = c.header_words(c.OP_WRITE, 5, 0x100, 8)
    got = list(exp)
    got[0] |= 0x3C00  # hardware may set bits 13:10
    assert c.header_matches(tuple(got), exp)
    for word, bit in [(0, 1 << 14), (0, 1 << 8), (0, 1 << 24), (1, 1), (2, 4), (3, 1), (4, 4)]:
        bad = list(exp)
        bad[word] ^= bit
        assert not c.header_matches(tuple(bad), exp), (word, bit)


def test_decode_response_too_short() -> None:
    with pytest.raises(ValueError, match="23 bytes"):
        c.decode_response(bytes(23))


# -- the emulation's side ------------------------------------------------------------------------
@pytest.mark.parametrize("vec", VECTORS["emulation"], ids=lambda v: v["note"])
def test_emulation_vectors(vec: dict) -> None:
    req = bytes.fromhex(vec["request_frame"])
    hdr, why = c.check_request(req)
    assert why == "" and hdr is not None
    if vec["response_frame"] is None:
        assert hdr.opcode == c.OP_POST
        return
    resp = bytes.fromhex(vec["response_frame"])
    assert len(resp) == c.response_length(hdr.size)
    data = c.decode_response(resp).data
    assert c.encode_response(req, data, 0) == resp
    assert resp[:20] == req[:20]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (bytes(19), "undersized frame of 19 bytes"),
        (c.encode_request(c.OP_READ, 1, 0, 4)[:-1], "undersized"),
        (b"\x02" + c.encode_request(c.OP_READ, 1, 0, 4)[1:], "version 0x2 is not 3"),
        (struct.pack("<5I", c.word0(c.OP_INVALID), 9, 0, 0, 3), "invalid opcode 0x3 (id=9)"),
        (struct.pack("<5I", c.word0(c.OP_READ), 9, 0, 0, 1), "invalid request size 2"),
        (struct.pack("<5I", c.word0(c.OP_READ), 9, 0, 0, 4), "invalid request size 5"),
        (struct.pack("<5I", c.word0(c.OP_READ), 9, 0, 0, 4096), "invalid request size 4097"),
        (struct.pack("<5I", c.word0(c.OP_READ), 9, 0, 0, 0xFFFFFFFF), "invalid request size 4294967296"),
        (c.encode_request(c.OP_WRITE, 3, 0, 8, bytes(8))[:-1], "write frame of 27 bytes lacks data: need 28"),
        (c.encode_request(c.OP_POST, 3, 0, 4, bytes(4))[:20], "lacks data"),
    ],
)
def test_check_request_rejects(frame: bytes, reason: str) -> None:
    hdr, why = c.check_request(frame)
    assert hdr is None
    assert reason in why


@given(
    opcode=st.sampled_from([c.OP_READ, c.OP_WRITE, c.OP_POST]),
    tran_id=st.integers(0, 0xFFFFFFFF),
    address=st.integers(0, 2**64 - 1).map(lambda a: a & ~3),
    words=st.integers(1, 1024),
    timeout=st.integers(0, 255),
)
def test_roundtrip(opcode: int, tran_id: int, address: int, words: int, timeout: int) -> None:
    size = words * 4
    data = bytes(size) if opcode != c.OP_READ else None
    frame = c.encode_request(opcode, tran_id, address, size, data, timeout)
    hdr, why = c.check_request(frame)
    assert why == "" and hdr is not None
    assert (hdr.opcode, hdr.id, hdr.address, hdr.size, hdr.timeout) == (opcode, tran_id, address, size, timeout)
    resp = c.decode_response(c.encode_response(frame, bytes(size), 0))
    assert c.header_matches(resp.header.words, c.header_words(opcode, tran_id, address, size, timeout))
    assert resp.status == 0 and len(resp.data) == size


def test_parse_request_fields() -> None:
    frame = c.encode_request(c.OP_WRITE, 77, 0x1_0000_0010, 8, bytes(8))
    assert c.parse_request(frame, len(frame)) == (c.OP_WRITE, 77, 0x1_0000_0010, 8)
    # n is the payload length, which may be shorter than the buffer (a pooled frame)
    assert "lacks data" in c.parse_request(frame + bytes(8), 27)
