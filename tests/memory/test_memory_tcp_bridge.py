"""Memory TCP bridge behaviour in one process: errors, timeouts, readiness, restarts, pipelining, lifecycle."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any
from collections.abc import Iterator

import pytest

import rogue
import rogue.interfaces.memory as rim

from conftest import HANG_S, poll_until, returns, wait_until

_TIMEOUT_TEXT = "Timeout waiting for register transaction {} message response."


class Regs(rim.Master):
    """A user's register master (the seed's ``MyMemMaster`` shape)."""

    def read(self, address: int, size: int = 4) -> tuple[bytes, str]:
        self._clearError()
        buf = bytearray(size)
        self._reqTransaction(address, buf, size, 0, rim.Read)
        self._waitTransaction(0)
        return bytes(buf), self._getError()

    def write(self, address: int, data: bytes, ttype: int = rim.Write) -> str:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, ttype)
        self._waitTransaction(0)
        return self._getError()


def _server(port: int, slave: object, retry_s: float = 2.0) -> rim.TcpServer:
    """A server on ``port``; retries briefly while libzmq still releases a previous server's port."""
    end = time.monotonic() + retry_s
    while True:
        try:
            srv = rim.TcpServer("127.0.0.1", port)
            break
        except rogue.GeneralError:
            if time.monotonic() > end:
                raise
            time.sleep(0.02)
    srv >> slave
    return srv


@pytest.fixture
def closing(no_thread_leak: None) -> Iterator[list]:
    """Objects stopped at the end of the test, before the thread-leak check."""
    items: list = []
    yield items
    for item in reversed(items):
        item.stop()


def _bridge(port: int, closing: list, slave: object, timeout_us: int = 0) -> tuple[rim.TcpServer, rim.TcpClient, Regs]:
    """A server on ``port`` over ``slave``, a client and a ``Regs`` master on it, ready (all stopped at the end)."""
    srv = _server(port, slave)
    closing.append(srv)
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    regs = Regs()
    regs._setTimeout(timeout_us)
    regs >> tcp
    assert tcp.waitReady(timeout=5.0, period=0.05)
    return srv, tcp, regs


@pytest.fixture
def bridge(port: int, closing: list, no_thread_leak: None) -> tuple[Regs, rim.TcpClient, rim.TcpServer, rim.Emulate]:
    emu = rim.Emulate(4, 0x10000)
    srv = _server(port, emu)
    closing.append(srv)
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    regs = Regs()
    regs >> tcp
    assert tcp.waitReady(timeout=5.0, period=0.05)
    return regs, tcp, srv, emu


def test_read_write_post_verify(bridge: tuple) -> None:
    regs, tcp, srv, _ = bridge
    assert regs.write(0x100, b"\x11\x22\x33\x44") == ""
    assert regs.read(0x100) == (b"\x11\x22\x33\x44", "")
    assert regs.write(0x104, b"PPPP", rim.Post) == ""  # completes locally, at once
    assert regs.read(0x104) == (b"PPPP", "")  # executed in arrival order after the post
    regs._clearError()
    buf = bytearray(4)
    regs._reqTransaction(0x100, buf, 4, 0, rim.Verify)
    regs._waitTransaction(0)
    assert (bytes(buf), regs._getError()) == (b"\x11\x22\x33\x44", "")
    assert tcp.isConnected() and srv.isConnected()
    assert srv.getServedCount() == 5 and srv.getFailedCount() == 0


def test_errors_of_the_far_slave_reach_the_caller_as_text(port: int, closing: list, no_thread_leak: None) -> None:
    class Picky(rim.Emulate):
        def _doTransaction(self, tran: rim.Transaction) -> None:
            if tran.address() == 0x2:
                tran.error("Transaction address 0x2 is not aligned to min size 4")
            elif tran.address() == 0x6:
                raise ValueError("slave bug at 0x6")
            else:
                super()._doTransaction(tran)

    srv = _server(port, Picky(4, 4096))
    closing.append(srv)
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    regs = Regs()
    regs >> tcp
    assert tcp.waitReady(5.0, 0.05)
    assert regs.read(0x2) == (bytes(4), "Transaction address 0x2 is not aligned to min size 4")
    assert regs.write(0x6, b"abcd") == "slave bug at 0x6"
    assert regs.read(0x8) == (bytes(4), "")  # the server keeps serving
    assert srv.getFailedCount() == 2 and tcp.stats()["failed"] == 2


