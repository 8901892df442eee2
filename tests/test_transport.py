"""The shared ZeroMQ plumbing (rogue._transport) on its own: monitor readers, message helpers, opening a socket pair."""

from __future__ import annotations

import logging
import threading

import pytest
import zmq

from rogue._errors import GeneralError
from rogue._transport.listener import wait_free
from rogue._ports import port_free
from rogue._transport import (
    EventQueue,
    Monitor,
    PartlySent,
    Waker,
    context,
    monitor_reader,
    open_inproc,
    open_pair,
    open_socket,
    raw_send,
    messages_keeping,
    recv_parts,
    send4,
    send_parts,
    waiting_events,
    waiting_messages,
)
from rogue._transport import messages

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
        assert send_parts(push, [b"a", b"bc", memoryview(b"def")]) is True
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


def test_messages_keeping_leaves_one_part_a_frame_and_the_rest_bytes() -> None:
    """The stream bridge's receive: headers as bytes, the payload the zmq.Frame it came in (no copy)."""
    push, pull = open_inproc(zmq.PUSH, "inproc://rogue-test-keeping", True), \
        open_inproc(zmq.PULL, "inproc://rogue-test-keeping", False)
    try:
        assert push.poll(10_000, zmq.POLLOUT)  # the peer is attached
        for i in range(5):
            send_parts(push, (b"\x01\x00", b"\x02", b"\x03", b"payload%d" % i))
        send_parts(push, (b"only",))
        assert pull.poll(10_000)
        got = list(messages_keeping(pull, 3, 3))  # a batch of 3: the rest waits
        assert len(got) == 3 and all(p[:3] == [b"\x01\x00", b"\x02", b"\x03"] for p in got)
        assert all(isinstance(p[3], zmq.Frame) for p in got) and got[2][3].bytes == b"payload2"
        rest = list(messages_keeping(pull, 100, 0))  # ends at the first empty receive, never blocks
        assert [p[0].bytes for p in rest] == [b"\x01\x00", b"\x01\x00", b"only"]
        assert all(isinstance(p[0], zmq.Frame) for p in rest)
        assert list(messages_keeping(pull, 100, 3)) == []
    finally:
        push.close(0)
        pull.close(0)


@pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
def test_send_parts_sends_every_length_whole_and_zero_copy_last(n: int) -> None:
    push, pull = open_inproc(zmq.PUSH, f"inproc://rogue-test-send{n}", True), \
        open_inproc(zmq.PULL, f"inproc://rogue-test-send{n}", False)
    try:
        parts = [bytes([i]) * (i + 1) for i in range(n - 1)] + [bytearray(b"tail" * 1000)]
        assert push.poll(10_000, zmq.POLLOUT)  # the peer is attached
        send_parts(push, parts, copy=False)
        assert pull.poll(10_000)
        assert recv_parts(pull) == [bytes(p) for p in parts]
    finally:
        push.close(0)
        pull.close(0)


def test_send_parts_tells_a_refused_start_from_a_part_way_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """Would block at the first part: False, nothing sent. A later part failing: pyzmq's error, as it raised it."""
    alone = open_inproc(zmq.PUSH, "inproc://rogue-test-alone", True)
    try:
        assert send_parts(alone, (b"a", b"b", b"c", b"d")) is False  # no peer: would block, nothing sent
        assert send_parts(alone, (b"one",)) is False
    finally:
        alone.close(0)
    push = open_inproc(zmq.PUSH, "inproc://rogue-test-partly", True)
    pull = open_inproc(zmq.PULL, "inproc://rogue-test-partly", False)
    real, calls = messages.raw_send, []

    def fail_third(sock: zmq.Socket, data: object, flags: int = 0, copy: bool = True) -> object:
        calls.append(data)
        if len(calls) == 3:
            raise zmq.ZMQError(zmq.EHOSTUNREACH)
        return real(sock, data, flags, copy)

    try:
        assert push.poll(10_000, zmq.POLLOUT)  # the peer is attached
        monkeypatch.setattr(messages, "raw_send", fail_third)
        with pytest.raises(zmq.ZMQError) as err:
            send_parts(push, (b"a", b"b", b"c", b"d"))
        assert type(err.value) is zmq.ZMQError and err.value.errno == zmq.EHOSTUNREACH
    finally:
        push.close(0)
        pull.close(0)


