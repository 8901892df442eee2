"""Memory bridge bytes on the wire: our client and our server against scripted raw pyzmq peers.

The scripted peers send and expect exactly the parts C++ Rogue 6.15 sent and
answered (vectors/memory_bridge.json), so a C++ peer in their place would not
notice a difference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

import rogue.interfaces.memory as rim

VECTORS = json.loads((Path(__file__).parent / "vectors" / "memory_bridge.json").read_text())
_WAIT_MS = 5000  # generous bound for one message on loopback; tests never hang past it


def _parts(hexes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hexes]


def _recv(sock: zmq.Socket) -> list[bytes]:
    assert sock.poll(_WAIT_MS), "nothing received"
    return sock.recv_multipart()


@pytest.fixture
def ctx() -> Iterator[zmq.Context]:
    c = zmq.Context()
    yield c
    c.destroy(linger=0)


# -- our client against a scripted server ------------------------------------------------------------
@pytest.fixture
def scripted_server(ctx: zmq.Context, port: int) -> Iterator[tuple[zmq.Socket, zmq.Socket]]:
    pull = ctx.socket(zmq.PULL)
    pull.bind(f"tcp://127.0.0.1:{port}")
    push = ctx.socket(zmq.PUSH)
    push.bind(f"tcp://127.0.0.1:{port + 1}")
    yield pull, push


def _answer_probes(pull: zmq.Socket, push: zmq.Socket, client: rim.TcpClient) -> None:
    """Bring the client up: answer its probes as C++ Rogue's server does (vector "probe")."""
    want = _parts(VECTORS["rogue_server"][0]["response"])
    import threading

    done = threading.Event()
    result: list[bool] = []

    def run() -> None:
        result.append(client.waitReady(timeout=5.0, period=0.05))
        done.set()

    t = threading.Thread(target=run)
    t.start()
    while not done.is_set():
        if pull.poll(50):
            req = pull.recv_multipart()
            assert len(req) == 4 and req[1:] == [bytes(8), bytes(4), b"\xfe\xff\xff\xff"]
            push.send_multipart([req[0], *want[1:]])
    t.join()
    assert result == [True]


def test_client_requests_and_decoding_match_rogue(
    scripted_server: tuple[zmq.Socket, zmq.Socket], port: int, no_thread_leak: None
) -> None:
    pull, push = scripted_server
    tcp = rim.TcpClient("127.0.0.1", port)
    try:
        mst = rim.Master()
        mst >> tcp
        mst._setTimeout(300_000)  # the vector's "no response" case: 0.3 s
        _answer_probes(pull, push, tcp)
        for vec in VECTORS["rogue_client"]:
            want = _parts(vec["request"])
            ttype = int.from_bytes(want[3], "little")
            address = int.from_bytes(want[1], "little")
            size = int.from_bytes(want[2], "little")
            buf = bytearray(want[4]) if len(want) == 5 else bytearray(size)
            # Our ids are process-wide; the vector's id is replaced by ours, every other byte must match.
            tid = mst._reqTransaction(address, buf, size, 0, ttype)
            got = _recv(pull)
            assert got[0] == tid.to_bytes(4, "little"), vec["note"]
            assert got[1:] == want[1:], vec["note"]
            if "response" in vec:
                resp = _parts(vec["response"])
                push.send_multipart([got[0], *resp[1:]])
            mst._clearError()
            mst._waitTransaction(tid)
            text = vec["error_text"].replace(" 6 ", f" {tid} ")
            assert mst._getError() == text, vec["note"]
            if "buffer_after" in vec:
                assert bytes(buf) == bytes.fromhex(vec["buffer_after"]), vec["note"]
        stats = tcp.stats()
        assert stats["malformed"] == 0 and stats["unknown"] == 0
    finally:
        tcp.stop()


def test_client_drops_or_fails_bad_responses(
    scripted_server: tuple[zmq.Socket, zmq.Socket], port: int, no_thread_leak: None
) -> None:
    """wire.md client rules: malformed/unknown dropped, mismatch fails, data size checked before the result."""
    pull, push = scripted_server
    tcp = rim.TcpClient("127.0.0.1", port)
    try:
        mst = rim.Master()
        mst >> tcp
        mst._setTimeout(2_000_000)
        _answer_probes(pull, push, tcp)

        def start_read(address: int = 0x40, size: int = 4) -> tuple[int, list[bytes], bytearray]:
            buf = bytearray(size)
            tid = mst._reqTransaction(address, buf, size, 0, rim.Read)
            return tid, _recv(pull), buf

        # Malformed (5 parts, bad header size, empty result), an unknown id, a post answer: all
        # dropped; then the good answer completes the read.
        tid, req, buf = start_read()
        push.send_multipart([*req, b"\x01\x02\x03\x04"])  # 5 parts
        push.send_multipart([req[0], b"\0" * 4, req[2], req[3], b"abcd", b"OK"])
        push.send_multipart([*req, b"abcd", b""])
        push.send_multipart([b"\xff\xff\xff\x7f", *req[1:], b"abcd", b"OK"])
        push.send_multipart([b"\xfe\xff\xff\x7f", req[1], req[2], b"\x03\0\0\0", b"abcd", b"OK"])
        push.send_multipart([*req, b"good", b"OK"])
        mst._clearError()
        mst._waitTransaction(tid)
        assert mst._getError() == "" and buf == b"good"
        stats = tcp.stats()
        assert stats["malformed"] == 3 and stats["unknown"] == 1

        # Address mismatch: the transaction fails at once (no timeout).
        tid, req, buf = start_read()
        push.send_multipart([req[0], (0x44).to_bytes(8, "little"), req[2], req[3], b"abcd", b"OK"])
        mst._clearError()
        mst._waitTransaction(tid)
        assert "does not match" in mst._getError() and buf == bytes(4)

        # A short data part with an error result: the size check comes first (reference text).
        tid, req, buf = start_read()
        push.send_multipart([*req, b"ab", b"far-side error"])
        mst._clearError()
        mst._waitTransaction(tid)
        assert mst._getError() == "Received transaction response did not match header size"

        # Write: the data part is not checked, only the result.
        wtid = mst._reqTransaction(0x80, b"WXYZ", 4, 0, rim.Write)
        req = _recv(pull)
        assert req[4] == b"WXYZ"
        push.send_multipart([*req[:4], b"", b"OK"])
        mst._clearError()
        mst._waitTransaction(wtid)
        assert mst._getError() == ""
    finally:
        tcp.stop()


