"""Stream TCP bridge blocking, stopping, closing and reconnecting."""

from __future__ import annotations

import threading
import time

import pytest
import zmq
from tcp_bridge_helpers import Recorder, Sender, raw_peer, wait_for

import rogue
import rogue.interfaces.stream as ris

from conftest import HANG_S, returns

FLUSH_S = 6.0  # flushTimeout where a test proves close() does not wait for the flush (atexit's term() may)


def _send_in_thread(src: Sender, frames: list[bytes]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for i, data in enumerate(frames):
                src.send(data, 0, i % 256, 0)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    t = threading.Thread(target=run, name="test-sender")
    t.start()
    return t, errors


def _server_retry(port: int, timeout: float = 2.0) -> ris.TcpServer:
    """A server on ``port``; retries while the previous server's listener is still being released."""
    end = time.monotonic() + timeout
    while True:
        try:
            return ris.TcpServer("127.0.0.1", port)
        except rogue.GeneralError:
            if time.monotonic() > end:
                raise
            time.sleep(0.02)


def test_stop_interrupts_send_blocked_without_peer(port: int, no_thread_leak: None) -> None:
    client = ris.TcpClient("127.0.0.1", port)
    src = Sender()
    src >> client
    t, errors = _send_in_thread(src, [b"blocked"] * 3)
    t.join(0.3)
    assert t.is_alive(), "a send with no peer must block"
    assert client.getTxFrameCount() == 0
    client.stop()
    t.join(HANG_S)  # a hang guard: the blocked sender returns because of the stop
    assert not t.is_alive(), "stop() did not unblock the sender"
    assert errors == []
    assert client.getTxFrameCount() == 0
    assert client.getTxDropCount() == 3  # the blocked frame and the two after it


def test_stop_interrupts_send_blocked_by_back_pressure(port: int, no_thread_leak: None) -> None:
    # A raw server that never reads: queues and TCP buffers fill, then the sender blocks.
    with raw_peer(port, play_server=True) as (_push, pull):
        pull.setsockopt(zmq.RCVHWM, 1)
        client = ris.TcpClient("127.0.0.1", port)
        src = Sender()
        src >> client
        stop = threading.Event()

        def run() -> None:
            payload = bytes(1000)
            while not stop.is_set() and client._running:
                src.send(payload)

        t = threading.Thread(target=run, name="test-sender")
        t.start()
        try:
            # blocked: the count stops moving
            last = -1

            def stalled() -> bool:
                nonlocal last
                now = client.getTxFrameCount()
                done = now == last and now > 0
                last = now
                time.sleep(0.2)
                return done

            assert wait_for(stalled, 20.0)
            assert t.is_alive() and client._running
            frames = client.getTxFrameCount()
            client.stop()
            t.join(HANG_S)  # a hang guard; `stop` (the event) is still clear: only the bridge's stop ends the loop
            assert not t.is_alive(), "stop() did not unblock the sender"
            assert not stop.is_set() and client.getTxFrameCount() == frames
            assert client.getTxDropCount() >= 1  # the blocked frame, dropped by the stop
        finally:
            stop.set()
            client.close()
            t.join(2.0)


def test_client_before_server_blocks_then_delivers_in_order(port: int, no_thread_leak: None) -> None:
    client = ris.TcpClient("127.0.0.1", port)
    server = None
    try:
        src = Sender()
        src >> client
        frames = [f"frame {i}".encode() for i in range(200)]
        t, errors = _send_in_thread(src, frames)
        t.join(0.3)
        assert t.is_alive() and client.getTxFrameCount() == 0
        server = ris.TcpServer("127.0.0.1", port)
        dst = Recorder()
        server >> dst
        assert dst.wait(len(frames), 10.0)
        t.join(5.0)
        assert errors == []
        assert [g[0] for g in dst.got] == frames
        assert [g[2] for g in dst.got] == [i % 256 for i in range(len(frames))]
    finally:
        client.close()
        if server is not None:
            server.close()


@pytest.mark.timeout(30)
def test_server_restarted_mid_stream_client_carries_on(port: int, no_thread_leak: None) -> None:
    client = ris.TcpClient("127.0.0.1", port)
    server = ris.TcpServer("127.0.0.1", port)
    server2 = None
    src = Sender()
    src >> client
    seq = 0
    stop = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        nonlocal seq
        try:
            while not stop.is_set():
                src.send(seq.to_bytes(4, "little"))
                seq += 1
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=run, name="test-sender")
    try:
        first = Recorder()
        server >> first
        t.start()
        assert first.wait(500, 10.0)
        server.close()
        sent_before = client.getTxFrameCount()
        server2 = _server_retry(port)
        second = Recorder()
        server2 >> second
        assert second.wait(500, 10.0)
        assert t.is_alive() and errors == []
        assert client.getTxFrameCount() > sent_before
        got1 = [int.from_bytes(g[0], "little") for g in first.got]
        got2 = [int.from_bytes(g[0], "little") for g in second.got]
        # each server saw the stream in order; the second one picks up after the first
        assert got1 == sorted(got1) and len(set(got1)) == len(got1)
        assert got2 == sorted(got2) and len(set(got2)) == len(got2)
        assert got2[0] > got1[-1]
    finally:
        stop.set()
        client.close()
        t.join(2.0)
        server.close()
        if server2 is not None:
            server2.close()
    assert not t.is_alive()


