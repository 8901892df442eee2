"""A memory server never misroutes a response: one client per port pair, or many clients when asked."""

from __future__ import annotations

import json
import logging
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

import rogue
import rogue.interfaces.memory as rim
from rogue._security import handshake_result
from rogue._transport import context

from conftest import wait_until

HERE = Path(__file__).parent
_HS = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
_HS |= zmq.EVENT_DISCONNECTED


class Regs(rim.Master):
    """A user's register master with blocking helpers."""

    def read(self, address: int, size: int = 4) -> tuple[bytes, str]:
        self._clearError()
        buf = bytearray(size)
        self._reqTransaction(address, buf, size, 0, rim.Read)
        self._waitTransaction(0)
        return bytes(buf), self._getError()

    def write(self, address: int, data: bytes) -> str:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Write)
        self._waitTransaction(0)
        return self._getError()


@pytest.fixture(autouse=True)
def _warnings_shown() -> None:
    rogue.Logging.setLevel(rogue.Logging.Warning)


@pytest.fixture
def closing() -> Iterator[list]:
    items: list = []
    yield items
    for item in reversed(items):
        item.stop() if hasattr(item, "stop") else item.close()


def client(closing: list, port: int, timeout_us: int = 2_000_000, **kw) -> tuple[Regs, rim.TcpClient]:
    tcp = rim.TcpClient("127.0.0.1", port, **kw)
    closing.append(tcp)
    regs = Regs()
    regs >> tcp
    regs._setTimeout(timeout_us)
    return regs, tcp


def server(closing: list, port: int, **kw) -> tuple[rim.TcpServer, rim.Emulate]:
    emu = rim.Emulate(4, 0x1000)
    srv = rim.TcpServer("127.0.0.1", port, **kw)
    closing.append(srv)
    srv >> emu
    return srv, emu


def warnings(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage()]


class RawRogueClient:
    """A C++-Rogue-shaped client: raw PUSH to P and PULL from P+1, connected at once (wire.md)."""

    def __init__(self, port: int) -> None:
        ctx = context()
        self.push = ctx.socket(zmq.PUSH)
        self.push.setsockopt(zmq.IMMEDIATE, 1)
        self.push.linger = 0
        self.pull = ctx.socket(zmq.PULL)
        self.pull.linger = 0
        self.mons = [s.get_monitor_socket(_HS) for s in (self.push, self.pull)]
        self.push.connect(f"tcp://127.0.0.1:{port}")
        self.pull.connect(f"tcp://127.0.0.1:{port + 1}")

    def outcomes(self, timeout: float = 5.0) -> list[str | None]:
        result = []
        for mon in self.mons:
            outcome = None
            if mon.poll(int(timeout * 1000)):
                msg = mon.recv_multipart()
                event = int.from_bytes(msg[0][:2], "little")
                outcome = handshake_result(event, int.from_bytes(msg[0][2:6], "little"))
                if event == zmq.EVENT_DISCONNECTED:
                    outcome = "dropped"
            result.append(outcome)
        return result

    def write_request(self, tid: int, address: int, data: bytes) -> list[bytes]:
        return [struct.pack("<I", tid), struct.pack("<Q", address), struct.pack("<I", len(data)),
                struct.pack("<I", 2), data]

    def close(self) -> None:
        for sock, mon in zip((self.push, self.pull), self.mons):
            sock.disable_monitor()
            sock.close(linger=0)
            mon.close(linger=0)


@pytest.mark.timeout(40)
def test_second_client_refused_fast_first_unaffected_then_admitted(port, no_thread_leak, closing, caplog):
    _srv, emu = server(closing, port)
    a, a_tcp = client(closing, port)
    assert a_tcp.waitReady(5)
    pattern = bytes(range(256)) * 16
    assert a.write(0, pattern) == ""

    results: list[bool] = []

    def reads() -> None:
        ok = True
        for i in range(10_000):
            addr = (i * 4) % len(pattern)
            data, err = a.read(addr)
            ok &= err == "" and data == pattern[addr:addr + 4]
        results.append(ok)

    worker = threading.Thread(target=reads)
    worker.start()
    b, b_tcp = client(closing, port, timeout_us=10_000_000)
    refusal = f"memory server at 127.0.0.1:{port} already serves another client"
    assert not b_tcp.waitReady(5)  # returns at once with the refusal warning
    assert b_tcp.getRefusal() == refusal
    for _ in range(5):
        start = time.monotonic()
        data, err = b.read(0)
        assert err == refusal
        assert time.monotonic() - start < 5  # fails at once, not after B's 10 s timeout
        time.sleep(0.05)
    assert b.write(0, b"BBBB") == refusal
    worker.join(30)
    assert results == [True]  # A's 10 000 reads during B's attempts: all correct
    assert warnings(caplog, refusal)
    server_warnings = warnings(caplog, "refused another client from 127.0.0.1")
    assert len(server_warnings) == 1  # one per refused address, not one per attempt

    a_tcp.stop()
    wait_until(lambda: not b.read(0)[1], what="B admitted (it asks again every second)")
    assert b.read(0) == (pattern[:4], "")
    assert b.write(8, b"BBBB") == ""
    assert b.read(8) == (b"BBBB", "")