def test_timeout_with_no_server(port: int, no_thread_leak: None) -> None:
    tcp = rim.TcpClient("127.0.0.1", port)
    try:
        regs = Regs()
        regs >> tcp
        regs._setTimeout(1_000_000)
        regs._clearError()
        tid = regs._reqTransaction(0x10, bytearray(4), 4, 0, rim.Read)
        # The request is not sent and the caller is not blocked: the call returned before its
        # transaction timed out (no error yet), and it was counted as not sent.
        assert regs._getError() == "" and tcp.stats()["unsent"] == 1
        regs._waitTransaction(0)
        assert regs._getError() == _TIMEOUT_TEXT.format(tid)
        # A post that could not be handed to ZeroMQ is not reported done: it times out too.
        regs._clearError()
        pid = regs._reqTransaction(0x10, b"abcd", 4, 0, rim.Post)
        regs._waitTransaction(0)
        assert regs._getError() == _TIMEOUT_TEXT.format(pid)
        assert tcp.stats()["unsent"] == 2 and not tcp.isConnected()
    finally:
        tcp.stop()


def test_server_started_late(port: int, closing: list, no_thread_leak: None) -> None:
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    emu = rim.Emulate(4, 4096)
    started: list[rim.TcpServer] = []
    timer = threading.Timer(0.3, lambda: started.append(_server(port, emu)))
    timer.start()
    try:
        assert tcp.waitReady(timeout=5.0, period=0.05)
        timer.join()
        regs = Regs()
        regs >> tcp
        assert regs.write(0x20, b"late") == ""
        assert regs.read(0x20) == (b"late", "")
    finally:
        timer.join()
        for srv in started:
            srv.stop()


