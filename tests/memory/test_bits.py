"""rim.Master._copyBits / _setBits / _anyBits (static, as in Rogue): bit n is bit n % 8 of byte n // 8."""

from __future__ import annotations

import random

import numpy as np
import pytest

import rogue
import rogue.interfaces.memory as rim


def _rogue_copy_bits(dst: bytearray, dst_lsb: int, src: bytes, src_lsb: int, size: int) -> None:
    """Rogue's Master.cpp loop, one bit at a time (the reference for the random cases)."""
    for i in range(size):
        s, d = src_lsb + i, dst_lsb + i
        bit = (src[s // 8] >> (s % 8)) & 1
        dst[d // 8] = (dst[d // 8] & ~(1 << (d % 8)) & 0xFF) | (bit << (d % 8))


@pytest.mark.parametrize(("dst", "dst_lsb", "src", "src_lsb", "size", "want"), [
    ("00000000", 4, "ffff", 0, 8, "f00f0000"),        # a byte straddling two
    ("000000", 6, "3412", 4, 12, "c04800"),           # 0x123 (bits 4..15 of 0x1234) << 6 = 0x48c0
    ("ffffff", 3, "00", 0, 5, "07ffff"),              # bits outside the field are kept
    ("00000000", 7, "aa5501", 1, 17, "806a5500"),     # 0xaad5 << 7 = 0x556a80, over three bytes
    ("0000", 0, "abcd", 0, 16, "abcd"),               # aligned whole bytes
    ("11223344", 8, "ff", 0, 0, "11223344"),          # nothing to copy
])
def test_copy_bits_hand_computed(dst: str, dst_lsb: int, src: str, src_lsb: int, size: int, want: str) -> None:
    buf = bytearray.fromhex(dst)
    rim.Master._copyBits(buf, dst_lsb, bytes.fromhex(src), src_lsb, size)
    assert buf.hex() == want


def test_copy_bits_matches_rogues_loop_on_random_fields() -> None:
    rng = random.Random(13)
    for _ in range(500):
        src = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
        dst = bytearray(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
        size = rng.randrange(0, min(len(src), len(dst)) * 8 + 1)
        src_lsb = rng.randrange(0, len(src) * 8 - size + 1)
        dst_lsb = rng.randrange(0, len(dst) * 8 - size + 1)
        want = bytearray(dst)
        _rogue_copy_bits(want, dst_lsb, src, src_lsb, size)
        rim.Master._copyBits(dst, dst_lsb, src, src_lsb, size)
        assert dst == want


def test_set_bits_and_any_bits() -> None:
    buf = bytearray(3)
    rim.Master._setBits(buf, 5, 10)  # bits 5..14
    assert buf.hex() == "e07f00"
    assert rim.Master._anyBits(buf, 14, 1) and not rim.Master._anyBits(buf, 15, 9)
    assert not rim.Master._anyBits(buf, 0, 5) and rim.Master._anyBits(buf, 0, 6)
    assert not rim.Master._anyBits(bytes.fromhex("008000"), 0, 15)
    assert rim.Master._anyBits(bytes.fromhex("008000"), 15, 1)
    assert not rim.Master._anyBits(b"\xff", 3, 0)


def test_helpers_are_static_and_inherited_by_hub_and_tcp_server() -> None:
    for cls in (rim.Master, rim.Hub, rim.TcpServer):
        buf = bytearray(2)
        cls._setBits(buf, 4, 8)
        assert buf.hex() == "f00f"
    hub = rim.Hub(0, 4, 8)
    arr = np.zeros(2, dtype=np.uint16)  # any buffer, viewed as bytes
    hub._copyBits(arr, 0, b"\x01\x02\x03\x04", 0, 32)
    assert arr.tobytes() == b"\x01\x02\x03\x04"


def test_errors_name_the_bits() -> None:
    with pytest.raises(rogue.GeneralError, match="Attempt to copy 7 bits starting from bit 10 from dest array with bitSize 16"):
        rim.Master._copyBits(bytearray(2), 10, b"\xff", 0, 7)
    with pytest.raises(rogue.GeneralError, match="from source array with bitSize 8"):
        rim.Master._copyBits(bytearray(2), 0, b"\xff", 2, 7)
    with pytest.raises(rogue.GeneralError, match="Attempt to set 9 bits starting from bit 0 in array with bitSize 8"):
        rim.Master._setBits(bytearray(1), 0, 9)
    with pytest.raises(rogue.GeneralError, match="Attempt to access 2 bits starting from bit 7"):
        rim.Master._anyBits(b"\x00", 7, 2)
    with pytest.raises(rogue.GeneralError, match="read-only"):
        rim.Master._setBits(b"\x00", 0, 1)
    with pytest.raises(rogue.GeneralError, match="Buffer Error"):
        rim.Master._anyBits(12, 0, 1)