def test_close_right_after_burst_of_large_frames_loses_none(port: int, no_thread_leak: None) -> None:
    server = ris.TcpServer("127.0.0.1", port)
    client = ris.TcpClient("127.0.0.1", port)
    gate = threading.Event()
    n, size = 200, 1 << 20

    class SlowRecorder(Recorder):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            gate.wait(3 * HANG_S)  # hold delivery until close() returned: the flush is in the background
            super()._acceptFrame(frame)

    try:
        src, dst = Sender(), SlowRecorder()
        src >> client
        server >> dst
        assert client.waitReady(5.0)
        for i in range(n):
            src.send(i.to_bytes(4, "little") * (size // 4))
        returns(client.close, name="test:close")
        # close() returned while delivery was provably still held: the flush goes on in the background.
        assert len(dst.got) == 0 and not gate.is_set()
        gate.set()
        assert dst.wait(n, 20.0), f"only {len(dst.got)} of {n} frames arrived"
        for i, g in enumerate(dst.got):
            assert len(g[0]) == size and g[0][:4] == i.to_bytes(4, "little") and g[0][-4:] == g[0][:4]
    finally:
        gate.set()
        client.close()
        server.close()


def test_close_returns_quickly_with_stuck_peer(port: int, no_thread_leak: None) -> None:
    with raw_peer(port, play_server=True) as (_push, pull):
        pull.setsockopt(zmq.RCVHWM, 1)  # and never read
        client = ris.TcpClient("127.0.0.1", port, flushTimeout=FLUSH_S)
        src = Sender()
        src >> client
        assert client.waitReady(5.0)
        for _ in range(20):
            src.send(bytes(1 << 20))
        # The peer never reads: frames stay queued, and close() does not wait out their flushTimeout.
        returns(client.close, FLUSH_S - 1.0, "test:close")


def test_close_returns_quickly_without_peer(port: int, no_thread_leak: None) -> None:
    for bridge in (ris.TcpClient("127.0.0.1", port), ris.TcpServer("127.0.0.1", port)):
        returns(bridge.close, name="test:close")  # a hang guard: nothing to flush, nothing to wait for


def test_flush_timeout_configurable(port: int, no_thread_leak: None) -> None:
    client = ris.TcpClient("127.0.0.1", port, flushTimeout=0.5)
    server = ris.TcpServer("127.0.0.1", port, flushTimeout=0)
    try:
        assert client._flush_ms == 500 and server._flush_ms == 0
    finally:
        client.close()
        server.close()


def test_many_bridges_share_one_context(no_thread_leak: None) -> None:
    from conftest import free_port_pair

    before = threading.active_count()
    bridges = [ris.TcpServer("127.0.0.1", free_port_pair()) for _ in range(20)]
    try:
        contexts = {id(b._push.context) for b in bridges}
        assert len(contexts) == 1
        # one receive thread per bridge, no extra ZeroMQ context threads visible to Python
        assert threading.active_count() - before == len(bridges)
    finally:
        for b in bridges:
            b.close()


def test_stop_closes_every_socket_it_opened(port: int) -> None:
    """No socket outlives stop(): one left open holds interpreter exit for the context's flush bound (5 s)."""
    from rogue import _transport as _zmq

    ctx = _zmq.context()
    before = {s for s in ctx._sockets if not s.closed}
    srv = ris.TcpServer("127.0.0.1", port)
    cli = ris.TcpClient("127.0.0.1", port)
    assert cli.waitReady(5.0) and srv.waitReady(5.0)
    cli.stop()
    srv.stop()
    left = [s for s in ctx._sockets if not s.closed and s not in before]
    assert not left, [(s, s.type) for s in left]