@pytest.mark.timeout(30)
def test_rogue_shaped_second_client_gets_nothing(port, no_thread_leak, closing):
    _srv, emu = server(closing, port)
    a, a_tcp = client(closing, port)
    assert a_tcp.waitReady(5)
    assert a.write(0x10, b"AAAA") == ""
    raw = RawRogueClient(port)
    closing.append(raw)
    assert raw.outcomes() == ["busy", "busy"]
    with pytest.raises(zmq.Again):  # its request socket never connected: nothing can be sent
        raw.push.send_multipart(raw.write_request(1, 0x10, b"XXXX"), zmq.NOBLOCK)
    for i in range(200):
        assert a.read(0x10) == (b"AAAA", "")
    assert raw.pull.poll(100) == 0  # not a single response reached it
    check = Regs()
    check >> emu
    assert check.read(0x10) == (b"AAAA", "")


@pytest.mark.timeout(30)
def test_not_exclusive_is_the_reference_round_robin(port, no_thread_leak, closing):
    _srv, _emu = server(closing, port, exclusive=False)
    a, a_tcp = client(closing, port, timeout_us=300_000)
    assert a_tcp.waitReady(5)
    b, b_tcp = client(closing, port, timeout_us=300_000)
    assert b_tcp.waitReady(5)  # its probes may take a few tries: answers alternate between clients
    answered = sum(a.read(0)[1] == "" for _ in range(12))
    assert 0 < answered < 12  # the server's PUSH gives every other answer to B
    wait_until(lambda: b_tcp.stats()["unknown"] > 0, what="A's responses arriving at B")


_MANY_CLIENT = """
import json, sys
sys.path[:0] = [{here!r}, {tests!r}]  # this module, and conftest beside tests/
from test_memory_exclusive import many_client_run
print(json.dumps(many_client_run(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
"""


def many_client_run(port: int, index: int, count: int) -> dict:
    """One many-clients client process: interleaved writes and reads of its own addresses."""
    tcp = rim.TcpClient("127.0.0.1", port, manyClients=True)
    regs = Regs()
    regs >> tcp
    regs._setTimeout(10_000_000)
    try:
        if not tcp.waitReady(20):
            return {"ready": False}
        base = 0x10000 * (index + 1)
        wrong = errors = 0
        for i in range(count // 2):
            addr = base + 4 * (i % 256)
            value = struct.pack("<HH", index, i & 0xFFFF)
            errors += regs.write(addr, value) != ""
            data, err = regs.read(addr)
            errors += err != ""
            wrong += err == "" and data != value
        return {"ready": True, "wrong": wrong, "errors": errors, **tcp.stats()}
    finally:
        tcp.stop()


@pytest.mark.timeout(60)
def test_many_clients_each_get_their_own_answers(port, no_thread_leak, closing):
    srv, emu = server(closing, port, manyClients=True)
    count = 1_024  # each client's 512 writes go round its 256 addresses twice, interleaved with the 7 others
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _MANY_CLIENT.format(here=str(HERE), tests=str(HERE.parent)), str(port), str(i), str(count)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    reports = []
    for proc in procs:
        out, _ = proc.communicate(timeout=50)
        assert proc.returncode == 0
        reports.append(json.loads(out.strip().splitlines()[-1]))
    for report in reports:
        assert report["ready"]
        assert report["errors"] == 0 and report["wrong"] == 0
        assert report["timedOut"] == 0 and report["unknown"] == 0 and report["malformed"] == 0
        assert report["completed"] == count
    assert srv.stats()["served"] >= 8 * count
    check = Regs()
    check >> emu
    for i in range(8):  # the last value each client wrote is in memory
        last = count // 2 - 1
        assert check.read(0x10000 * (i + 1) + 4 * (last % 256)) == (struct.pack("<HH", i, last), "")


@pytest.mark.timeout(30)
def test_many_clients_port_refuses_plain_clients(port, no_thread_leak, closing, caplog):
    _srv, emu = server(closing, port, manyClients=True)
    raw = RawRogueClient(port)
    closing.append(raw)
    assert raw.outcomes() == ["ok", "dropped"]  # ZMTP: a PULL cannot talk to the ROUTER
    raw.push.send_multipart(raw.write_request(1, 0x20, b"XXXX"))
    wait_until(lambda: warnings(caplog, "request without a client route"), what="the 'no client route' warning")
    check = Regs()
    check >> emu
    assert check.read(0x20) == (bytes(4), "")  # the misdirected write did nothing

    plain, plain_tcp = client(closing, port)
    assert not plain_tcp.waitReady(5)
    assert "does not accept plain clients" in plain.read(0)[1]
    many, many_tcp = client(closing, port, manyClients=True)
    assert many_tcp.waitReady(5)
    assert many.write(0x20, b"MANY") == ""
    assert many.read(0x20) == (b"MANY", "")


@pytest.mark.timeout(30)
def test_many_clients_client_on_a_plain_server_says_so(port, no_thread_leak, closing):
    _srv, emu = server(closing, port)
    regs, tcp = client(closing, port, manyClients=True)
    assert not tcp.waitReady(5)
    assert "does not accept many-clients clients" in tcp.getRefusal()
    assert "does not accept many-clients clients" in regs.write(0, b"XXXX")
    check = Regs()
    check >> emu
    assert check.read(0) == (bytes(4), "")