def test_wait_ready_gives_up_without_freezing_other_threads(port: int, no_thread_leak: None,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    tcp = rim.TcpClient("127.0.0.1", port)
    ticks = 0
    done = threading.Event()

    def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        rogue.Logging.setLevel(rogue.Logging.Warning)
        with caplog.at_level(logging.WARNING):
            assert tcp.waitReady(timeout=0.4, period=0.05) is False
        assert "did not answer the readiness probe" in caplog.text
        # The reference holds the GIL here (1 tick); any real number shows the thread ran.
        assert ticks > 20
    finally:
        done.set()
        t.join()
        tcp.stop()


def test_start_honours_wait_ready(port: int, closing: list, monkeypatch: pytest.MonkeyPatch,
                                  no_thread_leak: None) -> None:
    lazy = rim.TcpClient("127.0.0.1", port)  # waitReady=False: _start does not probe
    lazy._start()
    lazy.stop()  # one client per server port pair
    tcp = rim.TcpClient("127.0.0.1", port, waitReady=True)
    closing.append(tcp)
    # The default wait is 10 s; shorten it for the test.
    monkeypatch.setattr(tcp, "waitReady", lambda: rim.TcpClient.waitReady(tcp, 0.3, 0.05))
    with pytest.raises(rogue.GeneralError, match=f"127.0.0.1:{port}"):
        tcp._start()
    srv = _server(port, rim.Emulate(4, 4096))
    closing.insert(0, srv)
    monkeypatch.setattr(tcp, "waitReady", lambda: rim.TcpClient.waitReady(tcp, 5.0, 0.05))
    tcp._start()


def test_server_restarted(port: int, closing: list, no_thread_leak: None) -> None:
    srv = _server(port, rim.Emulate(4, 4096))
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    regs = Regs()
    regs >> tcp
    try:
        assert tcp.waitReady(5.0, 0.05)
        assert regs.write(0x40, b"one!") == ""
    finally:
        srv.stop()
    srv2 = _server(port, rim.Emulate(4, 4096))
    closing.insert(0, srv2)
    assert tcp.waitReady(5.0, 0.05)
    assert regs.read(0x40) == (bytes(4), "")  # a new server, fresh memory
    assert regs.write(0x40, b"two!") == ""
    assert regs.read(0x40) == (b"two!", "")


class _Gated(rim.Emulate):
    """Sparse memory that holds its first transaction until ``gate`` is set (then completes it from a thread)."""

    def __init__(self) -> None:
        super().__init__(4, 0x10000)
        self.gate = threading.Event()
        self.held: threading.Thread | None = None

    def _doTransaction(self, tran: rim.Transaction) -> None:
        if self.gate.is_set() or self.held is not None:
            super()._doTransaction(tran)
            return

        def later() -> None:
            self.gate.wait(20)
            rim.Emulate._doTransaction(self, tran)

        self.held = threading.Thread(target=later, name="test:gated")
        self.held.start()


@pytest.mark.timeout(30)
def test_thousand_pipelined_transactions(port: int, closing: list, no_thread_leak: None) -> None:
    emu = _Gated()
    srv, tcp, regs = _bridge(port, closing, emu, 10_000_000)
    n = 1000
    regs._clearError()
    for i in range(n):
        regs._reqTransaction(0x1000 + 4 * i, (i * 2654435761 & 0xFFFFFFFF).to_bytes(4, "little"), 4, 0, rim.Write)
    # Every request was sent without waiting for a response; the server holds the first write
    # (once its I/O thread got that far: waited for, not assumed).
    assert tcp.stats()["inFlight"] == n and tcp.stats()["unsent"] == 0
    assert poll_until(lambda: emu.held is not None)
    emu.gate.set()
    regs._waitTransaction(0)
    emu.held.join(5)
    assert regs._getError() == ""
    bufs = [bytearray(4) for _ in range(n)]
    for i, buf in enumerate(bufs):
        regs._reqTransaction(0x1000 + 4 * i, buf, 4, 0, rim.Read)
    regs._waitTransaction(0)
    assert regs._getError() == ""
    assert all(bytes(b) == (i * 2654435761 & 0xFFFFFFFF).to_bytes(4, "little") for i, b in enumerate(bufs))
    stats = tcp.stats()
    assert stats["completed"] == 2 * n and stats["inFlight"] == 0 and stats["timedOut"] == 0
    assert stats["unsent"] == 0  # a burst past the high-water mark waits for room, it is not dropped


def test_a_waiting_master_receives_on_the_response_socket_alone(
        port: int, closing: list, monkeypatch: pytest.MonkeyPatch, no_thread_leak: None) -> None:
    # While the link is up a master waits in a plain receive on the response socket, as a raw
    # pyzmq client does; the poll of all three sockets (responses and both monitors) that
    # follows the link comes at most every _LOOK_S s (50 ms), not once per transaction.
    me = threading.get_ident()
    full: list[int] = []
    service = rim.TcpClient._service

    def counting(self: rim.TcpClient, timeout_ms: int) -> None:
        if threading.get_ident() == me:
            full.append(timeout_ms)
        service(self, timeout_ms)

    monkeypatch.setattr(rim.TcpClient, "_service", counting)
    _, tcp, regs = _bridge(port, closing, rim.Emulate(4, 0x1000))
    assert poll_until(tcp.isConnected)
    full.clear()
    n = 400
    for _ in range(n):
        assert regs.read(0x200) == (bytes(4), "")
    assert len(full) < n / 4, len(full)
    assert tcp.stats()["completed"] >= n


def test_masters_receiving_in_person_still_follow_the_link(port: int, closing: list, no_thread_leak: None) -> None:
    # Back-to-back reads keep the receive thread off the socket; the monitors are still
    # followed (every _LOOK_S), so the server going away is noticed while they run.
    srv, tcp, regs = _bridge(port, closing, rim.Emulate(4, 0x1000), 200_000)
    assert poll_until(tcp.isConnected)
    for _ in range(50):
        assert regs.read(0x10) == (bytes(4), "")
    srv.stop()
    end = time.monotonic() + HANG_S
    while tcp.isConnected() and time.monotonic() < end:
        regs.read(0x10)  # fails with the timeout text once the server is gone
    assert not tcp.isConnected()


def test_server_waits_for_the_next_request_on_the_request_socket_alone(
        port: int, closing: list, monkeypatch: pytest.MonkeyPatch, no_thread_leak: None) -> None:
    # After a request the server's I/O thread waits for the next one in a blocking receive on the
    # request socket, as a plain pyzmq server does; the poll of every socket (requests, both
    # monitors, the waker) comes every _LOOK_S s (50 ms) or after a quiet _HOT_MS, not per request.
    from rogue.interfaces.memory import _tcp_server

    polls: list[int] = []
    real = _tcp_server.poll_items

    def counting(items: Any, timeout_ms: int) -> Any:
        polls.append(timeout_ms)
        return real(items, timeout_ms)

    monkeypatch.setattr(_tcp_server, "poll_items", counting)
    srv, tcp, regs = _bridge(port, closing, rim.Emulate(4, 0x1000))
    assert poll_until(srv.isConnected)
    polls.clear()
    n = 400
    for i in range(n):
        assert regs.write(0x100, i.to_bytes(4, "little")) == ""
        assert regs.read(0x100) == (i.to_bytes(4, "little"), "")
    assert len(polls) < n / 2, len(polls)
    assert srv.getServedCount() >= 2 * n
    # The link is still followed: a client going away is noticed, and the server serves the next one.
    tcp.stop()
    assert poll_until(lambda: not srv.isConnected())
    tcp2 = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp2)
    regs2 = Regs()
    regs2 >> tcp2
    assert tcp2.waitReady(timeout=5.0, period=0.05)
    assert regs2.read(0x100) == ((n - 1).to_bytes(4, "little"), "")


