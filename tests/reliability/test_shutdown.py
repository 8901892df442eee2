"""Shutdown: stop() under full load returns, unblocks every waiting thread, leaves no thread; exit never hangs.

Full load: several application threads sending frames both ways as fast as
they can (some blocked on back-pressure from a slow slave), masters issuing
transactions back to back. Each stop() runs under a hang guard; the ``no_thread_leak``
fixture then checks ``threading.enumerate()``. Exit is checked in child
processes that never call stop().
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps

from conftest import HANG_S, free_port_pair, free_port_pairs, returns
from reliability_helpers import Sink, wait_until

HERE = Path(__file__).parent


class SlowSink(ris.Slave):
    """A slave that takes 1 ms a frame: the sender meets back-pressure."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def _acceptFrame(self, frame: object) -> None:
        time.sleep(0.001)
        self.count += 1


def _stop_returns(obj: object, stop: Callable[[], None]) -> None:
    """``stop()`` returns (a hang guard of HANG_S, not a speed bound: a loaded CI machine is slow)."""
    returns(stop, HANG_S, f"test:{type(obj).__name__}.stop")


def _senders(bridges: list[ris.TcpCore], per: int, halt: threading.Event) -> list[threading.Thread]:
    """``per`` sender threads per bridge, sending 2 KiB frames until ``halt`` or the bridge stops."""

    def run(bridge: ris.TcpCore) -> None:
        src = ris.Master()
        src >> bridge
        while not halt.is_set() and bridge.getTxDropCount() == 0:  # a drop: the bridge stopped
            frame = src._reqFrame(2048, True)
            frame.write(b"\xa5" * 2048)
            src._sendFrame(frame)  # returns at once (dropped) once the bridge stopped

    threads = [threading.Thread(target=run, args=(b,), name=f"test-sender-{i}") for b in bridges for i in range(per)]
    for t in threads:
        t.start()
    return threads


@pytest.mark.timeout(30)
@pytest.mark.parametrize("first", ["server", "client"])
def test_stream_stop_under_load(port: int, first: str, no_thread_leak: None) -> None:
    srv = ris.TcpServer("127.0.0.1", port)
    cli = ris.TcpClient("127.0.0.1", port)
    slow, fast = SlowSink(), Sink(keep=False)
    srv >> slow
    cli >> fast
    halt = threading.Event()
    threads = []
    try:
        assert cli.waitReady(10) and srv.waitReady(10)
        threads = _senders([cli, srv], 2, halt)
        wait_until(lambda: slow.count > 50 and fast.count > 500, 10, "traffic both ways")
        order = [srv, cli] if first == "server" else [cli, srv]
        for bridge in order:
            _stop_returns(bridge, bridge.stop)
        # Senders blocked in a stopped bridge have returned: their frames are dropped, not stuck.
        for t in threads:
            t.join(HANG_S)
            assert not t.is_alive(), f"{t.name} still blocked after stop()"
    finally:
        halt.set()
        srv.stop()
        cli.stop()
        for t in threads:
            t.join(2)


@pytest.mark.timeout(30)
def test_stream_stop_with_sender_blocked_on_absent_peer(port: int, no_thread_leak: None) -> None:
    cli = ris.TcpClient("127.0.0.1", port)  # no server: every send blocks
    halt = threading.Event()
    threads = _senders([cli], 3, halt)
    try:
        time.sleep(0.2)  # let them block (nothing to wait for: they cannot make progress)
        assert cli.getTxFrameCount() == 0
        _stop_returns(cli, cli.stop)
        for t in threads:
            t.join(HANG_S)
            assert not t.is_alive()
    finally:
        halt.set()
        cli.stop()


