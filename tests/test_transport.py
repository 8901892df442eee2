"""The shared ZeroMQ plumbing (rogue._transport) on its own: monitor readers, message helpers, opening a socket pair."""

from __future__ import annotations

import logging

import pytest
import zmq

from rogue._errors import GeneralError
from rogue._listener import wait_free
from rogue._ports import port_free
from rogue._transport import (
    Monitor,
    context,
    open_pair,
    open_socket,
    raw_send,
    recv_parts,
    send_parts,
    waiting_messages,
)
from rogue._security.zap_policy import EventQueue

pytestmark = pytest.mark.timeout(30)
_LOG = logging.getLogger("rogue.test.transport")


def _event(event: int, value: int) -> list[bytes]:
    return [event.to_bytes(2, "little") + value.to_bytes(4, "little"), b"tcp://127.0.0.1:1"]


def test_monitor_reads_a_queue_like_a_monitor_socket() -> None:
    woken: list[int] = []
    q = EventQueue()
    mon = Monitor(q, "pull", _LOG, lambda: woken.append(1))
    assert mon.pollable is None and mon.drain() is False  # empty: no read, no error
    q.put(_event(zmq.EVENT_ACCEPTED, 7))
    q.put(_event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0))
    assert woken == [1, 1]  # the service's put wakes the reader
    assert mon.drain() is True and mon.peers.peers == 1
    q.put(_event(zmq.EVENT_DISCONNECTED, 7))
    seen: list[tuple[int, int]] = []
    assert mon.drain(lambda e, v: seen.append((e, v))) is True and mon.peers.peers == 0
    assert seen == [(zmq.EVENT_DISCONNECTED, 7)]


def test_monitor_reads_a_monitor_socket() -> None:
    ctx = context()
    a, b = ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)
    try:
        a.bind("inproc://rogue-test-monitor")
        b.connect("inproc://rogue-test-monitor")
        mon = Monitor(b, "push", _LOG)
        assert mon.pollable is b and mon.drain() is False
        a.send_multipart(_event(zmq.EVENT_CONNECTED, 9))
        a.send_multipart(_event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0))
        assert b.poll(10_000)
        assert mon.drain() is True and mon.peers.peers == 1
    finally:
        a.close(0)
        b.close(0)


def test_send_parts_recv_parts_and_batches() -> None:
    ctx = context()
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    try:
        push.bind("inproc://rogue-test-messages")
        pull.connect("inproc://rogue-test-messages")
        send_parts(push, [b"a", b"bc", memoryview(b"def")])
        send_parts(push, [b"single"])
        raw_send(push, b"x", zmq.SNDMORE)
        raw_send(push, b"y", 0)
        assert pull.poll(10_000)
        assert recv_parts(pull) == [b"a", b"bc", b"def"]
        assert list(waiting_messages(pull, 10)) == [[b"single"], [b"x", b"y"]]
        with pytest.raises(zmq.Again):
            recv_parts(pull)
        send_parts(push, [b"1"])
        send_parts(push, [b"2"])
        assert pull.poll(10_000)
        # With nothing expected any more the batch ends after the first message; the rest waits.
        assert list(waiting_messages(pull, 10, expecting={})) == [[b"1"]]
        assert list(waiting_messages(pull, 10)) == [[b"2"]]
        # Nothing polled (look_first): an empty socket yields nothing instead of raising inside.
        assert list(waiting_messages(pull, 10, look_first=True)) == []
        send_parts(push, [b"3", b"4"])
        pull.rcvtimeo = 10_000
        assert recv_parts(pull, 0) == [b"3", b"4"]  # waits for it (flags 0), nothing polled first
        pull.rcvtimeo = 1
        with pytest.raises(zmq.Again):  # and gives up at RCVTIMEO
            recv_parts(pull, 0)
    finally:
        push.close(0)
        pull.close(0)


def test_open_pair_closes_the_first_socket_when_the_second_fails(port: int) -> None:
    released: list[list[object]] = []
    blocker = context().socket(zmq.PULL)
    blocker.bind(f"tcp://127.0.0.1:{port + 1}")  # P+1 taken
    try:
        def bind(p: int) -> tuple[zmq.Socket, object]:
            return open_socket(zmq.PULL, f"tcp://127.0.0.1:{p}", True, "test", "127.0.0.1", port, _LOG)

        with pytest.raises(GeneralError, match="already in use"):
            open_pair(lambda: bind(port), lambda: bind(port + 1), released.append)
        assert len(released) == 1 and [a.port for a in released[0]] == [port]  # type: ignore[attr-defined]
        # The first socket is closed: once the kernel has let go (what the bridges' release waits for), P is free.
        assert wait_free(released[0], 10.0) == []  # type: ignore[arg-type]
        assert port_free(port)
    finally:
        blocker.close(0)


def test_open_pair_releases_nothing_when_the_first_fails() -> None:
    released: list[list[object]] = []

    def fail() -> tuple[zmq.Socket, object]:
        raise GeneralError("test", "no")

    with pytest.raises(GeneralError):
        open_pair(fail, fail, released.append)
    assert released == [[]]
