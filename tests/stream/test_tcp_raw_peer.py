"""Stream bridge bytes on the wire, against a raw pyzmq peer playing the other side of wire.md."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import zmq
from tcp_bridge_helpers import Recorder, Sender, parts_of, raw_peer

import rogue
import rogue.interfaces.stream as ris

CASES = [
    (b"", 0x0000, 0, 0),
    (b"\x5a", 0xFFFF, 1, 1),
    (bytes(i % 251 for i in range(4096)), 0xA55A, 255, 0xFF),
    (bytes(range(256)) * (8 * 4096), 0xA55A, 7, 0x80),  # 8 MiB: the zero-copy path
] + [(bytes([ch]) * 3, 0x0000, ch, 0) for ch in range(256)] + [
    (b"err", 0x0102, 3, err) for err in (0x01, 0x7F, 0x80, 0xFE, 0xFF)
]


@pytest.fixture(params=["bridge_is_server", "bridge_is_client"])
def setup(request: pytest.FixtureRequest, port: int, no_thread_leak: None) -> Iterator[tuple]:
    """(bridge, sender into it, recorder out of it, raw push, raw pull) on the two roles."""
    bridge_is_server = request.param == "bridge_is_server"
    # the raw peer binds first when it plays the server
    with raw_peer(port, play_server=not bridge_is_server) as (push, pull):
        bridge = ris.TcpServer("127.0.0.1", port) if bridge_is_server else ris.TcpClient("127.0.0.1", port)
        try:
            src, rec = Sender(), Recorder()
            src >> bridge >> rec
            yield bridge, src, rec, push, pull
        finally:
            bridge.close()


def test_bridge_sends_exact_parts(setup: tuple) -> None:
    bridge, src, _rec, _push, pull = setup
    for case in CASES:
        src.send(*case)
    for case in CASES:
        got = pull.recv_multipart()
        assert len(got) == 4
        assert got == parts_of(case), f"frame of {len(case[0])} bytes, channel {case[2]}"
    assert bridge.getTxFrameCount() == len(CASES)
    assert bridge.getTxByteCount() == sum(len(c[0]) for c in CASES)


def test_bridge_decodes_raw_messages(setup: tuple) -> None:
    bridge, _src, rec, push, _pull = setup
    for case in CASES:
        push.send_multipart(parts_of(case))
    assert rec.wait(len(CASES), 10.0)
    assert rec.got == CASES
    assert bridge.getRxFrameCount() == len(CASES)
    assert bridge.getRxByteCount() == sum(len(c[0]) for c in CASES)
    assert bridge.getMalformedCount() == 0


def test_first_and_last_user_from_flags(setup: tuple) -> None:
    bridge, _src, rec, push, _pull = setup
    got = []

    class Check(ris.Slave):
        def _acceptFrame(self, f: ris.Frame) -> None:
            got.append((f.getFirstUser(), f.getLastUser(), f.getChannel(), f.getError(), f.getPayload()))

    bridge >> Check()  # attached last, so it sees each frame before the recorder
    push.send_multipart([b"\x02\x80", b"\x07", b"\x01", b"hello"])
    assert rec.wait(1)
    assert got == [(0x02, 0x80, 7, 1, 5)]


MALFORMED = [
    [b"\x00\x00"],  # 1 part
    [b"\x00\x00", b"\x00", b"\x00"],  # 3 parts
    [b"\x00\x00", b"\x00", b"\x00", b"x", b"y"],  # 5 parts
    [b"\x00", b"\x00", b"\x00", b"x"],  # flags 1 byte
    [b"\x00\x00\x00", b"\x00", b"\x00", b"x"],  # flags 3 bytes
    [b"\x00\x00", b"", b"\x00", b"x"],  # channel 0 bytes
    [b"\x00\x00", b"\x00\x00", b"\x00", b"x"],  # channel 2 bytes
    [b"\x00\x00", b"\x00", b"", b"x"],  # error 0 bytes
    [b"\x00\x00", b"\x00", b"\x00\x00", b"x"],  # error 2 bytes
    [b"", b"", b"", b""],  # all empty
]


@pytest.mark.parametrize("bridge_is_server", [True, False])
def test_malformed_dropped_counted_and_good_frames_pass(
    port: int, bridge_is_server: bool, caplog: pytest.LogCaptureFixture, no_thread_leak: None
) -> None:
    rogue.Logging.setFilter("pyrogue.stream.TcpCore", rogue.Logging.Warning)
    with raw_peer(port, play_server=not bridge_is_server) as (push, _pull):
        bridge = ris.TcpServer("127.0.0.1", port) if bridge_is_server else ris.TcpClient("127.0.0.1", port)
        try:
            rec = Recorder()
            bridge >> rec
            with caplog.at_level(logging.WARNING, logger="pyrogue.stream.TcpCore"):
                for msg in MALFORMED:
                    push.send_multipart(msg)
                good = (b"after", 0xA55A, 9, 2)
                push.send_multipart(parts_of(good))
                assert rec.wait(1)
            assert rec.got == [good]
            assert bridge.getMalformedCount() == len(MALFORMED)
            assert bridge.stats()["malformed"] == len(MALFORMED)
            assert bridge.getRxFrameCount() == 1
            warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any("5 parts" in w for w in warnings)
            assert any("1 parts" in w for w in warnings)
            assert any("flags part is 3 bytes" in w for w in warnings)
            assert all(r.name == bridge._log.name for r in caplog.records if r.levelno == logging.WARNING)
        finally:
            bridge.close()


def test_malformed_flood_is_rate_limited(port: int, caplog: pytest.LogCaptureFixture, no_thread_leak: None) -> None:
    rogue.Logging.setFilter("pyrogue.stream.TcpCore", rogue.Logging.Warning)
    flood = 2000
    with raw_peer(port, play_server=False) as (push, _pull):
        bridge = ris.TcpServer("127.0.0.1", port)
        try:
            rec = Recorder()
            bridge >> rec
            with caplog.at_level(logging.WARNING, logger="pyrogue.stream.TcpCore"):
                for _ in range(flood):
                    push.send_multipart([b"\x00\x00", b"\x00"])
                push.send_multipart(parts_of((b"ok", 0, 0, 0)))
                assert rec.wait(1)
            assert bridge.getMalformedCount() == flood
            lines = [r for r in caplog.records if r.levelno == logging.WARNING]
            assert 1 <= len(lines) <= 20, f"{len(lines)} warning lines for {flood} bad messages"
        finally:
            bridge.close()


def test_part_way_failed_send_rebuilds_push_socket(port: int, no_thread_leak: None,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A send that fails after the first part is retried whole on a fresh PUSH socket."""
    with raw_peer(port, play_server=True) as (_push, pull):
        bridge = ris.TcpClient("127.0.0.1", port)
        try:
            src = Sender()
            src >> bridge
            assert bridge.waitReady(5.0)

            from rogue._transport import messages

            real_send, calls = messages.raw_send, []
            failed_on: list[object] = []

            def fail_once(sock: zmq.Socket, data: object, flags: int = 0, copy: bool = True) -> object:
                """The 3rd part of the first message fails like libzmq's rollback."""
                calls.append(1)
                if len(calls) == 3:
                    failed_on.append(sock)
                    raise zmq.Again()
                return real_send(sock, data, flags, copy)

            monkeypatch.setattr(messages, "raw_send", fail_once)  # the send of every bridge (send_parts)
            first = bridge._push
            src.send(b"whole", 0xA55A, 3, 4)
            src.send(b"next", 0, 0, 0)
            assert pull.recv_multipart() == parts_of((b"whole", 0xA55A, 3, 4))
            assert pull.recv_multipart() == parts_of((b"next", 0, 0, 0))
            assert bridge.stats()["pushRebuilds"] == 1
            assert failed_on == [first] and bridge._push is not first  # resent whole on a fresh socket
        finally:
            bridge.close()
