"""The memory server's protocol core driven with plain message lists (no sockets, no threads of its own).

Requests are built with the codec or taken from the parts C++ Rogue 6.15's
server answered (vectors/memory_bridge.json); slaves are fakes: immediate
(``Emulate``), completing later from another thread, never completing, raising.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from time import monotonic
from typing import Any

import pytest

import rogue.interfaces.memory as rim
from rogue.interfaces.memory import _server_core
from rogue.interfaces.memory import _wire as w
from rogue.interfaces.memory._server_core import ServerCore

from engine_helpers import record_made

_HERE = Path(__file__).parent
VECTORS = json.loads((_HERE / "vectors" / "memory_bridge.json").read_text())
_LOG = logging.getLogger("rogue.test.server_core")


def _parts(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


class Held(rim.Slave):
    """Keeps every transaction; the test finishes them (from any thread)."""

    def __init__(self) -> None:
        super().__init__(4, 0xFFFFFFFF)
        self.trans: list[rim.Transaction] = []

    def _doTransaction(self, tran: rim.Transaction) -> None:
        self.trans.append(tran)


class Raising(rim.Slave):
    def __init__(self, exc: Exception) -> None:
        super().__init__(4, 0xFFFFFFFF)
        self.exc = exc

    def _doTransaction(self, tran: rim.Transaction) -> None:
        raise self.exc


class Wakes:
    """The core's wake callable: counts calls and signals an event."""

    def __init__(self) -> None:
        self.count = 0
        self.event = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()


def _core(slave: Any, timeout: float = 1.0, many: bool = False, wake: Any = None, **kw: Any) -> ServerCore:
    return ServerCore(lambda: slave, lambda: timeout, wake or Wakes(), _LOG, many, **kw)


def _read(tid: int, address: int = 0x100, size: int = 4) -> list[Any]:
    return w.encode_request(tid, address, size, w.READ)


def _write(tid: int, address: int, data: bytes) -> list[Any]:
    return w.encode_request(tid, address, len(data), w.WRITE, data)


def _result(reply: tuple[Any, list[Any]]) -> str:
    return w.decode_response(reply[1]).result


def test_route_size_is_the_clients() -> None:
    route = w.new_route()
    assert len(route) == _server_core.ROUTE_SIZE == w.ROUTE_SIZE != 4  # never confused with an id part
    assert route != w.new_route()


# -- C++ Rogue's server answers, byte for byte, from an Emulate slave ---------------------------------------
def test_rogue_server_vectors_with_emulate() -> None:
    core = _core(rim.Emulate(4, 0x1000))
    for vec in VECTORS["rogue_server"]:
        if "result_text" in vec:  # SrpV3 errors of the capture: not an Emulate's
            continue
        out = core.receive(_parts(vec["request"]))
        assert [(None, [bytes(p) for p in out[0][1]])] == [(None, _parts(vec["response"]))], vec["note"]
        assert len(out) == 1
    assert (core.served, core.failed, core.probes, core.malformed, len(core)) == (4, 0, 1, 0, 0)


def test_probe_answered_at_once_while_a_transaction_runs() -> None:
    slave = Held()
    core = _core(slave)
    assert core.receive(_read(1)) == ()
    probe = _parts(VECTORS["rogue_server"][0]["request"])
    out = core.receive(probe)
    assert [bytes(p) for p in out[0][1]] == _parts(VECTORS["rogue_server"][0]["response"])
    assert core.probes == 1 and core.served == 0 and len(slave.trans) == 1


# -- malformed requests: dropped, counted, warned -----------------------------------------------------------
_R = _read(9)
_W = _write(9, 0x100, b"ABCDEFGH")
_P = w.probe_request(9)


@pytest.mark.parametrize(
    ("parts", "reason"),
    [
        ([], "0 parts"),
        (_R[:3], "3 parts"),
        (_W + [b"x"], "6 parts"),
        ([b"\x01\x00\x00"] + _R[1:], "header part sizes 3, 8, 4, 4"),
        (_W[:4], "has no data part"),
        (_W[:4] + [b"ABC"], "3 data bytes for size 8"),
        (_R + [b"1234"], "has a data part"),
        (_P[:2] + [b"\x04\0\0\0"] + _P[3:], "probe id 9 has size 4"),
    ],
)
def test_malformed_dropped_counted_warned(parts: list[Any], reason: str, caplog: pytest.LogCaptureFixture) -> None:
    slave = Held()
    core = _core(slave)
    with caplog.at_level(logging.WARNING, logger=_LOG.name):
        assert core.receive(parts) == ()
    assert core.malformed == 1 and core.served == 0 and not slave.trans and len(core) == 0
    assert any("dropped malformed request" in r.getMessage() and reason in r.getMessage() for r in caplog.records)