def test_server_looks_for_more_requests_only_when_they_come_in_bursts(
        port: int, closing: list, monkeypatch: pytest.MonkeyPatch, no_thread_leak: None) -> None:
    # Asking whether another request waits (EVENTS) costs a call per request; a sequential
    # client never has one waiting, so the server takes one per wake-up and looks again
    # only every _LOOK-th time or after it found a burst.
    from rogue.interfaces.memory import _tcp_server

    batches: list[int] = []  # 1: a request taken alone (no look for more), else the batch size of a drain
    real = _tcp_server.waiting_messages
    real_one = _tcp_server.recv_parts

    def recording(sock: object, batch: int, *args: object) -> object:
        batches.append(batch)
        return real(sock, batch, *args)

    def recording_one(sock: Any, *args: Any) -> Any:
        batches.append(1)
        return real_one(sock, *args)

    monkeypatch.setattr(_tcp_server, "waiting_messages", recording)
    monkeypatch.setattr(_tcp_server, "recv_parts", recording_one)
    emu = _Gated()
    srv, tcp, regs = _bridge(port, closing, emu, 10_000_000)
    emu.gate.set()
    batches.clear()
    for _ in range(80):
        assert regs.read(0x40) == (bytes(4), "")
    assert batches.count(1) >= 60 and batches.count(_tcp_server._BATCH) <= 12, batches
    # A burst: the server holds the first write until all 300 are queued in ZeroMQ.
    emu.gate.clear()
    regs._clearError()
    batches.clear()
    for i in range(300):
        regs._reqTransaction(0x1000 + 4 * i, i.to_bytes(4, "little"), 4, 0, rim.Write)
    assert poll_until(lambda: emu.held is not None)
    # All of them received (queued behind the held one) before it finishes: once the slave is idle again, a
    # server that served a request waits for the next one alone (a blocking receive, no drain at all).
    assert poll_until(lambda: len(srv._core) >= 300)
    emu.gate.set()
    regs._waitTransaction(0)
    assert regs._getError() == ""
    assert emu.held is not None
    emu.held.join(5)
    assert _tcp_server._BATCH in batches and srv.getServedCount() >= 300 + 80


