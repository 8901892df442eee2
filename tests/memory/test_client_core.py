"""The memory client's protocol core, driven with plain messages and times (no sockets, no clock of its own).

Requests and responses come from what C++ Rogue 6.15's client sent and got
(vectors/memory_bridge.json, "rogue_client"), or are built with the codec.
Admission (whom the server lets in) has its own file: test_client_admission.py.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from time import monotonic
from typing import Any

import pytest

from rogue.interfaces.memory import _wire as w
from rogue.interfaces.memory._client_core import ClientCore
from rogue.interfaces.memory.transaction import Transaction

pytestmark = pytest.mark.timeout(30)

_HERE = Path(__file__).parent
VECTORS = json.loads((_HERE / "vectors" / "memory_bridge.json").read_text())["rogue_client"]
_LOG = logging.getLogger("rogue.test.client_core")
_TYPES = {"read": w.READ, "write": w.WRITE, "verify": w.VERIFY, "post": w.POST}


def _parts(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


class _Tran(Transaction):
    """A transaction with its buffer at hand."""

    __slots__ = ("buf",)


def _tran(tid: int, address: int, size: int, ttype: int, data: bytes | None = None, timeout: float = 5.0) -> _Tran:
    buf = bytearray(data if data is not None else bytes(size))
    tran = _Tran(address, memoryview(buf), size, ttype, timeout)
    tran._id = tid  # the vectors' ids
    tran.buf = buf
    tran._deadline = monotonic() + timeout  # as the master starts the clock once the slave was called
    return tran


def _from_vector(case: dict[str, Any]) -> Transaction:
    tid, address, size, ttype = (w.U32.unpack(bytes.fromhex(case["request"][0]))[0],
                                 int.from_bytes(bytes.fromhex(case["request"][1]), "little"),
                                 w.U32.unpack(bytes.fromhex(case["request"][2]))[0],
                                 w.U32.unpack(bytes.fromhex(case["request"][3]))[0])
    data = bytes.fromhex(case["request"][4]) if len(case["request"]) > 4 else None
    return _tran(tid, address, size, ttype, data, timeout=0.3 if "timeout" in case["note"] else 5.0)


def _bytes(parts: list[Any]) -> list[bytes]:
    return [bytes(p) for p in parts]


# -- ClientCore: requests -----------------------------------------------------------------------------
@pytest.mark.parametrize("case", VECTORS, ids=[c["note"] for c in VECTORS])
def test_request_is_rogues_client_request(case: dict[str, Any]) -> None:
    core = ClientCore("test", _LOG)
    tran = _from_vector(case)
    assert _bytes(core.request(tran)) == _parts(case["request"])
    # Everything but a Post waits in flight for its response.
    assert (tran._id in core.inflight) == (tran._type != w.POST)


def test_request_of_a_many_clients_client_leads_with_its_route() -> None:
    core = ClientCore("test", _LOG, route=b"R" * 16)
    parts = core.request(_tran(7, 0x10, 4, w.READ))
    assert bytes(parts[0]) == b"R" * 16 and _bytes(parts[1:]) == _bytes(w.encode_request(7, 0x10, 4, w.READ))
    assert core.probe(3)[0] == b"R" * 16 and core.probe_id == 3


def test_forget_takes_an_unsent_request_out_of_flight() -> None:
    core = ClientCore("test", _LOG)
    core.request(_tran(1, 0, 4, w.READ))
    core.forget(1)
    core.forget(1)  # twice: harmless
    assert core.inflight == {}


# -- ClientCore: responses ----------------------------------------------------------------------------
@pytest.mark.parametrize("case", [c for c in VECTORS if "response" in c], ids=lambda c: c["note"])
def test_response_completes_as_rogues_client_did(case: dict[str, Any]) -> None:
    core = ClientCore("test", _LOG)
    tran = _from_vector(case)
    core.request(tran)
    assert core.receive([_parts(case["response"])], monotonic()) is False
    assert tran._wait() == case["error_text"]
    assert bytes(tran.buf) == bytes.fromhex(case["buffer_after"])
    assert core.inflight == {}
    assert (core.completed, core.failed) == ((1, 0) if not case["error_text"] else (0, 1))


def test_unanswered_read_times_out_with_rogues_text_and_is_pruned() -> None:
    case = next(c for c in VECTORS if "timeout" in c["note"])
    core = ClientCore("test", _LOG)
    tran = _from_vector(case)
    core.request(tran)
    assert tran._wait() == case["error_text"]  # the master's own timeout (0.3 s)
    core.prune(monotonic())
    assert core.inflight == {} and core.timed_out == 1


def test_expiry_is_judged_at_the_time_given() -> None:
    """The core reads no clock: ``now`` past a deadline makes a response late and a prune forget it."""
    core = ClientCore("test", _LOG)
    tran = _tran(1, 0x100, 4, w.READ, timeout=60.0)
    core.request(tran)
    core.prune(tran._deadline - 1.0)
    assert 1 in core.inflight  # not due at that time
    assert core.receive([w.encode_response(1, 0x100, 4, w.READ, b"late")], tran._deadline + 1.0) is False
    assert core.timed_out == 1 and core.completed == 0 and bytes(tran.buf) == bytes(4)  # not applied
    other = _tran(2, 0x104, 4, w.READ, timeout=60.0)
    core.request(other)
    core.prune(other._deadline + 0.001)
    assert core.inflight == {} and core.timed_out == 2  # forgotten without waiting a minute


def test_many_responses_in_one_batch_complete_each_by_id() -> None:
    core = ClientCore("test", _LOG)
    trans = [_tran(i, 4 * i, 4, w.READ) for i in range(1, 65)]
    for t in trans:
        core.request(t)
    msgs = [w.encode_response(t._id, t._address, 4, w.READ, t._id.to_bytes(4, "little")) for t in reversed(trans)]
    core.receive(iter(msgs), monotonic())  # any iterable: the I/O layer passes a generator over the socket
    assert all(t._wait() == "" and bytes(t.buf) == t._id.to_bytes(4, "little") for t in trans)
    assert core.completed == 64 and core.inflight == {}


def test_post_response_is_ignored_silently() -> None:
    core = ClientCore("test", _LOG)
    core.request(_tran(5, 0x80, 4, w.POST, b"\x11\x22\x33\x44"))
    core.receive([w.encode_response(5, 0x80, 4, w.POST, b"\x11\x22\x33\x44")], monotonic())
    assert (core.unknown, core.malformed, core.failed) == (0, 0, 0)


@pytest.mark.parametrize("bad", [
    [b"\x01\x00"],  # too few parts
    [b"\x01\x00\x00\x00", b"\x00" * 8, b"\x04\x00\x00\x00", b"\x01\x00\x00\x00", b"", b"OK", b"extra"],  # too many
    [b"\x01\x00", b"\x00" * 8, b"\x04\x00\x00\x00", b"\x01\x00\x00\x00", b"abcd", b"OK"],  # short id
])
def test_malformed_response_is_counted_and_dropped(bad: list[bytes], caplog: pytest.LogCaptureFixture) -> None:
    core = ClientCore("test", _LOG)
    tran = _tran(1, 0, 4, w.READ)
    core.request(tran)
    with caplog.at_level(logging.WARNING, logger=_LOG.name):
        core.receive([bad], monotonic())
    assert core.malformed == 1 and 1 in core.inflight  # still waiting for a good response
    assert "dropped response" in caplog.text


def test_response_with_unknown_id_is_counted() -> None:
    core = ClientCore("test", _LOG)
    core.receive([w.encode_response(99, 0, 4, w.READ, b"abcd")], monotonic())
    assert core.unknown == 1


def test_response_header_mismatch_fails_the_transaction() -> None:
    core = ClientCore("test", _LOG)
    tran = _tran(1, 0x100, 4, w.READ)
    core.request(tran)
    core.receive([w.encode_response(1, 0x104, 4, w.READ, b"abcd")], monotonic())
    assert tran._wait() == "test: response header does not match transaction 1"
    assert core.failed == 1 and bytes(tran.buf) == bytes(4)


def test_response_with_wrong_data_size_fails_with_rogues_text() -> None:
    core = ClientCore("test", _LOG)
    tran = _tran(1, 0x100, 4, w.READ)
    core.request(tran)
    core.receive([w.encode_response(1, 0x100, 4, w.READ, b"abcdef")], monotonic())
    assert tran._wait() == "Received transaction response did not match header size"
    assert core.failed == 1


def test_error_response_copies_the_far_sides_data_as_rogue_does() -> None:
    core = ClientCore("test", _LOG)
    tran = _tran(1, 0x100, 4, w.READ)
    core.request(tran)
    core.receive([w.encode_response(1, 0x100, 4, w.READ, b"wxyz", "bus error")], monotonic())
    assert tran._wait() == "bus error" and bytes(tran.buf) == b"wxyz"


def test_late_response_after_the_masters_timeout_is_counted_not_applied() -> None:
    core = ClientCore("test", _LOG)
    tran = _tran(1, 0x100, 4, w.READ, timeout=0.01)
    core.request(tran)
    assert tran._wait().startswith("Timeout waiting for register transaction 1")
    core.receive([w.encode_response(1, 0x100, 4, w.READ, b"late")], monotonic())
    assert core.timed_out == 1 and core.completed == 0 and bytes(tran.buf) == bytes(4)


def test_probe_answers() -> None:
    core = ClientCore("test", _LOG)
    core.probe(1)
    core.probe(2)
    assert core.receive([w.encode_response(1, 0, 0, w.PROBE, b"")], monotonic()) is True  # an earlier probe counts too
    assert core.receive([w.encode_response(2, 0, 0, w.PROBE, b"")], monotonic()) is True
    assert core.receive([w.encode_response(3, 0, 0, w.PROBE, b"")], monotonic()) is False  # never sent
    assert core.receive([w.encode_response(2, 0, 0, w.PROBE, b"", "busy")], monotonic()) is False  # not OK
    assert core.unknown == 2


def test_fail_all_completes_everything_in_flight() -> None:
    core = ClientCore("test", _LOG)
    trans = [_tran(i, 0, 4, w.READ) for i in range(1, 4)]
    for t in trans:
        core.request(t)
    core.fail_all("the client stopped")
    assert [t._wait() for t in trans] == ["the client stopped"] * 3 and core.inflight == {}


def test_counters_use_the_stats_names() -> None:
    core = ClientCore("test", _LOG)
    core.request(_tran(1, 0, 4, w.READ))
    assert core.counters() == {"inFlight": 1, "completed": 0, "failed": 0, "timedOut": 0, "malformed": 0,
                               "unknown": 0}