def test_malformed_flood_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    core = _core(rim.Emulate())
    with caplog.at_level(logging.WARNING, logger=_LOG.name):
        for _ in range(100):
            core.receive([b"x"])
        core.tick()
    assert core.malformed == 100
    assert len(caplog.records) == 10  # the burst; the summary follows after its period
    assert core.receive(_read(1))[0][1][5] == w.OK  # still serving


def test_too_large_read_refused() -> None:
    slave = Held()
    core = _core(slave, max_read=4096)
    assert core.receive(_read(1, size=4097)) == ()
    assert core.malformed == 1 and not slave.trans
    core.receive(_read(2, size=4096))
    assert len(slave.trans) == 1
    big_write = _write(3, 0, bytes(8192))  # a write brings its own data: no limit here
    core.receive(big_write)
    assert core.malformed == 1 and len(core) == 2


def test_default_max_read() -> None:
    core = _core(Held())
    assert core.receive(_read(1, size=_server_core.MAX_READ + 1)) == () and core.malformed == 1


# -- many clients: the 16-byte route comes first and goes back with the response ------------------------------
@pytest.mark.parametrize("route", [None, b"", b"r" * 15, b"r" * 17, b"\0\0\0\0"])
def test_route_missing_or_wrong_size(route: bytes | None, caplog: pytest.LogCaptureFixture) -> None:
    core = _core(rim.Emulate(), many=True)
    parts = [] if route is None else [route, *_read(1)]
    with caplog.at_level(logging.WARNING, logger=_LOG.name):
        assert core.receive(parts) == ()
    assert core.malformed == 1 and core.served == 0
    assert "request without a client route (a client without manyClients=True?)" in caplog.text


def test_route_checked_then_request_decoded() -> None:
    core = _core(rim.Emulate(), many=True)
    assert core.receive([b"a" * 16, b"bad"]) == () and core.malformed == 1
    out = core.receive([b"a" * 16, *_P])
    assert out[0][0] == b"a" * 16 and core.probes == 1


def test_order_across_two_routes_one_at_a_time() -> None:
    slave = Held()
    core = _core(slave, many=True)
    a, b = b"A" * 16, b"B" * 16
    sent = [(a, 1), (b, 2), (a, 3), (b, 4)]
    for route, tid in sent:
        assert core.receive([route, *_read(tid, address=0x10 * tid)]) == ()
    got = []
    for _ in sent:
        assert len(slave.trans) == len(got) + 1  # one transaction on the slave at a time
        tran = slave.trans[-1]
        tran.setData(tran.address().to_bytes(4, "little"))
        tran.done()
        out = core.poll(monotonic())
        assert len(out) == 1
        route, parts = out[0]
        resp = w.decode_response(parts)
        got.append((route, resp.id))
        assert resp.result == "OK" and bytes(resp.data) == (0x10 * resp.id).to_bytes(4, "little")
    assert got == sent  # arrival order, each answer to its sender
    assert core.poll(monotonic()) == () and len(core) == 0 and core.served == 4


def test_immediate_slave_answers_within_receive_and_keeps_order() -> None:
    mem = rim.Emulate(4, 0x1000)
    core = _core(mem)
    assert _result(core.receive(_write(1, 0x40, b"\x01\x02\x03\x04"))[0]) == "OK"
    out = core.receive(_read(2, address=0x40))
    assert bytes(w.decode_response(out[0][1]).data) == b"\x01\x02\x03\x04"
    assert core.deadline() is None


def test_late_completion_from_another_thread_wakes_and_is_polled() -> None:
    slave = Held()
    wake = Wakes()
    core = _core(slave, wake=wake)
    assert core.receive(_read(1)) == ()
    assert core.receive(_read(2)) == ()  # queued behind the running one
    assert core.deadline() is not None and len(core) == 2
    assert core.poll(monotonic()) == ()

    def finish() -> None:
        slave.trans[0].setData(b"\xaa\xbb\xcc\xdd")
        slave.trans[0].done()

    t = threading.Thread(target=finish)
    t.start()
    t.join()
    assert wake.event.wait(5) and wake.count == 1
    out = core.poll(monotonic())
    assert [w.decode_response(p).id for _, p in out] == [1]
    assert bytes(w.decode_response(out[0][1]).data) == b"\xaa\xbb\xcc\xdd"
    assert len(slave.trans) == 2 and len(core) == 1  # the next one started


