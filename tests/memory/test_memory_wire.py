"""Memory bridge codec against the parts C++ Rogue 6.15 sent and answered (vectors/memory_bridge.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rogue.interfaces.memory import _wire as w

from conftest import VECTORS as SHARED_VECTORS
from conftest import shared_or_skip

_HERE = Path(__file__).parent
VECTORS = json.loads((_HERE / "vectors" / "memory_bridge.json").read_text())


def _parts(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def test_vector_copy_matches_shared_spec() -> None:
    assert json.loads(shared_or_skip(SHARED_VECTORS / "memory_bridge.json").read_text()) == VECTORS


# -- what C++ Rogue's client sent: our encoder must give the same bytes ------------------------------
@pytest.mark.parametrize("vec", VECTORS["rogue_client"], ids=lambda v: v["note"])
def test_encode_request_matches_rogue_client(vec: dict) -> None:
    want = _parts(vec["request"])
    req = w.decode_request(want)
    assert w.encode_request(req.id, req.address, req.size, req.type, req.data) == want


@pytest.mark.parametrize("vec", [v for v in VECTORS["rogue_client"] if "response" in v], ids=lambda v: v["note"])
def test_decode_response_as_rogue_client(vec: dict) -> None:
    req = w.decode_request(_parts(vec["request"]))
    resp = w.decode_response(_parts(vec["response"]))
    assert (resp.id, resp.address, resp.size, resp.type) == (req.id, req.address, req.size, req.type)
    assert bytes(resp.data) == bytes.fromhex(vec["buffer_after"])
    assert resp.result == ("OK" if vec["error_text"] == "" else vec["error_text"])


# -- what C++ Rogue's server received and answered ------------------------------------------------------
@pytest.mark.parametrize("vec", VECTORS["rogue_server"], ids=lambda v: v["note"])
def test_server_vectors_round_trip(vec: dict) -> None:
    parts = _parts(vec["request"])
    req = w.decode_request(parts)
    assert w.encode_request(req.id, req.address, req.size, req.type, req.data) == parts
    want = _parts(vec["response"])
    result = vec.get("result_text", "")
    if result:
        # C++ Rogue sends whatever its buffer held on failure; ours sends zeros (wire.md).
        got = w.response_to(req, w.failure_data(req.type, req.size, req.data), result)
        assert got[:4] == want[:4] and got[5] == want[5]
        assert got[4] == bytes(req.size)
    else:
        data = want[4]
        assert w.response_to(req, data, "") == want
        assert w.encode_response(req.id, req.address, req.size, req.type, data, "") == want
    resp = w.decode_response(want)
    assert resp.result == (result or "OK")


def test_probe_request_matches_vector() -> None:
    vec = VECTORS["rogue_server"][0]
    assert w.probe_request(1) == _parts(vec["request"])
    req = w.decode_request(_parts(vec["request"]))
    assert req.type == w.PROBE and req.size == 0 and req.data is None


# -- malformed requests: each rule gives a WireError with its reason ----------------------------------
_READ = _parts(VECTORS["rogue_server"][2]["request"])
_WRITE = _parts(VECTORS["rogue_server"][1]["request"])
_PROBE = _parts(VECTORS["rogue_server"][0]["request"])


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ([], "0 parts"),
        (_READ[:3], "3 parts"),
        (_WRITE + [b"x"], "6 parts"),
        ([b"\x01\x00\x00"] + _READ[1:], "header part sizes 3, 8, 4, 4"),
        ([_READ[0], b"\0" * 4] + _READ[2:], "header part sizes 4, 4, 4, 4"),
        (_READ[:2] + [b"\x04\0"] + _READ[3:], "header part sizes 4, 8, 2, 4"),
        (_READ[:3] + [b"\x01\0\0\0\0"], "header part sizes 4, 8, 4, 5"),
        (_WRITE[:4], "has no data part"),
        (_WRITE[:4] + [b"ABC"], "3 data bytes for size 8"),
        (_READ + [b"1234"], "has a data part"),
        (_PROBE + [b""], "has a data part"),
        (_PROBE[:2] + [b"\x04\0\0\0"] + _PROBE[3:], "probe id 1 has size 4"),
    ],
)
def test_decode_request_rejects(parts: list[bytes], reason: str) -> None:
    with pytest.raises(w.WireError) as exc:
        w.decode_request(parts)
    assert reason in exc.value.reason


_RESP = _parts(VECTORS["rogue_client"][0]["response"])


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        (_RESP[:5], "5 parts"),
        (_RESP + [b""], "7 parts"),
        ([b"\x01"] + _RESP[1:], "header part sizes 1, 8, 4, 4"),
        (_RESP[:5] + [b""], "result part of 0 bytes"),
        (_RESP[:5] + [b"x" * 1000], "result part of 1000 bytes"),
    ],
)
def test_decode_response_rejects(parts: list[bytes], reason: str) -> None:
    with pytest.raises(w.WireError) as exc:
        w.decode_response(parts)
    assert reason in exc.value.reason


def test_response_data_size_is_left_to_the_client() -> None:
    # A short data part decodes: the client must fail the known transaction, not drop it.
    resp = w.decode_response(_RESP[:4] + [b"\x01"] + _RESP[5:])
    assert resp.size == 4 and len(resp.data) == 1


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((1 << 32, 0, 4, w.READ), "id"),
        ((1, 1 << 64, 4, w.READ), "address"),
        ((1, 0, -1, w.READ), "size"),
        ((1, 0, 4, w.WRITE), "needs 4 bytes of write data"),
        ((1, 0, 4, w.WRITE, b"abc"), "3 bytes of write data for size 4"),
        ((1, 0, 4, w.READ, b"abcd"), "carries no data part"),
        ((1, 0, 4, w.PROBE), "probe request with size 4"),
    ],
)
def test_encode_request_rejects(args: tuple, reason: str) -> None:
    with pytest.raises(w.WireError, match=reason):
        w.encode_request(*args)


def test_result_bytes() -> None:
    assert w.result_bytes("") == b"OK"
    assert w.result_bytes("bad thing") == b"bad thing"
    assert w.result_bytes("é") == b"?"
    assert len(w.result_bytes("x" * 5000)) == w.MAX_RESULT


def test_failure_data() -> None:
    assert w.failure_data(w.WRITE, 4, b"abcd") == b"abcd"
    for t in (w.READ, w.POST, w.VERIFY, 77):
        assert w.failure_data(t, 4, b"abcd") == bytes(4)


_TYPES = st.sampled_from([w.READ, w.WRITE, w.POST, w.VERIFY, 5, 0xFFFFFFFF])


@given(st.integers(0, 0xFFFFFFFF), st.integers(0, (1 << 64) - 1), st.binary(max_size=64), _TYPES,
       st.text(max_size=40))
def test_round_trip(tid: int, address: int, payload: bytes, ttype: int, result: str) -> None:
    has_data = ttype in (w.WRITE, w.POST)
    size = len(payload)
    req = w.decode_request(w.encode_request(tid, address, size, ttype, payload if has_data else None))
    assert (req.id, req.address, req.size, req.type) == (tid, address, size, ttype)
    assert (bytes(req.data) if has_data else None) == (payload if has_data else None)
    resp = w.decode_response(w.response_to(req, payload, result))
    assert (resp.id, resp.address, resp.size, resp.type, resp.data) == (tid, address, size, ttype, payload)
    want = "OK" if not result else result.encode("ascii", "replace")[: w.MAX_RESULT].decode()
    assert resp.result == want