class _Deferred(rim.Slave):
    """Completes each transaction later from its own thread (as SrpV3 does), recording the order."""

    def __init__(self, delay: float, never: bool = False, hold: threading.Event | None = None) -> None:
        super().__init__(4, 4096)
        self.delay = delay
        self.never = never
        self.hold = hold  # when given, no transaction completes before it is set
        self.started: list[int] = []
        self.active = 0
        self.max_active = 0
        self.timers: list[threading.Timer] = []

    def _doTransaction(self, tran: rim.Transaction) -> None:
        self.started.append(tran.address())
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        self._addTransaction(tran)
        if self.never:
            return
        timer = threading.Timer(self.delay, self._finish, (tran.id(),))
        self.timers.append(timer)
        timer.start()

    def _finish(self, tid: int) -> None:
        if self.hold is not None:
            self.hold.wait(3 * HANG_S)
        tran = self._getTransaction(tid)
        if tran is None:
            return
        with tran.lock():
            if not tran.expired():
                tran.setData(tran.address().to_bytes(4, "little"))
                self.active -= 1
                tran.done()


def test_async_slave_served_one_at_a_time_in_order(port: int, closing: list, no_thread_leak: None) -> None:
    hold = threading.Event()
    slave = _Deferred(0.0, hold=hold)
    srv = _server(port, slave)
    srv._setTimeout(int(3 * HANG_S * 1e6))  # the held transaction must not time out at the server
    closing.append(srv)
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    regs = Regs()
    regs._setTimeout(10_000_000)
    regs >> tcp
    assert tcp.waitReady(5.0, 0.05)
    bufs = [bytearray(4) for _ in range(20)]
    for i, buf in enumerate(bufs):
        regs._reqTransaction(0x100 + 4 * i, buf, 4, 0, rim.Read)
    # The slave holds the first read; the other 19 queue behind it at the server (one at a time).
    wait_until(lambda: slave.started == [0x100], what="the first read held in the slave")
    # A probe is answered while the queue is provably not empty: it does not wait for the queue.
    try:
        assert tcp.waitReady(HANG_S, 0.5), "the probe waited for the queue to drain"
        assert slave.started == [0x100] and slave.active == 1, "the queue moved before the probe was answered"
    finally:
        hold.set()
    regs._clearError()
    regs._waitTransaction(0)
    assert regs._getError() == ""
    assert slave.started == [0x100 + 4 * i for i in range(20)] and slave.max_active == 1
    assert [int.from_bytes(b, "little") for b in bufs] == slave.started
    for timer in slave.timers:
        timer.join()


def test_server_times_out_a_slave_that_never_answers(port: int, closing: list, no_thread_leak: None) -> None:
    slave = _Deferred(0.0, never=True)
    srv = _server(port, slave)
    srv._setTimeout(200_000)
    closing.append(srv)
    tcp = rim.TcpClient("127.0.0.1", port)
    closing.append(tcp)
    regs = Regs()
    regs >> tcp
    regs._setTimeout(3_000_000)
    assert tcp.waitReady(5.0, 0.05)
    data, err = regs.read(0x10)
    # The server's own transaction id is in the text (as with C++ Rogue: "... transaction 12 ...").
    assert err.startswith("Timeout waiting for register transaction ") and data == bytes(4)
    assert srv.getTimeoutCount() == 1 and srv.getFailedCount() == 1
    assert regs.read(0x14)[1].startswith("Timeout")  # and it serves the next one


def test_lifecycle(port: int, no_thread_leak: None) -> None:
    srv = _server(port, rim.Emulate(4, 4096))
    with pytest.raises(rogue.GeneralError) as exc:
        rim.TcpServer("127.0.0.1", port)
    assert "127.0.0.1" in str(exc.value) and str(port) in str(exc.value)
    tcp = rim.TcpClient("127.0.0.1", port)
    regs = Regs()
    regs >> tcp
    assert tcp.waitReady(5.0, 0.05)

    def stop_all() -> None:  # each name, twice over: idempotent, and none of them waits on the other side
        tcp.stop()
        tcp.close()
        tcp._stop()
        srv._stop()
        srv.stop()
        srv.close()

    returns(stop_all, name="test:stop-all")  # a hang guard
    regs._setTimeout(int(3 * HANG_S * 1e6))
    assert "stopped" in returns(lambda: regs.read(0x0)[1])  # fails at once with the stop's text, not by a timeout
    assert not tcp.isConnected() and not srv.isConnected()