def test_monitor_reader_reads_a_sockets_events_and_replace_forgets_its_peers() -> None:
    server = open_inproc(zmq.PULL, "inproc://rogue-test-monreader", True)
    client = context().socket(zmq.PUSH)
    reader = monitor_reader(client)
    try:
        assert reader.rcvhwm == 0  # unbounded: libzmq must never block on it
        client.connect("inproc://rogue-test-monreader")
        mon = Monitor(reader, "push", _LOG)
        # inproc connections report no monitor events of their own; a fake one shows the parser and replace().
        q = EventQueue()
        q.put(_event(zmq.EVENT_CONNECTED, 5))
        q.put(_event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0))
        assert [e[:2] for e in waiting_events(q)] == [(zmq.EVENT_CONNECTED, 5), (zmq.EVENT_HANDSHAKE_SUCCEEDED, 0)]
        q.put(_event(zmq.EVENT_CONNECTED, 5))
        q.put(_event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0))
        mon.replace(q)
        assert mon.pollable is None and mon.drain() is True and mon.peers.peers == 1
        mon.replace(reader)  # the socket was rebuilt: its peers are forgotten, the new source polled
        assert mon.pollable is reader and mon.peers.peers == 0
        client.disable_monitor()  # MONITOR_STOPPED reaches the reader
        assert reader.poll(10_000)
        assert any(event == zmq.EVENT_MONITOR_STOPPED for event, *_ in waiting_events(reader))
    finally:
        client.close(0)
        reader.close(0)
        server.close(0)


def test_waker_wakes_a_poll_from_another_thread_and_clears() -> None:
    waker = Waker()
    try:
        items = [(waker.fd, zmq.POLLIN)]
        assert messages.poll_items(items, 0) == []
        t = threading.Thread(target=waker.wake)
        t.start()
        t.join()
        waker.wake()  # a second pending wake-up is one readable descriptor all the same
        assert messages.poll_items(items, 10_000) == [(waker.fd, zmq.POLLIN)]
        waker.clear()
        assert messages.poll_items(items, 0) == []
    finally:
        waker.close()
    waker.wake()  # after close: nothing, no error


def test_send4_is_send_parts_for_four_parts_given_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    alone = open_inproc(zmq.PUSH, "inproc://rogue-test-send4-alone", True)
    try:
        assert send4(alone, b"a", b"b", b"c", b"d") is False  # would block: nothing sent
    finally:
        alone.close(0)
    push = open_inproc(zmq.PUSH, "inproc://rogue-test-send4", True)
    pull = open_inproc(zmq.PULL, "inproc://rogue-test-send4", False)
    try:
        assert push.poll(10_000, zmq.POLLOUT)  # the peer is attached
        payload = bytearray(b"p" * 5000)
        assert send4(push, b"\x01\x00", b"\x02", b"\x03", payload, copy=False) is True
        assert pull.poll(10_000) and recv_parts(pull) == [b"\x01\x00", b"\x02", b"\x03", bytes(payload)]
        real, calls = messages.raw_send, []

        def fail_last(sock: zmq.Socket, data: object, flags: int = 0, copy: bool = True) -> object:
            calls.append(data)
            if len(calls) == 4:
                raise zmq.ZMQError(zmq.ETERM)
            return real(sock, data, flags, copy)

        monkeypatch.setattr(messages, "raw_send", fail_last)
        with pytest.raises(PartlySent) as err:
            send4(push, b"a", b"b", b"c", b"d")
        assert err.value.errno == zmq.ETERM
    finally:
        push.close(0)
        pull.close(0)
