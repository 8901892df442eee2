"""A bridge end's link state (``rogue._transport.Link``): one class, used by all four bridge ends."""

from __future__ import annotations

import logging
import threading

import pytest
import zmq

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from rogue._transport import BridgeEnd, EventQueue, Heartbeat, Link, Monitor

_LOG = logging.getLogger("pyrogue.test.link")


def _event(event: int, value: int) -> list[bytes]:
    return [event.to_bytes(2, "little") + value.to_bytes(4, "little"), b"tcp://127.0.0.1:1"]


class _Socket:
    """One socket's monitor fed by hand: ``connect(fd)`` adds a peer whose handshake succeeded."""

    def __init__(self, role: str) -> None:
        self.queue = EventQueue()
        self.monitor = Monitor(self.queue, role, _LOG, lambda: None)

    def connect(self, fd: int) -> None:
        self.queue.put(_event(zmq.EVENT_ACCEPTED, fd))
        self.queue.put(_event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0))
        self.monitor.drain()

    def disconnect(self, fd: int) -> None:
        self.queue.put(_event(zmq.EVENT_DISCONNECTED, fd))
        self.monitor.drain()


def _link(**attach: object) -> tuple[Link, _Socket, _Socket]:
    link = Link(_LOG, Heartbeat(1.0, 2.0), "the server tcp://h:1", "far side")
    rx, tx = _Socket("pull"), _Socket("push")
    link.attach(rx.monitor, tx.monitor, 9001, False, **attach)  # type: ignore[arg-type]
    return link, rx, tx


def test_up_only_while_both_sockets_have_a_peer_logged_once_per_change(caplog: pytest.LogCaptureFixture) -> None:
    link, rx, tx = _link()
    with caplog.at_level(logging.INFO, logger=_LOG.name):
        rx.connect(10)
        assert link.update(True) is False and not link.connected  # one socket alone is not a link
        tx.connect(11)
        assert link.update(True) is True and link.connected
        assert link.update(True) is False  # no change, no line
        rx.disconnect(10)
        assert link.update(True) is True and not link.connected
    lines = [r.getMessage() for r in caplog.records if r.name == _LOG.name]
    assert lines.count("far side connected") == 1 and lines.count("far side disconnected") == 1
    assert link.loss.losses == 1


def test_a_change_while_stopping_is_recorded_not_logged_or_counted(caplog: pytest.LogCaptureFixture) -> None:
    link, rx, tx = _link()
    rx.connect(1)
    tx.connect(2)
    assert link.update(True)
    with caplog.at_level(logging.INFO, logger=_LOG.name):
        assert link.set(False, running=False) is True and not link.connected
    assert not [r for r in caplog.records if r.name == _LOG.name] and link.loss.losses == 0


def test_waiters_wake_on_the_link_and_on_a_stop() -> None:
    link, rx, tx = _link()
    running = True
    results: list[bool] = []
    waiter = threading.Thread(target=lambda: results.append(link.wait(30.0, lambda: running)))
    waiter.start()
    rx.connect(1)
    tx.connect(2)
    link.update(True)
    waiter.join(30.0)
    assert results == [True]
    assert link.wait(0.0, lambda: running) is True
    link.set(False)
    running = False
    assert link.wait(30.0, lambda: running) is False  # stopped: returns at once


def test_a_link_lost_in_silence_drops_the_sending_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    link, rx, tx = _link()
    dropped: list[tuple[list[int], int, bool]] = []
    monkeypatch.setattr(Heartbeat, "drop", lambda self, fds, port, local: dropped.append((list(fds), port, local)))
    monkeypatch.setattr(link.loss, "up", lambda up: not up)  # as LinkLoss says of a silent loss
    rx.connect(1)
    tx.connect(7)
    link.update(True)
    assert dropped == []
    rx.disconnect(1)
    link.update(True)
    assert dropped == [([7], 9001, False)]  # the sending socket's connections, its remote port


def test_a_server_names_its_client_when_it_connects(monkeypatch: pytest.MonkeyPatch) -> None:
    link, rx, tx = _link(client_of=("tcp://127.0.0.1:9000", 9000), client_ip=lambda: "10.0.0.9")
    rx.connect(12345678)  # no such descriptor: the address comes from client_ip()
    tx.connect(12345679)
    link.update(True)
    assert link.loss.peer == "the client 10.0.0.9 of tcp://127.0.0.1:9000"
    link2, rx2, tx2 = _link(client_of=("tcp://127.0.0.1:9000", 9000))
    rx2.connect(12345678)
    tx2.connect(12345679)
    link2.update(True)
    assert link2.loss.peer == "the client of tcp://127.0.0.1:9000"


@pytest.mark.parametrize("end", [ris.TcpServer, ris.TcpClient, rim.TcpServer, rim.TcpClient])
def test_every_bridge_end_keeps_its_link_state_in_one_link(end: type) -> None:
    """The four bridge ends open alike and answer ``isConnected`` from their ``Link``, none with its own copy."""
    assert issubclass(end, BridgeEnd)
    assert end.isConnected is BridgeEnd.isConnected
