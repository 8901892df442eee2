"""Memory bridge lifecycle: when close() returns, the server's ports are free (issue 13).

200 back-to-back server+client cycles on one port pair, in both server modes
(exclusive, the default, whose ZAP service reads the monitors, and Rogue's
shared mode); requests and responses handed to ZeroMQ before close() still
arrive. Before the fix 56 of 200 shared-mode cycles failed to bind.
"""

from __future__ import annotations

import pytest
from resource_baseline import fd_count, heap_in_use, port_states, settles_to, thread_count

import rogue
import rogue.interfaces.memory as rim

from conftest import poll_until

CYCLES = 200
HEAP_LIMIT = 4 << 20


def _cycle(port: int, exclusive: bool) -> None:
    server = rim.TcpServer("127.0.0.1", port, exclusive=exclusive)  # GeneralError if the ports are still held
    try:
        client = rim.TcpClient("127.0.0.1", port)
        try:
            assert client.waitReady(5.0, 0.005)
        finally:
            client.close()
    finally:
        server.close()


@pytest.mark.parametrize("exclusive", [True, False], ids=["exclusive", "shared"])
def test_200_cycles_bind_at_once_and_give_everything_back(port: int, exclusive: bool) -> None:
    for _ in range(10):  # warm up: the shared context, the ZAP service, allocator pools
        try:
            _cycle(port, exclusive)
        except rogue.GeneralError:  # only the measured cycles below count
            pass
    fds, threads, heap = fd_count(), thread_count(), heap_in_use()
    failures: list[str] = []
    others: list[str] = []
    for _ in range(CYCLES):
        try:
            _cycle(port, exclusive)
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


def _wait(cond, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    return poll_until(cond, timeout, 0.002)


def test_posts_sent_before_client_close_arrive(port: int) -> None:
    count = 50
    for cycle in range(10):
        emu = rim.Emulate(4, 4096)
        server = rim.TcpServer("127.0.0.1", port)
        server >> emu
        client = rim.TcpClient("127.0.0.1", port)
        master = rim.Master()
        master >> client
        try:
            assert client.waitReady(5.0, 0.005)
            for i in range(count):
                master._reqTransaction(4 * i, (cycle * 1000 + i).to_bytes(4, "little"), 4, 0, rim.Post)
            master._waitTransaction(0)
            assert master._getError() == ""  # a Post is done once handed to ZeroMQ ...
            client.close()  # ... so close() must not throw it away
            local = rim.Master()
            local >> emu
            want = [cycle * 1000 + i for i in range(count)]

            def stored() -> list[int]:
                buf = bytearray(4 * count)
                local._reqTransaction(0, buf, 0, 0, rim.Read)
                local._waitTransaction(0)
                return [int.from_bytes(buf[4 * i:4 * i + 4], "little") for i in range(count)]

            assert _wait(lambda: stored() == want), f"cycle {cycle}: stored {stored()}"
        finally:
            client.close()
            server.close()


def test_responses_sent_before_server_close_arrive(port: int) -> None:
    count = 50
    for cycle in range(10):
        server = rim.TcpServer("127.0.0.1", port)
        server >> rim.Emulate(4, 4096)
        client = rim.TcpClient("127.0.0.1", port)
        master = rim.Master()
        master >> client
        try:
            assert client.waitReady(5.0, 0.005)
            for i in range(count):
                master._reqTransaction(4 * i, bytes(4), 4, 0, rim.Write)
            # Every request executed and its response handed to ZeroMQ, then the server goes at once.
            assert _wait(lambda: server.getServedCount() >= count)
            server.close()
            master._waitTransaction(0)
            assert master._getError() == "", f"cycle {cycle}: {master._getError()}"
        finally:
            client.close()
            server.close()


def test_close_raises_clearly_when_the_slave_holds_the_io_thread(port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import rogue._transport.listener

    monkeypatch.setattr(rogue._transport.listener, "RELEASE_S", 1.0)  # the wait before giving up (5 s by default)

    release, entered = threading.Event(), threading.Event()

    class Stuck(rim.Slave):
        def __init__(self) -> None:
            super().__init__(4, 4096)

        def _doTransaction(self, transaction: rim.Transaction) -> None:
            entered.set()
            release.wait(10.0)
            transaction.done()

    server = rim.TcpServer("127.0.0.1", port)
    server >> Stuck()
    client = rim.TcpClient("127.0.0.1", port)
    master = rim.Master()
    master >> client
    try:
        assert client.waitReady(5.0, 0.005)
        master._reqTransaction(0, bytes(4), 4, 0, rim.Post)
        assert entered.wait(5.0)
        with pytest.raises(rogue.GeneralError, match="not released.*busy in the slave"):
            server.close()
    finally:
        release.set()
        client.close()
    assert _wait(lambda: _binds(port)), "the ports stayed held after the slave returned"


def _binds(port: int) -> bool:
    try:
        rim.TcpServer("127.0.0.1", port, exclusive=False).close()
    except rogue.GeneralError:
        return False
    return True


@pytest.mark.parametrize("exclusive", [True, False])
def test_failed_binds_leave_socket_closing_working(port: int, exclusive: bool) -> None:
    """A constructor that fails to bind stops its monitor before closing the socket.

    Before, the socket was closed with its monitor still attached while the ZAP
    service let go of the monitor's reader: libzmq's reaper then blocked for good
    sending MONITOR_STOPPED, and from then on no socket of the process closed
    (a later server's close() raised "not released").
    """
    holder = rim.TcpServer("127.0.0.1", port)
    try:
        for _ in range(100):
            with pytest.raises(rogue.GeneralError, match="already in use"):
                rim.TcpServer("127.0.0.1", port, exclusive=exclusive)
    finally:
        holder.close()  # raises if the reaper is stuck (the listening sockets never close)
    rim.TcpServer("127.0.0.1", port).close()
