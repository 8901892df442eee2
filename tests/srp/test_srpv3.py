"""SrpV3 against a scripted link: request bytes out, every response check (srpv3.md)."""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import rogue
import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps
from rogue.protocols.srp import _wire as c

VECTORS = json.loads((Path(__file__).parent / "vectors" / "srpv3.json").read_text())


def _timeout_text(tid: int) -> str:
    return f"Timeout waiting for register transaction {tid} message response."


class Link(ris.Master, ris.Slave):
    """The far end of the stream: records request frames, injects response frames."""

    def __init__(self) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.requests: list[bytes] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.requests.append(frame.getBytes())

    def respond(self, data: bytes, error: int = 0) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        frame.setError(error)
        self._sendFrame(frame)


class Mem(rim.Master):
    """A user's memory master."""


@pytest.fixture
def bus() -> Iterator[tuple[Mem, rps.SrpV3, Link]]:
    mst, srp, link = Mem(), rps.SrpV3(), Link()
    mst >> srp
    srp == link
    mst._setTimeout(5_000_000)  # a missed completion fails the test quickly, not by pytest-timeout
    yield mst, srp, link
    srp._stop()


def _response(request: bytes, data: bytes = b"", status: int = 0) -> bytes:
    return c.encode_response(request, data, status)


def _vector(note: str) -> bytes:
    return bytes.fromhex(next(v for v in VECTORS["srpv3_requests"] if v["note"].startswith(note))["request_frame"])


def _with_id(frame: bytes, tid: int) -> bytes:
    return frame[:4] + struct.pack("<I", tid) + frame[8:]


# -- requests ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("note", "rim_type", "address", "data"),
    [
        ("read 4 at 0x100", rim.Read, 0x100, bytearray(4)),
        ("write 8 at 0x1_0000_0200", rim.Write, 0x1_0000_0200, b"ABCDEFGH"),
        ("post 4 at 0x300", rim.Post, 0x300, bytes([1, 2, 3, 4])),
        ("verify 4 at 0x100", rim.Verify, 0x100, bytearray(4)),
    ],
)
def test_request_bytes_as_cpp_rogue(bus: tuple[Mem, rps.SrpV3, Link], note: str, rim_type: int, address: int,
                                    data: bytearray) -> None:
    mst, _srp, link = bus
    tid = mst._reqTransaction(address, data, 0, 0, rim_type)
    assert link.requests == [_with_id(_vector(note), tid)]


