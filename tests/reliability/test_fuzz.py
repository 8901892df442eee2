"""Hostile input: >= 100 000 random or malformed multipart messages to each kind of bridge port.

Raw pyzmq PUSH sockets play the hostile peer. Pools of seeded random messages
(``fuzz_messages``) are classified with the bridges' own codecs, so each test
knows exactly what the bridge must count. Afterwards: the receive thread is
alive, good frames / transactions still work, memory did not grow without
bound, and the warnings were rate-limited (far fewer log records than messages).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import zmq

import rogue
import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from rogue.interfaces.memory import _wire as mw
from rogue.interfaces.stream import _wire as sw

from fuzz_messages import memory_request_pool, memory_response_pool, stream_pool
from reliability_helpers import LogCounter, Sink, rss_bytes, wait_until

N = 100_000  # messages per port kind (after a warm-up of WARM more)
WARM = 8192
RSS_BOUND = 64 << 20  # generous: a leak of even 1 KiB per message would exceed it
LOG_BOUND = 300  # 10 warnings at first, then one summary a second per limiter
SEED = 20261124


@pytest.fixture(autouse=True)
def _warnings_on() -> None:
    """Rogue's default threshold is Error; the malformed-message warnings are what is counted here."""
    rogue.Logging.setLevel(rogue.Logging.Warning)


@pytest.fixture
def raw() -> Iterator[Callable[[int], zmq.Socket]]:
    """Raw pyzmq sockets on their own context, closed after the test."""
    ctx = zmq.Context()
    socks: list[zmq.Socket] = []

    def make(kind: int) -> zmq.Socket:
        s = ctx.socket(kind)
        s.setsockopt(zmq.LINGER, 0)
        socks.append(s)
        return s

    yield make
    for s in socks:
        s.close(0)
    ctx.term()


def _flood(sock: zmq.Socket, pool: list[list[bytes]], count: int, start: int = 0) -> None:
    send = sock.send_multipart
    mask = len(pool) - 1
    for i in range(start, start + count):
        send(pool[i & mask])


def _per_pass(pool_counts: list[int], start: int, count: int) -> int:
    """How many of pool messages ``start .. start+count`` are counted (pool_counts: 1/0 per message)."""
    mask = len(pool_counts) - 1
    return sum(pool_counts[i & mask] for i in range(start, start + count))


def _run_flood(sock: zmq.Socket, pool: list[list[bytes]], flags: list[int], counted: Callable[[], int],
               log: LogCounter) -> None:
    """Warm-up, then N messages; checks every flagged message was counted, RSS and log volume."""
    _flood(sock, pool, WARM)
    want = _per_pass(flags, 0, WARM)
    wait_until(lambda: counted() >= want, 20, f"{want} warm-up messages counted (got {counted()})")
    rss0 = rss_bytes()
    _flood(sock, pool, N, WARM)
    want += _per_pass(flags, WARM, N)
    wait_until(lambda: counted() >= want, 30, f"{want} messages counted")
    assert counted() == want
    grown = rss_bytes() - rss0
    assert grown < RSS_BOUND, f"RSS grew by {grown >> 20} MiB over {N} messages"
    warnings = log.at_least(logging.WARNING)
    assert 10 <= warnings < LOG_BOUND, f"{warnings} warning records for {N + WARM} messages"
    assert not [m for m in log.messages if "loop error" in m], log.messages[:3]


def _stream_flags(pool: list[list[bytes]]) -> list[int]:
    flags = []
    for msg in pool:
        try:
            sw.decode(msg)
            flags.append(0)
        except sw.WireError:
            flags.append(1)
    return flags


def _good_frames(sock: zmq.Socket, sink: Sink) -> None:
    """Good frames through the same raw socket arrive intact and in order."""
    sink.frames.clear()
    sink.keep = True
    start = sink.count
    for i in range(200):
        sock.send_multipart(sw.encode(0x0102, i % 256, 0, b"GOOD" + i.to_bytes(4, "little") * 8))
    assert sink.wait_count(start + 200, 10)
    assert sink.frames == [b"GOOD" + i.to_bytes(4, "little") * 8 for i in range(200)]