def _masters(clients: list[rim.Slave], per: int, halt: threading.Event, errors: list[str]) -> list[threading.Thread]:
    """Master threads issuing write/read transactions back to back until ``halt``."""

    def run(slave: rim.Slave, base: int) -> None:
        m = rim.Master()
        m >> slave
        m._setTimeout(500_000)  # a transaction cut by stop() ends within 0.5 s at worst
        buf = bytearray(16)
        while not halt.is_set():
            m._clearError()
            tid = m._reqTransaction(base, buf, 16, 0, rim.Write)
            m._waitTransaction(tid)
            if m._getError():
                errors.append(m._getError())

    threads = [threading.Thread(target=run, args=(c, 0x1000 * i), name=f"test-master-{i}")
               for c in clients for i in range(per)]
    for t in threads:
        t.start()
    return threads


@pytest.mark.timeout(30)
@pytest.mark.parametrize("first", ["server", "client"])
def test_memory_and_srp_stop_under_load(first: str, no_thread_leak: None) -> None:
    """TcpClient -> TcpServer -> SrpV3 == SrpV3Emulation, loaded; every stop() within 1 s."""
    port = free_port_pair()
    srv = rim.TcpServer("127.0.0.1", port)
    srp, emu = rps.SrpV3(), rps.SrpV3Emulation()
    srv >> srp
    srp == emu
    cli = rim.TcpClient("127.0.0.1", port)
    halt = threading.Event()
    errors: list[str] = []
    threads: list[threading.Thread] = []
    try:
        assert cli.waitReady(10)
        threads = _masters([cli], 4, halt, errors)
        wait_until(lambda: srv.getServedCount() > 200, 10, "transactions served")
        assert not errors, errors[:3]
        order = [(srv, srv.stop), (cli, cli.stop)] if first == "server" else [(cli, cli.stop), (srv, srv.stop)]
        for obj, stop in order + [(emu, emu.stop), (srp, srp.stop)]:
            _stop_returns(obj, stop)
        wait_until(lambda: errors, HANG_S, "a transaction failed after the stops")  # never a silent success
        halt.set()
        for t in threads:
            t.join(HANG_S)
            assert not t.is_alive(), f"{t.name} still waiting after stop()"
        # Transactions cut by the stop failed with a clear text (never hung, never a silent success).
        # The client stopped first: every failure is its stop. The server first: the client's in-flight
        # transactions time out or see the link lost, until the client's own stop.
        texts = ("stopped",) if first == "client" else ("stopped", "Timeout", "not connected", "refused")
        assert all(any(t in e for t in texts) for e in errors), set(errors)
    finally:
        halt.set()
        for obj in (cli, srv, emu):
            obj.stop()
        srp.stop()
        for t in threads:
            t.join(2)


@pytest.mark.timeout(30)
def test_fifo_stop_under_load(no_thread_leak: None) -> None:
    fifo = ris.Fifo(0, 0, False)  # unbounded: the worker always has a backlog
    slow = SlowSink()
    fifo >> slow
    src = ris.Master()
    src >> fifo
    for _ in range(5000):
        frame = src._reqFrame(256, True)
        src._sendFrame(frame)
    wait_until(lambda: slow.count > 10, 5, "the worker running")
    _stop_returns(fifo, fifo.stop)
    fifo.stop()  # idempotent


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["return", "sysexit", "blocked"])
def test_interpreter_exit_without_stop(mode: str) -> None:
    """A process that never stops its bridges (under load) still exits promptly and cleanly."""
    ports = free_port_pairs(3)  # stream, memory, and a port where nobody listens
    proc = subprocess.Popen([sys.executable, str(HERE / "exit_without_stop.py"), *map(str, ports), mode],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("ending"), (line, proc.stderr.read() if proc.stderr else "")
        t = time.monotonic()
        rc = proc.wait(20)
        took = time.monotonic() - t
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    err = proc.stderr.read() if proc.stderr else ""
    assert rc == 0, (rc, err[-2000:])
    assert took < 8.0, f"exit took {took:.1f} s"
    assert "Traceback" not in err, err[-2000:]