class FinishedByAThread(rim.Slave):
    """Hands each transaction to a thread that finishes it (or fails it) before ``_doTransaction`` returns."""

    def __init__(self, error: str = "") -> None:
        super().__init__(4, 0xFFFFFFFF)
        self.error = error

    def _doTransaction(self, tran: rim.Transaction) -> None:
        def finish() -> None:
            with tran.lock():
                if self.error:
                    tran.error(self.error)
                else:
                    tran.setData(b"\x11\x22\x33\x44")
                    tran.done()

        t = threading.Thread(target=finish)
        t.start()
        t.join()


@pytest.mark.parametrize("error", ["", "bus error"])
def test_finished_by_another_thread_within_the_call_is_answered_at_once_without_a_wake_up(error: str) -> None:
    # Only a transaction still running when the slave's call returns needs the I/O thread woken later.
    wake = Wakes()
    core = _core(FinishedByAThread(error), wake=wake)
    out = core.receive(_read(1))
    assert len(out) == 1 and _result(out[0]) == (error or "OK")
    if not error:
        assert bytes(w.decode_response(out[0][1]).data) == b"\x11\x22\x33\x44"
    assert wake.count == 0 and core.deadline() is None and len(core) == 0
    assert (core.served, core.failed) == (1, 1 if error else 0)


def test_server_transaction_wakes_only_once_its_wake_is_set() -> None:
    woken: list[int] = []
    early = _server_core.ServerTransaction(0, memoryview(bytearray(4)), 4, w.READ, 1.0)
    early._wake_io = None  # finished within the slave's call: nobody to wake
    assert early._complete(b"abcd") and woken == []
    late = _server_core.ServerTransaction(0, memoryview(bytearray(4)), 4, w.READ, 1.0)
    late._wake_io = lambda: woken.append(1)  # still running after the call: its completion wakes the I/O layer
    assert late._complete(b"abcd") and woken == [1]
    assert not late._complete(b"efgh") and woken == [1]  # a second completion changes nothing


def test_a_running_transactions_timer_starts_at_the_first_poll_after_the_slave_returned() -> None:
    """The core reads no clock: 0 asks for a poll at once, whose time starts the timer (Rogue: when the call returns)."""
    slave = Held()
    core = _core(slave, timeout=30.0)
    assert core.deadline() is None
    core.receive(_read(1))
    assert core.deadline() == 0.0 and slave.trans[0]._deadline == float("inf")  # not started yet
    now = monotonic()
    assert core.poll(now) == ()
    assert core.deadline() == now + 30.0 == slave.trans[0]._deadline
    assert core.poll(now + 29.0) == () and core.deadline() == now + 30.0  # started once


def test_never_completing_slave_times_out_with_rogue_text() -> None:
    slave = Held()
    core = _core(slave, timeout=0.05)
    start = monotonic()
    core.receive(_read(1))
    core.receive(_write(2, 0x10, b"WXYZ"))
    assert core.deadline() == 0.0 and core.poll(start) == ()  # the timer starts at this poll
    deadline = core.deadline()
    assert deadline == start + 0.05
    assert core.poll(deadline - 0.04) == ()  # not yet due
    out = core.poll(deadline)
    assert len(out) == 1
    resp = w.decode_response(out[0][1])
    tid = slave.trans[0].id()
    assert resp.result == f"Timeout waiting for register transaction {tid} message response."
    assert bytes(resp.data) == bytes(4)  # a failed read answers zeros
    assert core.deadline() == 0.0  # the write is running now: its timer starts at the next poll
    core.poll(monotonic())
    out = core.poll(core.deadline())  # the write times out too, its data echoed
    resp = w.decode_response(out[0][1])
    assert resp.result.startswith("Timeout waiting") and bytes(resp.data) == b"WXYZ"
    assert (core.served, core.failed, core.timed_out) == (2, 2, 2)
    slave.trans[0].done()  # too late: ignored, nothing more to answer
    assert core.poll(monotonic()) == ()


def test_slave_error_is_failed_not_timed_out() -> None:
    slave = Held()
    core = _core(slave)
    core.receive(_read(1))
    slave.trans[0].error("bus error at 0x100")
    assert _result(core.poll(monotonic())[0]) == "bus error at 0x100"
    assert (core.served, core.failed, core.timed_out) == (1, 1, 0)


@pytest.mark.parametrize(("exc", "text"), [(RuntimeError("broken slave"), "broken slave"), (KeyError(), "KeyError")])
def test_slave_exception_becomes_the_error_text(exc: Exception, text: str, caplog: pytest.LogCaptureFixture) -> None:
    core = _core(Raising(exc))
    with caplog.at_level(logging.ERROR, logger=_LOG.name):
        out = core.receive(_read(5))
    assert _result(out[0]) == text
    assert (core.served, core.failed, core.timed_out, len(core)) == (1, 1, 0, 0)
    assert "Exception in _doTransaction" in caplog.text
    assert _result(core.receive(_read(6))[0]) == text  # the next one runs too