@pytest.mark.timeout(60)
def test_fuzz_stream_server_port(port: int, raw: Any, no_thread_leak: None) -> None:
    pool, _ = stream_pool(SEED)
    flags = _stream_flags(pool)
    srv = ris.TcpServer("127.0.0.1", port)
    sink = Sink(keep=False)
    srv >> sink
    try:
        push = raw(zmq.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")
        with LogCounter() as log:
            _run_flood(push, pool, flags, srv.getMalformedCount, log)
        assert srv.getRxFrameCount() == sink.count == WARM + N - srv.getMalformedCount()
        assert srv._rx.is_alive()
        _good_frames(push, sink)
    finally:
        srv.stop()


@pytest.mark.timeout(60)
def test_fuzz_stream_client_port(port: int, raw: Any, no_thread_leak: None) -> None:
    pool, _ = stream_pool(SEED + 1)
    flags = _stream_flags(pool)
    push = raw(zmq.PUSH)
    push.bind(f"tcp://127.0.0.1:{port + 1}")  # the client's receive port is the server's P+1
    cli = ris.TcpClient("127.0.0.1", port)
    sink = Sink(keep=False)
    cli >> sink
    try:
        with LogCounter() as log:
            _run_flood(push, pool, flags, cli.getMalformedCount, log)
        assert cli.getRxFrameCount() == sink.count == WARM + N - cli.getMalformedCount()
        assert cli._rx.is_alive()
        _good_frames(push, sink)
    finally:
        cli.stop()


@pytest.mark.timeout(60)
def test_fuzz_memory_server_request_port(port: int, raw: Any, no_thread_leak: None) -> None:
    pool = memory_request_pool(SEED + 2)
    mem = rim.Emulate(4, 0x1000)
    srv = rim.TcpServer("127.0.0.1", port)
    srv >> mem
    cli = None
    try:
        push = raw(zmq.PUSH)
        push.connect(f"tcp://127.0.0.1:{port}")
        with LogCounter() as log:
            _run_flood(push, pool, [1] * len(pool), srv.getMalformedCount, log)
        assert srv._io.is_alive()
        assert srv.stats()["served"] == 0 and mem._pageCount() == 0  # nothing reached the memory
        push.close(0)
        # A good client is then served (the hostile one left).
        cli = rim.TcpClient("127.0.0.1", port)
        # The server frees its one-client slot when it sees the hostile client's disconnect;
        # a client that asks before that is refused ("busy") and asks again every second.
        wait_until(lambda: not cli.getRefusal() and cli.waitReady(1.0), 15.0, "the good client to be admitted")
        master = rim.Master()
        master >> cli
        _write_read(master, 0x100, bytes(range(64)))
        assert srv.stats()["served"] == 2
    finally:
        if cli is not None:
            cli.stop()
        srv.stop()


def _write_read(master: rim.Master, address: int, data: bytes) -> None:
    master._setTimeout(2_000_000)
    tid = master._reqTransaction(address, bytearray(data), len(data), 0, rim.Write)
    master._waitTransaction(tid)
    assert master._getError() == ""
    back = bytearray(len(data))
    tid = master._reqTransaction(address, back, len(data), 0, rim.Read)
    master._waitTransaction(tid)
    assert master._getError() == ""
    assert bytes(back) == data


@pytest.mark.timeout(60)
def test_fuzz_memory_client_response_port(port: int, raw: Any, no_thread_leak: None) -> None:
    pool, _ = memory_response_pool(SEED + 3)
    flags = []
    for msg in pool:
        try:
            flags.append(int(mw.decode_response(msg).type != mw.POST))
        except mw.WireError:
            flags.append(1)
    pull, push = raw(zmq.PULL), raw(zmq.PUSH)
    pull.bind(f"tcp://127.0.0.1:{port}")  # a fake server: requests in on P, responses out on P+1
    push.bind(f"tcp://127.0.0.1:{port + 1}")
    cli = rim.TcpClient("127.0.0.1", port)
    try:
        wait_until(cli.isConnected, 10, "the client connected to the fake server")

        def counted() -> int:
            st = cli.stats()
            return st["malformed"] + st["unknown"]

        with LogCounter() as log:
            _run_flood(push, pool, flags, counted, log)
        assert cli._rx.is_alive()
        assert cli.stats()["malformed"] > N // 2
        # A good transaction still completes: the fake server answers it properly.
        master = rim.Master()
        master >> cli
        master._setTimeout(2_000_000)
        buf = bytearray(8)
        tid = master._reqTransaction(0x40, buf, 8, 0, rim.Read)
        assert pull.poll(5000)
        req = mw.decode_request(pull.recv_multipart())
        push.send_multipart(mw.encode_response(req.id, req.address, req.size, req.type, b"ABCDEFGH"))
        master._waitTransaction(tid)
        assert master._getError() == ""
        assert bytes(buf) == b"ABCDEFGH"
    finally:
        cli.stop()
