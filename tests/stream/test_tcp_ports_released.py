"""Stream bridge lifecycle: when close() returns, the server's ports are free (issue 13).

200 back-to-back server+client cycles on one port pair, each binding the ports
the previous cycle just closed; frames handed in before close() still arrive.
Before the fix 67 of 200 cycles failed to bind (libzmq closed the listeners
after close() had returned).
"""

from __future__ import annotations

import pytest
from resource_baseline import fd_count, heap_in_use, port_states, settles_to, thread_count
from tcp_bridge_helpers import Recorder, Sender

import rogue
import rogue.interfaces.stream as ris

CYCLES = 200
HEAP_LIMIT = 4 << 20


def _cycle(port: int) -> None:
    server = ris.TcpServer("127.0.0.1", port)  # GeneralError if the previous cycle's ports are still held
    try:
        client = ris.TcpClient("127.0.0.1", port)
        try:
            assert client.waitReady(5.0) and server.waitReady(5.0)
        finally:
            client.close()
    finally:
        server.close()


def test_200_cycles_bind_at_once_and_give_everything_back(port: int) -> None:
    for _ in range(10):  # warm up: the shared context, pyzmq's helper thread, allocator pools
        try:
            _cycle(port)
        except rogue.GeneralError:  # only the measured cycles below count
            pass
    fds, threads, heap = fd_count(), thread_count(), heap_in_use()
    failures: list[str] = []
    others: list[str] = []
    for _ in range(CYCLES):
        try:
            _cycle(port)
        except rogue.GeneralError as exc:
            # Ours if the previous cycle's listener still holds the port; else another program's
            # bind came in between (other test runs on this machine scan ports by binding them).
            states = port_states(port, port + 1)
            (failures if any(s.endswith("LISTEN ours") for s in states) else others).append(f"{exc} {states}")
    assert failures == [], f"{len(failures)} of {CYCLES} cycles could not bind: {failures[:3]}"
    assert len(others) <= CYCLES // 20, f"{len(others)} binds failed with no listener of ours on the ports: {others[:3]}"
    assert settles_to(fd_count, fds) <= fds
    assert settles_to(thread_count, threads) <= threads
    if heap is not None:
        grown = settles_to(lambda: heap_in_use() or 0, heap + HEAP_LIMIT, 2.0) - heap
        assert grown < HEAP_LIMIT, f"C heap grew by {grown} bytes over {CYCLES} cycles"


@pytest.mark.parametrize("server_sends", [True, False], ids=["server-to-client", "client-to-server"])
def test_frames_sent_before_close_arrive_and_ports_are_free(port: int, server_sends: bool) -> None:
    frames = [bytes([i]) * (1 + 97 * i) for i in range(40)]  # 1 byte .. 3.8 kB, some zero-copy sized
    for cycle in range(20):
        server = ris.TcpServer("127.0.0.1", port)
        client = ris.TcpClient("127.0.0.1", port)
        sender, receiver = (server, client) if server_sends else (client, server)
        src, got = Sender(), Recorder()
        src >> sender
        receiver >> got
        try:
            assert client.waitReady(5.0) and server.waitReady(5.0)
            for data in frames:
                src.send(data, 0, cycle, 0)
            sender.close()  # at once: the frames are in libzmq's queue, not yet delivered
            assert got.wait(len(frames)), f"cycle {cycle}: {len(got.got)} of {len(frames)} frames arrived"
            assert [g[0] for g in got.got] == frames
        finally:
            client.close()
            server.close()


def test_close_raises_clearly_when_a_slave_holds_the_receive_thread(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import rogue._transport.listener

    monkeypatch.setattr(rogue._transport.listener, "RELEASE_S", 1.0)  # the wait before giving up (5 s by default)

    release = threading.Event()
    entered = threading.Event()

    class Stuck(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            entered.set()
            release.wait(10.0)

    server = ris.TcpServer("127.0.0.1", port)
    client = ris.TcpClient("127.0.0.1", port)
    server >> Stuck()
    src = Sender()
    src >> client
    try:
        assert client.waitReady(5.0) and server.waitReady(5.0)
        src.send(b"x")
        assert entered.wait(5.0)
        with pytest.raises(rogue.GeneralError, match=rf"port {port} not released.*busy in a slave"):
            server.close()
    finally:
        release.set()
        client.close()
    # Once the slave returns, the receive thread closes the socket: the port can be bound again.
    end_ok = False
    for _ in range(200):
        try:
            ris.TcpServer("127.0.0.1", port).close()
            end_ok = True
            break
        except rogue.GeneralError:
            release.wait(0.01)
    assert end_ok


@pytest.mark.parametrize("kind", ["stream", "memory"])
def test_a_server_refused_on_p_plus_1_leaves_p_free(port: int, kind: str) -> None:
    import socket

    import rogue.interfaces.memory as rim

    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    blocker.bind(("127.0.0.1", port + 1))
    blocker.listen()
    try:
        for _ in range(50):
            with pytest.raises(rogue.GeneralError, match="already in use"):
                (ris.TcpServer if kind == "stream" else rim.TcpServer)("127.0.0.1", port)
            with socket.socket() as probe:  # P was bound and closed again: free at once
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(("127.0.0.1", port))
                probe.listen()
    finally:
        blocker.close()