def test_hardware_timeout_byte(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, srp, link = bus
    srp._setHardwareTimeout(0x0A)
    tid = mst._reqTransaction(0x400, bytearray(4), 4, 0, rim.Read)
    assert link.requests[-1] == _with_id(_vector("read 4 at 0x400 after _setHardwareTimeout"), tid)
    srp._setHardwareTimeout(0xFF)
    mst._reqTransaction(0x400, bytearray(4), 4, 0, rim.Read)
    assert link.requests[-1][3] == 0xFF
    srp._setHardwareTimeout(0)
    mst._reqTransaction(0x400, b"abcd", 4, 0, rim.Write)
    assert link.requests[-1][:4] == b"\x03\x01\x00\x00"
    with pytest.raises(rogue.GeneralError, match="hardware timeout 256 is out of range"):
        srp._setHardwareTimeout(256)


def test_access_sizes(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, _srp, _link = bus
    assert (mst._reqMinAccess(), mst._reqMaxAccess()) == (4, 4096)


@pytest.mark.parametrize(
    ("address", "size", "text"),
    [
        (0x2, 4, "Transaction address 0x2 is not aligned to min size 4"),
        (0x1_0000_0001, 4, "Transaction address 0x100000001 is not aligned to min size 4"),
        (0x0, 6, "Transaction size 0x6 is not aligned to min size 4"),
        (0x0, 2, "Transaction size 0x2 is not aligned to min size 4"),
        (0x0, 8192, "Transaction size 0x2000 exceeds max size 4096"),
        (0x0, 4100, "Transaction size 0x1004 exceeds max size 4096"),
    ],
)
@pytest.mark.parametrize("rim_type", [rim.Read, rim.Write, rim.Post, rim.Verify])
def test_alignment_and_size_errors_are_immediate(bus: tuple[Mem, rps.SrpV3, Link], address: int, size: int,
                                                text: str, rim_type: int) -> None:
    mst, _srp, link = bus
    tid = mst._reqTransaction(address, bytearray(size), size, 0, rim_type)
    tran = mst._Master__trans[tid]
    assert tran.expired()  # already finished when _reqTransaction returned
    mst._waitTransaction(0)
    assert mst._getError() == text
    assert link.requests == []


def test_post_completes_on_send(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, srp, link = bus
    tid = mst._reqTransaction(0x300, bytes([1, 2, 3, 4]), 4, 0, rim.Post)
    assert tid not in mst._Master__trans  # finished (successfully) when _reqTransaction returned
    mst._waitTransaction(0)
    assert mst._getError() == ""
    assert len(link.requests) == 1
    assert srp._getTransaction(tid) is None  # never kept in flight


def test_no_answer_gives_the_masters_timeout_text(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, _srp, link = bus
    mst._setTimeout(100_000)
    tid = mst._reqTransaction(0x10, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == _timeout_text(tid)
    assert len(link.requests) == 1


def test_response_after_expiry_is_ignored(bus: tuple[Mem, rps.SrpV3, Link], caplog: pytest.LogCaptureFixture) -> None:
    rogue.Logging.setFilter("pyrogue.SrpV3", rogue.Logging.Warning)
    mst, srp, link = bus
    mst._setTimeout(50_000)
    buf = bytearray(4)
    tid = mst._reqTransaction(0x10, buf, 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == _timeout_text(tid)
    link.respond(_response(link.requests[0], b"LATE"))  # must change nothing
    assert buf == bytearray(4)
    assert mst._getError() == _timeout_text(tid)
    assert f"id={tid} arrived after it expired" in caplog.text
    link.respond(_response(link.requests[0], b"LATE"))  # again: now an unknown id
    assert f"unknown transaction id={tid}" in caplog.text
    # and the bridge keeps serving
    mst._clearError()
    tid2 = mst._reqTransaction(0x10, buf, 4, 0, rim.Read)
    link.respond(_response(link.requests[1], b"GOOD"))
    mst._waitTransaction(tid2)
    assert mst._getError() == "" and buf == b"GOOD"


def test_out_of_order_responses_matched_by_id(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, _srp, link = bus
    bufs = [bytearray(8) for _ in range(20)]
    ids = [mst._reqTransaction(0x1000 + 8 * i, b, 8, 0, rim.Read) for i, b in enumerate(bufs)]
    for req in reversed(link.requests):
        tid = c.decode_header(req).id
        link.respond(_response(req, struct.pack("<Q", tid)))
    mst._waitTransaction(0)
    assert mst._getError() == ""
    assert [struct.unpack("<Q", b)[0] for b in bufs] == ids


def test_write_and_verify_responses(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, _srp, link = bus
    data = bytearray(b"WXYZ")
    mst._reqTransaction(0x20, data, 4, 0, rim.Write)
    link.respond(_response(link.requests[0], b"wxyz"))  # write response data is not copied back
    vbuf = bytearray(4)
    mst._reqTransaction(0x20, vbuf, 4, 0, rim.Verify)
    link.respond(_response(link.requests[1], b"WXYZ"))
    mst._waitTransaction(0)
    assert mst._getError() == ""
    assert data == b"WXYZ" and vbuf == b"WXYZ"


def test_status_bits_13_to_10_accepted(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, _srp, link = bus
    buf = bytearray(4)
    mst._reqTransaction(0x20, buf, 4, 0, rim.Read)
    resp = bytearray(_response(link.requests[0], b"okay"))
    resp[1] |= 0x3C  # word 0 bits 13:10
    link.respond(bytes(resp))
    mst._waitTransaction(0)
    assert mst._getError() == "" and buf == b"okay"


@pytest.mark.parametrize("vec", VECTORS["srpv3_error_texts"], ids=lambda v: v["note"])
def test_tail_status_texts(bus: tuple[Mem, rps.SrpV3, Link], vec: dict) -> None:
    mst, _srp, link = bus
    buf = bytearray(4)
    tid = mst._reqTransaction(0x500, buf, 4, 0, rim.Read)
    assert c.decode_header(link.requests[0]).words[2:] == c.decode_header(bytes.fromhex(vec["response_frame"])).words[2:]
    link.respond(_with_id(bytes.fromhex(vec["response_frame"]), tid))
    mst._waitTransaction(0)
    assert mst._getError() == vec["error_text"]
    assert buf == bytearray(4)


@pytest.mark.parametrize(
    ("word", "xor"),
    [(0, 1 << 14), (0, 1 << 8), (0, 1 << 24), (0, 0x01), (2, 4), (3, 1), (4, 4)],
)
def test_header_mismatch(bus: tuple[Mem, rps.SrpV3, Link], word: int, xor: int) -> None:
    mst, _srp, link = bus
    buf = bytearray(4)
    mst._reqTransaction(0x40, buf, 4, 0, rim.Read)
    words = list(struct.unpack_from("<5I", link.requests[0]))
    words[word] ^= xor
    link.respond(struct.pack("<5I", *words) + b"data" + bytes(4))
    mst._waitTransaction(0)
    assert mst._getError() == "Received SRPV3 message did not match expected protocol"
    assert buf == bytearray(4)


@pytest.mark.parametrize("extra", [-4, 4, 1])
def test_size_mismatch(bus: tuple[Mem, rps.SrpV3, Link], extra: int) -> None:
    mst, _srp, link = bus
    buf = bytearray(8)
    mst._reqTransaction(0x40, buf, 8, 0, rim.Read)
    data = bytes(8 + extra)
    link.respond(_response(link.requests[0], data))
    mst._waitTransaction(0)
    assert mst._getError() == "Received SRPV3 message had a header size mismatch"


@pytest.mark.parametrize(
    ("make", "log_text"),
    [
        (lambda req: (_response(req, b"abcd"), 3), "errored response frame, error=0x3"),
        (lambda req: (_response(req, b"abcd")[:23], 0), "undersized response frame of 23 bytes"),
        (lambda req: (_response(_with_id(req, 0xFFFF), b"abcd"), 0), "unknown transaction id=65535"),
    ],
    ids=["errored", "short", "unknown-id"],
)
def test_dropped_response_frames(bus: tuple[Mem, rps.SrpV3, Link], caplog: pytest.LogCaptureFixture, make,
                                 log_text: str) -> None:
    rogue.Logging.setFilter("pyrogue.SrpV3", rogue.Logging.Warning)
    mst, _srp, link = bus
    buf = bytearray(4)
    tid = mst._reqTransaction(0x40, buf, 4, 0, rim.Read)
    data, error = make(link.requests[0])
    link.respond(data, error)
    assert log_text in caplog.text
    assert not mst._Master__trans[tid].expired()  # still in flight: the bad frame was dropped
    link.respond(_response(link.requests[0], b"real"))
    mst._waitTransaction(0)
    assert mst._getError() == "" and buf == b"real"


def test_failing_link_fails_the_transaction_and_forgets_it(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, srp, _link = bus

    class Broken(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            raise RuntimeError("link down")

    srp >> Broken()
    tid = mst._reqTransaction(0x40, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert "link down" in mst._getError()
    assert srp._getTransaction(tid) is None


def test_responses_from_another_thread(bus: tuple[Mem, rps.SrpV3, Link]) -> None:
    mst, _srp, link = bus
    buf = bytearray(4)
    mst._reqTransaction(0x40, buf, 4, 0, rim.Read)
    t = threading.Thread(target=link.respond, args=(_response(link.requests[0], b"thrd"),), name="test-responder")
    t.start()
    mst._waitTransaction(0)
    t.join()
    assert mst._getError() == "" and buf == b"thrd"


def test_lshift_connects_either_side() -> None:
    mst, srp, link = Mem(), rps.SrpV3(), Link()
    assert (srp << mst) is mst
    assert mst._getSlave() is srp
    assert (srp << link) is link
    assert link._slaveCount() == 1