# -- our server against a scripted client ------------------------------------------------------------
class _FailingEmulate(rim.Emulate):
    """Emulate that fails chosen addresses with the texts C++ Rogue's server sent."""

    texts = {
        0x2: "Transaction address 0x2 is not aligned to min size 4",
        0x10: "Timeout waiting for register transaction 12 message response.",
    }

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        text = self.texts.get(transaction.address())
        if text:
            transaction.error(text)
        else:
            super()._doTransaction(transaction)


@pytest.fixture
def scripted_client(ctx: zmq.Context, port: int) -> Iterator[tuple[zmq.Socket, zmq.Socket]]:
    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    pull = ctx.socket(zmq.PULL)
    pull.connect(f"tcp://127.0.0.1:{port + 1}")
    yield push, pull


def test_server_answers_match_rogue(scripted_client: tuple[zmq.Socket, zmq.Socket], port: int,
                                    no_thread_leak: None) -> None:
    server = rim.TcpServer("127.0.0.1", port)
    try:
        emu = _FailingEmulate(4, 4096)
        server >> emu
        push, pull = scripted_client
        for vec in VECTORS["rogue_server"]:
            push.send_multipart(_parts(vec["request"]))
            got = _recv(pull)
            want = _parts(vec["response"])
            if "result_text" in vec:
                # C++ Rogue sent its stale buffer here; wire.md: exactly size bytes, zeros.
                want[4] = bytes(len(want[4]))
            assert got == want, vec["note"]
        stats = server.stats()
        assert stats["probes"] == 1 and stats["served"] == 6 and stats["failed"] == 2
        assert stats["malformed"] == 0
    finally:
        server.stop()


def test_server_drops_malformed_requests_and_keeps_answering(
    scripted_client: tuple[zmq.Socket, zmq.Socket], port: int, no_thread_leak: None
) -> None:
    server = rim.TcpServer("127.0.0.1", port)
    try:
        server >> rim.Emulate(4, 4096)
        push, pull = scripted_client
        read = _parts(VECTORS["rogue_server"][2]["request"])
        write = _parts(VECTORS["rogue_server"][1]["request"])
        probe = _parts(VECTORS["rogue_server"][0]["request"])
        bad = [
            read[:3],  # 3 parts
            [b"\x01\0\0"] + read[1:],  # id of 3 bytes
            write[:4],  # write without data
            write[:4] + [b"short"],  # write data not size bytes
            probe[:2] + [b"\x04\0\0\0"] + probe[3:],  # probe with size 4
            probe + [b""],  # probe with 5 parts
            [b""],
        ]
        for _ in range(50):  # a flood: dropped, counted, rate-limited warnings
            for parts in bad:
                push.send_multipart(parts)
        push.send_multipart(write)
        push.send_multipart(read)
        assert _recv(pull) == _parts(VECTORS["rogue_server"][1]["response"])
        assert _recv(pull) == _parts(VECTORS["rogue_server"][2]["response"])
        assert not pull.poll(100), "a malformed request was answered"
        assert server.getMalformedCount() == 50 * len(bad)
    finally:
        server.stop()


def test_late_answer_to_an_earlier_probe_means_ready(scripted_server: tuple[zmq.Socket, zmq.Socket], port: int) -> None:
    """A busy server that answers probe 1 after probe 2 went out: ready, and nothing counted as unknown."""
    import threading

    pull, push = scripted_server
    client = rim.TcpClient("127.0.0.1", port)
    result: list[bool] = []
    try:
        waiter = threading.Thread(target=lambda: result.append(client.waitReady(timeout=10.0, period=0.05)))
        waiter.start()
        first = _recv(pull)
        second = _recv(pull)  # the client probed again: the first answer is late
        assert first[3] == second[3] == b"\xfe\xff\xff\xff" and first[0] != second[0]
        push.send_multipart(first + [b"", b"OK"])
        waiter.join(10)
        assert result == [True]
        push.send_multipart(second + [b"", b"OK"])  # the answer to the newer probe arrives too
        # A third probe, answered after it: once it is seen, the second answer was handled (one socket, in order).
        result.clear()
        waiter = threading.Thread(target=lambda: result.append(client.waitReady(timeout=10.0, period=5.0)))
        waiter.start()
        third = _recv(pull)
        push.send_multipart(third + [b"", b"OK"])
        waiter.join(10)
        assert result == [True]
        stats = client.stats()
        assert stats["unknown"] == 0 and stats["malformed"] == 0
    finally:
        client.stop()
