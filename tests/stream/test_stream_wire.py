"""Stream bridge codec (``_wire``) against the bytes C++ Rogue sent and decoded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rogue.interfaces.stream._wire import PARTS, WireError, decode, encode, encode_header

from conftest import VECTORS as SHARED_VECTORS
from conftest import shared_or_skip

_HERE = Path(__file__).parent
VECTORS = json.loads((_HERE / "vectors" / "stream_bridge.json").read_text())


def test_vector_copy_matches_shared_spec() -> None:
    assert json.loads(shared_or_skip(SHARED_VECTORS / "stream_bridge.json").read_text()) == VECTORS


def _fields_from_note(vec: dict[str, Any]) -> tuple[int, int, int]:
    p = [bytes.fromhex(x) for x in vec["parts"]]
    return int.from_bytes(p[0], "little"), p[1][0], p[2][0]


@pytest.mark.parametrize("vec", VECTORS["sent_by_rogue"], ids=lambda v: v["note"])
def test_encode_matches_what_rogue_sent(vec: dict[str, Any]) -> None:
    parts = [bytes.fromhex(x) for x in vec["parts"]]
    flags, channel, error = _fields_from_note(vec)
    assert [bytes(p) for p in encode(flags, channel, error, parts[3])] == parts
    # and what Rogue sent decodes back to the same fields
    assert decode(parts) == (flags, channel, error, parts[3])


def test_sent_vectors_fields() -> None:
    # the notes of the captured vectors, spelled out: the byte order is little-endian
    first, setters, full = VECTORS["sent_by_rogue"]
    assert decode([bytes.fromhex(x) for x in first["parts"]])[:3] == (0xA55A, 5, 3)
    flags, channel, error, payload = decode([bytes.fromhex(x) for x in setters["parts"]])
    assert (flags & 0xFF, flags >> 8, channel) == (0x02, 0x80, 0)
    flags, channel, error, payload = decode([bytes.fromhex(x) for x in full["parts"]])
    assert (flags, channel, error) == (0xFFFF, 255, 0xFF)
    assert payload == bytes(i % 251 for i in range(4096))


@pytest.mark.parametrize("vec", VECTORS["decoded_by_rogue"], ids=lambda v: v["note"])
def test_decode_matches_what_rogue_decoded(vec: dict[str, Any]) -> None:
    parts = [bytes.fromhex(x) for x in vec["parts"]]
    want = vec["frame"]
    flags, channel, error, payload = decode(parts)
    assert flags == want["flags"]
    assert flags & 0xFF == want["firstUser"]
    assert flags >> 8 == want["lastUser"]
    assert channel == want["channel"]
    assert error == want["error"]
    assert bytes(payload) == bytes.fromhex(want["payload"])
    assert [bytes(p) for p in encode(flags, channel, error, payload)] == parts


@pytest.mark.parametrize("flags", [0x0000, 0xFFFF, 0xA55A, 0x0001, 0x8000])
def test_flags_little_endian(flags: int) -> None:
    h0, _, _ = encode_header(flags, 0, 0)
    assert h0 == bytes([flags & 0xFF, flags >> 8])
    assert decode([h0, b"\0", b"\0", b""])[0] == flags


def test_all_channels_and_errors() -> None:
    for v in range(256):
        parts = encode(0, v, 255 - v, b"")
        assert parts[1] == bytes([v]) and parts[2] == bytes([255 - v])
        assert decode(parts) == (0, v, 255 - v, b"")


def test_payload_passed_through_without_copy() -> None:
    payload = bytearray(b"xyz")
    assert encode(1, 2, 3, payload)[3] is payload
    mv = memoryview(b"abcd")
    assert decode([b"\0\0", b"\0", b"\0", mv])[3] is mv


def test_empty_payload_is_legal() -> None:
    assert decode([b"\x01\x00", b"\x02", b"\x03", b""]) == (1, 2, 3, b"")


def test_decode_accepts_memoryview_headers() -> None:
    parts = [memoryview(b"\x5a\xa5"), memoryview(b"\x05"), memoryview(b"\x03"), b"p"]
    assert decode(parts) == (0xA55A, 5, 3, b"p")


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ([], "0 parts"),
        ([b"\0\0"], "1 parts"),
        ([b"\0\0", b"\0", b"\0"], "3 parts"),
        ([b"\0\0", b"\0", b"\0", b"", b""], "5 parts"),
        ([b"\0", b"\0", b"\0", b""], "flags part is 1 bytes"),
        ([b"\0\0\0", b"\0", b"\0", b""], "flags part is 3 bytes"),
        ([b"\0\0", b"", b"\0", b""], "channel part is 0 bytes"),
        ([b"\0\0", b"\0\0", b"\0", b""], "channel part is 2 bytes"),
        ([b"\0\0", b"\0", b"", b""], "error part is 0 bytes"),
        ([b"\0\0", b"\0", b"\0\0\0\0", b""], "error part is 4 bytes"),
    ],
)
def test_decode_rejects_malformed(parts: list[bytes], reason: str) -> None:
    with pytest.raises(WireError) as info:
        decode(parts)
    assert reason in info.value.reason
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("flags", "channel", "error"), [(0x10000, 0, 0), (-1, 0, 0), (0, 256, 0), (0, -1, 0), (0, 0, 256)])
def test_encode_rejects_out_of_range(flags: int, channel: int, error: int) -> None:
    with pytest.raises(WireError):
        encode_header(flags, channel, error)


def test_parts_constant() -> None:
    assert PARTS == 4


@given(
    flags=st.integers(0, 0xFFFF),
    channel=st.integers(0, 255),
    error=st.integers(0, 255),
    payload=st.binary(max_size=64),
)
def test_encode_decode_round_trip(flags: int, channel: int, error: int, payload: bytes) -> None:
    parts = encode(flags, channel, error, payload)
    assert [len(p) for p in parts[:3]] == [2, 1, 1]
    assert decode(parts) == (flags, channel, error, payload)
