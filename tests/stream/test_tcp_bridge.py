"""Stream TCP bridge in one process: round trips, link state, counters, errors, logging."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import pytest
import zmq
from conftest import wait_until
from tcp_bridge_helpers import Recorder, Sender, raw_peer, wait_for

import rogue
import rogue.interfaces.stream as ris
from rogue._transport import context

Pair = tuple[ris.TcpServer, ris.TcpClient, Sender, Recorder, Sender, Recorder]


@pytest.fixture
def pair(port: int, no_thread_leak: None) -> Iterator[Pair]:
    """A connected server and client: (server, client, server_src, server_dst, client_src, client_dst)."""
    server = ris.TcpServer("127.0.0.1", port)
    client = ris.TcpClient("127.0.0.1", port)
    try:
        s_src, s_dst, c_src, c_dst = Sender(), Recorder(), Sender(), Recorder()
        s_src >> server >> s_dst
        c_src >> client >> c_dst
        assert client.waitReady(5.0) and server.waitReady(5.0)
        yield server, client, s_src, s_dst, c_src, c_dst
    finally:
        client.close()
        server.close()


def test_seed_chain_returns_the_last_slave(port: int, no_thread_leak: None) -> None:
    tcp = ris.TcpServer("127.0.0.1", port)
    try:
        src, dst = Sender(), Recorder()
        assert (src >> tcp >> dst) is dst
        assert isinstance(tcp, ris.TcpCore) and isinstance(tcp, ris.Master) and isinstance(tcp, ris.Slave)
    finally:
        tcp.close()


def test_tcp_core_with_server_flag(port: int, no_thread_leak: None) -> None:
    server = ris.TcpCore("127.0.0.1", port, True)
    client = ris.TcpCore("127.0.0.1", port, False)
    try:
        src, dst = Sender(), Recorder()
        src >> client
        server >> dst
        src.send(b"core", 0x0102, 3, 4)
        assert dst.wait(1)
        assert dst.got == [(b"core", 0x0102, 3, 4)]
    finally:
        client.close()
        server.close()


def test_full_duplex_round_trip(pair: Pair) -> None:
    server, client, s_src, s_dst, c_src, c_dst = pair
    n = 300
    frames = [(bytes([i % 256]) * (i % 50), i & 0xFFFF, i % 256, (i * 7) % 256) for i in range(n)]
    t = threading.Thread(target=lambda: [s_src.send(*f) for f in frames])
    t.start()
    for f in frames:
        c_src.send(*f)
    t.join(10)
    assert s_dst.wait(n) and c_dst.wait(n)
    assert s_dst.got == frames
    assert c_dst.got == frames
    assert server.getTxFrameCount() == client.getRxFrameCount() == n
    assert client.getTxFrameCount() == server.getRxFrameCount() == n
    total = sum(len(f[0]) for f in frames)
    assert server.getTxByteCount() == client.getRxByteCount() == total
    stats = client.stats()
    assert stats["connected"] is True
    assert (stats["txFrames"], stats["rxFrames"], stats["malformed"], stats["txDropped"]) == (n, n, 0, 0)


def test_zero_byte_frames_round_trip(pair: Pair) -> None:
    _server, _client, s_src, s_dst, c_src, c_dst = pair
    c_src.send(b"", 0xFFFF, 255, 255)
    c_src.send(b"", 0, 0, 0)
    c_src.send(b"after-empty", 1, 2, 3)  # the frame after an empty one is not lost
    s_src.send(b"", 0xA55A, 9, 1)
    assert s_dst.wait(3) and c_dst.wait(1)
    assert s_dst.got == [(b"", 0xFFFF, 255, 255), (b"", 0, 0, 0), (b"after-empty", 1, 2, 3)]
    assert c_dst.got == [(b"", 0xA55A, 9, 1)]


def test_large_frames_round_trip_and_sender_may_reuse_frame(pair: Pair) -> None:
    _server, _client, _s_src, s_dst, c_src, _c_dst = pair
    big = bytes(range(256)) * 4096  # 1 MiB: sent zero-copy
    frame = c_src._reqFrame(len(big), True)
    frame.write(big)
    c_src._sendFrame(frame)
    # writing the frame right after sending must not change the bytes in flight
    frame.write(b"\xee" * len(big))
    assert frame.getBytes() == b"\xee" * len(big)
    c_src._sendFrame(frame)
    c_src.send(bytes(8 << 20), 0x8001, 2, 0)
    assert s_dst.wait(3, 10.0)
    assert s_dst.got[0][0] == big
    assert s_dst.got[1][0] == b"\xee" * len(big)
    assert s_dst.got[2] == (bytes(8 << 20), 0x8001, 2, 0)


def test_received_frame_is_writable_copy_on_write(pair: Pair) -> None:
    _server, _client, _s_src, _s_dst, c_src, _c_dst = pair
    got: list[ris.Frame] = []
    ev = threading.Event()

    class Keep(ris.Slave):
        def _acceptFrame(self, f: ris.Frame) -> None:
            got.append(f)
            ev.set()

    _server >> Keep()
    c_src.send(bytes(100_000))
    assert ev.wait(5)
    f = got[0]
    f.write(b"\x01", 5)
    assert f.getBa(0, 7) == bytearray(b"\0\0\0\0\0\x01\0")
    assert f.getPayload() == 100_000


def test_concurrent_senders_are_serialized(pair: Pair) -> None:
    _server, client, _s_src, s_dst, _c_src, _c_dst = pair
    per, nthreads = 300, 4
    srcs = [Sender() for _ in range(nthreads)]
    for s in srcs:
        s >> client

    def run(k: int) -> None:
        for i in range(per):
            srcs[k].send(f"{k}:{i}".encode() * (1 + i % 3), k, k, 0)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert s_dst.wait(per * nthreads, 10.0)
    for k in range(nthreads):
        mine = [g for g in s_dst.got if g[2] == k]
        assert [g[0] for g in mine] == [f"{k}:{i}".encode() * (1 + i % 3) for i in range(per)]


def test_wait_ready_and_link_state(port: int, no_thread_leak: None) -> None:
    client = ris.TcpClient("127.0.0.1", port)
    server = None
    try:
        assert client.waitReady(0.2) is False
        assert client.isConnected() is False
        server = ris.TcpServer("127.0.0.1", port)
        assert server.waitReady(5.0) is True
        assert client.waitReady(5.0) is True
        assert client.isConnected() and server.isConnected()
        assert "connected" in repr(client)
        server.close()
        wait_until(lambda: not client.isConnected(), 5.0, "the client to see the server gone")
        assert client.stats()["connected"] is False
    finally:
        client.close()
        if server is not None:
            server.close()
    assert client.waitReady(0.01) is False  # a stopped bridge is never ready


def test_second_client_warns(port: int, no_thread_leak: None, caplog: pytest.LogCaptureFixture) -> None:
    rogue.Logging.setFilter("pyrogue.stream.TcpCore", rogue.Logging.Warning)
    server = ris.TcpServer("127.0.0.1", port)
    c1 = c2 = None
    try:
        with caplog.at_level(logging.WARNING, logger="pyrogue.stream.TcpCore"):
            c1 = ris.TcpClient("127.0.0.1", port)
            assert c1.waitReady(5.0)
            c2 = ris.TcpClient("127.0.0.1", port)
            assert c2.waitReady(5.0)
            # the server's receive thread sees the second client's events around the same time
            assert wait_for(lambda: any("second client" in r.getMessage() for r in caplog.records), 5.0)
        assert all(r.name == server._log.name for r in caplog.records if "second client" in r.getMessage())
    finally:
        for b in (c1, c2, server):
            if b is not None:
                b.close()


@pytest.mark.parametrize("busy", [0, 1])
def test_port_in_use_raises_general_error(port: int, busy: int, no_thread_leak: None) -> None:
    blocker = context().socket(zmq.PULL)
    blocker.bind(f"tcp://127.0.0.1:{port + busy}")
    try:
        with pytest.raises(rogue.GeneralError) as info:
            ris.TcpServer("127.0.0.1", port)
        msg = str(info.value)
        assert "127.0.0.1" in msg and str(port) in msg and "in use" in msg
    finally:
        blocker.close(linger=0)


def test_client_bad_address_raises_general_error(port: int, no_thread_leak: None) -> None:
    with pytest.raises(rogue.GeneralError) as info:
        ris.TcpClient("no such host!", port)
    assert "no such host!" in str(info.value)


def test_stop_close_idempotent_and_frames_after_stop_dropped(
    port: int, no_thread_leak: None, caplog: pytest.LogCaptureFixture
) -> None:
    rogue.Logging.setFilter("pyrogue.stream.TcpCore", rogue.Logging.Debug)
    with caplog.at_level(logging.DEBUG, logger="pyrogue.stream.TcpCore"):
        client = ris.TcpClient("127.0.0.1", port)
        src = Sender()
        src >> client
        client.stop()
        client.stop()
        client.close()
        client._stop()
        src.send(b"late")  # neither raises nor blocks
    assert client.getTxDropCount() == 1
    assert client.getTxFrameCount() == 0
    assert any("Dropped frame of 4 bytes" in r.getMessage() for r in caplog.records)


def test_receive_thread_named_and_survives_a_failing_slave(pair: Pair, caplog: pytest.LogCaptureFixture) -> None:
    server, _client, _s_src, s_dst, c_src, _c_dst = pair
    assert server._rx in threading.enumerate()
    assert server._rx.name == f"rogue-bridge:TcpCore.127.0.0.1.Server.{server._port}:rx"

    class Boom(ris.Slave):
        def _acceptFrame(self, f: ris.Frame) -> None:
            if f.getBytes() == b"boom":
                raise RuntimeError("user slave failed")

    server >> Boom()  # attached last, so called before s_dst
    with caplog.at_level(logging.ERROR, logger="pyrogue.stream.TcpCore"):
        c_src.send(b"boom")
        c_src.send(b"ok")
        assert s_dst.wait(1)
    assert s_dst.got == [(b"ok", 0, 0, 0)]
    assert server._rx.is_alive()
    assert server.getRxFrameCount() == 2
    assert any("slave failed" in r.getMessage() for r in caplog.records)


def test_stop_from_inside_a_slave_does_not_deadlock(pair: Pair) -> None:
    server, _client, _s_src, _s_dst, c_src, _c_dst = pair
    done = threading.Event()

    class Stopper(ris.Slave):
        def _acceptFrame(self, f: ris.Frame) -> None:
            server.stop()
            done.set()

    server >> Stopper()
    c_src.send(b"stop now")
    assert done.wait(5.0)
    server._rx.join(2.0)
    assert not server._rx.is_alive()


def test_logger_names(port: int, no_thread_leak: None) -> None:
    server = ris.TcpServer("127.0.0.1", port)
    client = ris.TcpClient("127.0.0.1", port)
    try:
        assert server._log.name == f"pyrogue.stream.TcpCore.127.0.0.1.Server.{port}"
        assert client._log.name == f"pyrogue.stream.TcpCore.127.0.0.1.Client.{port}"
    finally:
        client.close()
        server.close()


def test_debug_filter_shows_setup_and_frame_lines(port: int, no_thread_leak: None, caplog: pytest.LogCaptureFixture) -> None:
    rogue.Logging.setFilter("pyrogue.stream.TcpCore", rogue.Logging.Debug)  # before creating, as in the seed
    with caplog.at_level(logging.DEBUG, logger="pyrogue.stream.TcpCore"):
        server = ris.TcpServer("127.0.0.1", port)
        client = ris.TcpClient("127.0.0.1", port)
        try:
            src, dst = Sender(), Recorder()
            src >> client
            server >> dst
            src.send(b"abc", 0x0201, 4, 0)
            assert dst.wait(1)
        finally:
            client.close()
            server.close()
    lines = [(r.name, r.getMessage()) for r in caplog.records]
    sname = f"pyrogue.stream.TcpCore.127.0.0.1.Server.{port}"
    cname = f"pyrogue.stream.TcpCore.127.0.0.1.Client.{port}"
    assert (sname, f"Creating pull server port: tcp://127.0.0.1:{port}") in lines
    assert (sname, f"Creating push server port: tcp://127.0.0.1:{port + 1}") in lines
    assert (cname, f"Creating push client port: tcp://127.0.0.1:{port}") in lines
    assert (cname, f"Creating pull client port: tcp://127.0.0.1:{port + 1}") in lines
    assert (cname, "Sent frame: size=3 flags=0x0201 channel=4 error=0") in lines
    assert (sname, "Received frame: size=3 flags=0x0201 channel=4 error=0") in lines


def test_default_level_is_quiet(port: int, no_thread_leak: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        server = ris.TcpServer("127.0.0.1", port)
        server.close()
    assert not [r for r in caplog.records if r.name.startswith("pyrogue.stream.TcpCore")]


def test_raw_peer_helper_roles(port: int) -> None:
    # sanity check of the helper used by the byte-exact tests: it binds P and P+1 as a server
    with raw_peer(port, play_server=True) as (push, pull):
        assert pull.getsockopt(zmq.LAST_ENDPOINT).decode().endswith(f":{port}")
        assert push.getsockopt(zmq.LAST_ENDPOINT).decode().endswith(f":{port + 1}")


def test_star_binds_all_interfaces(port: int, no_thread_leak: None) -> None:
    server = ris.TcpServer("*", port)
    client = ris.TcpClient("127.0.0.1", port)
    try:
        assert server._log.name == f"pyrogue.stream.TcpCore.*.Server.{port}"
        src, dst = Sender(), Recorder()
        src >> client
        server >> dst
        src.send(b"to all interfaces", 0xFFFF, 255, 255)
        assert dst.wait(1)
        assert dst.got == [(b"to all interfaces", 0xFFFF, 255, 255)]
    finally:
        client.close()
        server.close()


@pytest.mark.parametrize("late", ["client", "server"])
def test_frames_sent_before_the_slave_is_attached_are_kept(port: int, late: str, no_thread_leak: None) -> None:
    """The far side sends as soon as the link is up; ``tcp >> slave`` runs a moment later: nothing is lost."""
    server = ris.TcpServer("127.0.0.1", port)
    client = ris.TcpClient("127.0.0.1", port)
    try:
        src, dst = Sender(), Recorder()
        sender, receiver = (server, client) if late == "client" else (client, server)
        src >> sender
        frames = [(b"early %d" % i, i, 1, 0) for i in range(20)]
        t = threading.Thread(target=lambda: [src.send(*f) for f in frames])
        t.start()
        assert wait_for(lambda: sender.getTxFrameCount() == len(frames), 5.0)
        threading.Event().wait(0.3)  # the user's script attaches its slave later
        receiver >> dst
        t.join(5)
        assert dst.wait(len(frames))
        assert dst.got == frames
    finally:
        client.close()
        server.close()


@pytest.mark.timeout(20)
def test_bridge_without_slave_drops_after_the_grace(port: int, no_thread_leak: None) -> None:
    """A bridge nobody reads from (send-only) does not hold its far sender forever."""
    server = ris.TcpServer("127.0.0.1", port)
    client = ris.TcpClient("127.0.0.1", port)
    try:
        src = Sender()
        src >> server
        assert client.waitReady(5.0)
        src.send(b"x", 0, 0, 0)
        assert wait_for(lambda: client.getRxFrameCount() == 1, ris.tcp.ATTACH_GRACE_S + 3.0)
    finally:
        client.close()
        server.close()