def test_slave_and_timeout_looked_up_per_transaction() -> None:
    slaves: list[Any] = [Raising(RuntimeError("first"))]
    timeouts = [1.0]
    core = ServerCore(lambda: slaves[0], lambda: timeouts[0], Wakes(), _LOG)
    assert _result(core.receive(_read(1))[0]) == "first"
    slaves[0] = rim.Emulate()
    timeouts[0] = 0.5
    assert _result(core.receive(_read(2))[0]) == "OK"
    slaves[0] = Held()
    core.receive(_read(3))
    assert slaves[0].trans[0]._timeout == 0.5


def test_back_pressure_on_and_off() -> None:
    slave = Held()
    core = _core(slave, max_queue=3)
    for tid in range(1, 3):
        core.receive(_read(tid))
        assert core.reading()
    core.receive(_read(3))
    assert not core.reading() and len(core) == 3  # the I/O layer stops reading
    core.receive(_P)  # a probe reaching it anyway is still answered
    slave.trans[0].done()
    assert len(core.poll(monotonic())) == 1
    assert core.reading() and len(core) == 2


def test_abandon_forgets_everything() -> None:
    slave = Held()
    core = _core(slave)
    core.receive(_read(1))
    core.receive(_read(2))
    core.abandon()
    assert len(core) == 0 and core.deadline() is None and core.poll(monotonic()) == ()
    assert core.reading()


def test_counters_together() -> None:
    core = _core(rim.Emulate())
    core.receive(_P)
    core.receive([b"junk"])
    core.receive(_read(1))
    core.receive(w.encode_request(2, 0x10, 4, w.VERIFY))
    assert (core.served, core.failed, core.timed_out, core.malformed, core.probes) == (2, 0, 0, 1, 1)


# -- direct access (a slave that does an access at once: no ServerTransaction) ---------------------------------


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every ServerTransaction the core makes from now on."""
    return record_made(monkeypatch, _server_core, "ServerTransaction")


class OwnDo(rim.Emulate):
    """An Emulate subclass with a _doTransaction of its own: it must see every access."""

    def __init__(self) -> None:
        super().__init__(4, 0x1000)
        self.seen = 0

    def _doTransaction(self, tran: rim.Transaction) -> None:
        self.seen += 1
        super()._doTransaction(tran)


def test_direct_slave_answered_without_a_transaction(made: list[Any]) -> None:
    hub = rim.Hub(0x10000, 0, 0)
    hub >> rim.Emulate(4, 0x1000)
    core = _core(hub)
    data = bytes(range(1, 9))
    reply = core.receive(_write(1, 0x100, data))[0]
    assert w.decode_response(reply[1]) == (1, 0x100, 8, w.WRITE, data, "OK")
    reply = core.receive(_read(2, 0x100, 8))[0]
    assert w.decode_response(reply[1]) == (2, 0x100, 8, w.READ, data, "OK")
    # The 0x10000 offset of the hub was applied: the Emulate below saw 0x10100.
    assert bytes(reply[1][4]) == data and core.served == 2, made
    assert not made, made


def test_direct_refused_goes_the_usual_way(made: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    """Accesses the slave would not do at once, a slave that must see every access, debug lines: a Transaction."""
    slaves: list[Any] = [rim.Emulate(4, 0x1000)]
    core = ServerCore(lambda: slaves[0], lambda: 1.0, Wakes(), _LOG)
    data = bytes(range(16))
    assert _result(core.receive(_write(1, 0xFF8, data))[0]) == "OK"  # spans two pages
    assert len(made) == 1
    reply = core.receive(_read(2, 0xFF8, 16))[0]
    assert bytes(reply[1][4]) == data and len(made) == 2
    own = OwnDo()
    slaves[0] = own  # looked up per request: the new slave's own _doTransaction sees the access
    assert _result(core.receive(_read(3))[0]) == "OK"
    assert own.seen == 1 and len(made) == 3
    slaves[0] = rim.Emulate(4, 0x1000)
    with caplog.at_level(logging.DEBUG, logger=_LOG.name):
        assert _result(core.receive(_read(4))[0]) == "OK"
    assert len(made) == 4 and "as transaction" in caplog.text
    assert _result(core.receive(_read(5))[0]) == "OK"
    assert len(made) == 4  # debug off again: at once