def test_logger_names_and_debug_lines(port: int, closing: list, caplog: pytest.LogCaptureFixture,
                                      no_thread_leak: None) -> None:
    rogue.Logging.setFilter("pyrogue.memory.Tcp", rogue.Logging.Debug)
    with caplog.at_level(logging.DEBUG, logger="pyrogue.memory"):
        srv = _server(port, rim.Emulate(4, 4096))
        closing.append(srv)
        tcp = rim.TcpClient("127.0.0.1", port)
        closing.append(tcp)
        regs = Regs()
        regs >> tcp
        assert tcp.waitReady(5.0, 0.05)
        assert regs.write(0x8, b"dbg!") == ""
    names = {r.name for r in caplog.records}
    assert f"pyrogue.memory.TcpServer.127.0.0.1.{port}" in names
    assert f"pyrogue.memory.TcpClient.127.0.0.1.{port}" in names
    text = caplog.text
    assert "Creating pull server port" in text and "Creating push client port" in text
    assert "Requested transaction id=" in text and "Forwarding request id=" in text


@pytest.mark.timeout(30)
def test_several_master_threads_share_one_client(bridge: tuple) -> None:
    """Masters in several threads: whoever receives (a waiting master or the receive thread) serves all."""
    _, tcp, _, _ = bridge
    errors: list = []

    def worker(k: int) -> None:
        m = Regs()
        m >> tcp
        base = 0x4000 + 0x100 * k
        for i in range(150):
            val = (k << 24 | i).to_bytes(4, "little")
            err = m.write(base + 4 * (i % 16), val)
            data, err2 = m.read(base + 4 * (i % 16))
            if err or err2 or data != val:
                errors.append((k, i, err, err2, data))
                return
        bufs = [bytearray(4) for _ in range(16)]  # a pipelined burst from this thread too
        m._clearError()
        for i, buf in enumerate(bufs):
            m._reqTransaction(base + 4 * i, buf, 4, 0, rim.Read)
        m._waitTransaction(0)
        if m._getError() or any(int.from_bytes(b[3:], "little") != k for b in bufs):
            errors.append((k, "burst", m._getError()))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    stats = tcp.stats()
    assert stats["timedOut"] == 0 and stats["inFlight"] == 0 and stats["unknown"] == 0


def test_wait_from_another_thread_and_posts_between(bridge: tuple) -> None:
    """A transaction issued in one thread and waited for in another; posts whose answers nobody awaits."""
    regs, tcp, _, _ = bridge
    buf = bytearray(4)
    regs._clearError()
    for i in range(20):
        regs._reqTransaction(0x500 + 4 * i, i.to_bytes(4, "little"), 4, 0, rim.Post)
    tid = regs._reqTransaction(0x500 + 4 * 19, buf, 4, 0, rim.Read)
    waiter = threading.Thread(target=regs._waitTransaction, args=(tid,))
    waiter.start()
    waiter.join(5.0)
    assert not waiter.is_alive()
    assert regs._getError() == "" and int.from_bytes(buf, "little") == 19
    assert regs.read(0x500) == (bytes(4), "")
    assert tcp.stats()["unknown"] == 0  # the servers' answers to posts are dropped silently


@pytest.mark.parametrize("exclusive", [True, False])
def test_stop_closes_every_socket_it_opened(port: int, exclusive: bool) -> None:
    """No socket outlives stop() (one left open holds interpreter exit for the context's flush bound)."""
    from rogue import _transport as _zmq

    ctx = _zmq.context()
    before = {s for s in ctx._sockets if not s.closed}
    srv = _server(port, rim.Emulate(4, 4096)) if exclusive else rim.TcpServer("127.0.0.1", port, exclusive=False)
    tcp = rim.TcpClient("127.0.0.1", port)
    assert tcp.waitReady(5.0, 0.05)
    tcp.stop()
    srv.stop()

    def left() -> list:  # type: ignore[type-arg]
        return [s for s in ctx._sockets if not s.closed and s not in before]

    # the ZAP service (exclusive servers) ends in its own thread
    assert poll_until(lambda: not left(), period=0.02), [(s, s.type) for s in left()]
