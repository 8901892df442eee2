"""``rogue.interfaces.ZmqServer`` alone, against raw pyzmq peers (the wire of ``spec/zmq_server.md``, 3.1)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

import rogue
import rogue.interfaces
from conftest import free_port_triple, wait_until
from raw_peers import HOST, Peers, peers, port, url, warnings_logged  # noqa: F401 - fixtures
from rogue import _ports
from rogue._transport import listener as _listener
from rogue._transport.listener import Listen
from rogue.interfaces import _zmq_common


class Echo(rogue.interfaces.ZmqServer):
    """Answers ``_doRequest`` with b"re:" + the request, ``_doString`` with the text upper-cased; records both."""

    def __init__(self, addr: str, port: int, **kw: Any) -> None:
        super().__init__(addr, port, **kw)
        self.requests: list[Any] = []
        self.strings: list[Any] = []

    def _doRequest(self, data: bytes) -> Any:
        self.requests.append(data)
        if data == b"raise":
            raise ValueError("bad request")
        if data == b"none":
            return None
        if data == b"int":
            return 5
        if data == b"str":
            return "text"
        return b"re:" + data

    def _doString(self, data: str) -> Any:
        self.strings.append(data)
        if data == "raise":
            raise ValueError("bad string")
        if data == "bytes":
            return b"not a str"
        return data.upper()


@pytest.fixture(autouse=True)
def _warnings(warnings_logged: None) -> None:
    """Every test here sees Rogue's warnings."""


@pytest.fixture
def servers(no_thread_leak: None) -> Iterator[list[rogue.interfaces.ZmqServer]]:
    """Servers stopped at the end of the test (before the raw peers close, and the thread-leak check)."""
    items: list[rogue.interfaces.ZmqServer] = []
    yield items
    for s in items:
        s._stop()


def started(servers: list[Any], port: int, cls: type = Echo, **kw: Any) -> Any:
    srv = cls(HOST, port, **kw)
    servers.append(srv)
    srv._start()
    return srv


def subscribed(peers: Peers, srv: Any, port: int) -> zmq.Socket[Any]:
    """A raw SUB on ``port`` once its subscription reached the server (probes published until one arrives)."""
    sub = peers.sub(port)

    def probe_seen() -> bool:
        srv._publish(b"probe")
        return bool(sub.poll(20))

    wait_until(probe_seen, what="the subscription")
    while sub.poll(20):
        sub.recv()
    return sub


def ports_free(port: int, n: int = 3) -> bool:
    """True when a listener (SO_REUSEADDR, as libzmq's) could bind ``port`` .. ``port + n - 1`` now."""
    return all(_listener.port_free(Listen(socket.AF_INET, HOST, port + k)) for k in range(n))


# -- the three ports --------------------------------------------------------------------------------
def test_requests_and_strings_byte_for_byte(port, peers, servers) -> None:
    srv = started(servers, port)
    assert srv.port() == port
    req = peers.req(port + 1)
    payload = bytes(range(256)) * 3
    req.send(payload)
    assert req.recv_multipart() == [b"re:" + payload]  # one frame, exactly _doRequest's bytes
    assert srv.requests == [payload] and type(srv.requests[0]) is bytes

    strs = peers.req(port + 2)
    strs.send("grüße {\"a\": 1}".encode())
    assert strs.recv_multipart() == ["GRÜSSE {\"A\": 1}".encode()]
    assert srv.strings == ["grüße {\"a\": 1}"] and type(srv.strings[0]) is str


def test_publish_is_one_frame_on_P(port, peers, servers) -> None:
    srv = started(servers, port)
    sub = subscribed(peers, srv, port)
    srv._publish(b"\x80\x04payload")
    srv._publish(bytearray(b"second"))
    srv._publish(memoryview(b"third"))
    assert [sub.recv_multipart() for _ in range(3)] == [[b"\x80\x04payload"], [b"second"], [b"third"]]


def test_null_published_on_start(port, servers, monkeypatch) -> None:
    sent: list[tuple[int, bytes]] = []
    real = zmq.Socket.send

    def record(self: zmq.Socket[Any], data: Any, *a: Any, **kw: Any) -> Any:
        sent.append((self.type, bytes(data)))
        return real(self, data, *a, **kw)

    monkeypatch.setattr(zmq.Socket, "send", record)
    started(servers, port)
    assert sent == [(zmq.PUB, b"null\n")]


def test_publish_before_start_after_stop_and_bad_buffer(port, peers, servers) -> None:
    srv = Echo(HOST, port)
    servers.append(srv)
    srv._publish(b"nobody")  # not started: nothing, no error
    srv._publish(12)  # not started: not even looked at (as Rogue)
    srv._start()
    with pytest.raises(rogue.GeneralError, match="Failed to extract object data"):
        srv._publish(12)
    srv._stop()
    srv._publish(b"after")


def test_publish_from_many_threads(port, peers, servers) -> None:
    srv = started(servers, port)
    sub = subscribed(peers, srv, port)
    msgs = [f"{t}:{i}".encode() * 50 for t in range(4) for i in range(150)]

    def send(t: int) -> None:
        for i in range(150):
            srv._publish(msgs[t * 150 + i])

    threads = [threading.Thread(target=send, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    got = [sub.recv() for _ in msgs]
    assert sorted(got) == sorted(msgs)


# -- bad requests never wedge a REP socket ------------------------------------------------------------
@pytest.mark.parametrize("bad", [b"raise", b"none", b"int", b"str"])
def test_failed_request_gets_empty_reply(port, peers, servers, bad, caplog) -> None:
    srv = started(servers, port)
    req = peers.req(port + 1)
    req.send(bad)
    assert req.recv_multipart() == [b""]
    req.send(b"next")
    assert req.recv() == b"re:next"
    warned = [r.getMessage() for r in caplog.records if r.name == "pyrogue.ZmqServer"]
    assert len(warned) == 1 and warned[0].startswith("ZmqServer::runThread: dropping request after exception: ")
    if bad == b"raise":
        assert "bad request" in warned[0] and caplog.records[-1].exc_info is not None
    else:
        assert "not a bytes-like object" in warned[0]
    assert srv.requests == [bad, b"next"]


@pytest.mark.parametrize("bad", [b"raise", b"bytes", b"\xff\xfe not utf-8"])
def test_failed_string_gets_empty_reply(port, peers, servers, bad, caplog) -> None:
    started(servers, port)
    req = peers.req(port + 2)
    req.send(bad)
    assert req.recv_multipart() == [b""]
    req.send(b"next")
    assert req.recv() == b"NEXT"
    warned = [r.getMessage() for r in caplog.records if r.name == "pyrogue.ZmqServer"]
    assert len(warned) == 1 and warned[0].startswith("ZmqServer::strThread: dropping request after exception: ")


def test_empty_requests_get_empty_replies(port, peers, servers) -> None:
    srv = started(servers, port)
    for p in (port + 1, port + 2):
        req = peers.req(p)
        req.send(b"")
        assert req.recv_multipart() == [b""]  # Rogue ignores it and that REP socket is stuck for good
        req.send(b"x")
        assert req.recv() in (b"re:x", b"X")
    assert srv.requests == [b"x"] and srv.strings == ["x"]  # the hooks never saw the empty ones


def test_default_hooks(port, peers, servers) -> None:
    started(servers, port, cls=rogue.interfaces.ZmqServer)
    req, strs = peers.req(port + 1), peers.req(port + 2)
    req.send(b"anything")
    strs.send(b"anything")
    assert req.recv() == b"" and strs.recv() == b""


# -- ports -------------------------------------------------------------------------------------------
def test_auto_ports_are_rogues() -> None:
    assert _zmq_common.AUTO_PORTS == tuple(9099 + 4 * k for k in range(25))
    assert _zmq_common.AUTO_PORTS[-1] == 9195
    assert _zmq_common.candidate_ports(0) == _zmq_common.AUTO_PORTS
    assert _zmq_common.candidate_ports(8000) == (8000,)


def test_auto_port_takes_the_first_free(peers, servers, monkeypatch) -> None:
    base = free_port_triple()
    blocks = [p for p in _ports.free_port_pairs(40, start=base) if p % 4 == base % 4 and ports_free(p, 4)][:3]
    assert len(blocks) == 3
    monkeypatch.setattr(_zmq_common, "AUTO_PORTS", tuple(blocks))
    peers.socket(zmq.REP, bind=blocks[0] + 2)  # the first candidate's string port is taken
    srv = Echo(HOST, 0)
    servers.append(srv)
    assert srv.port() == 0
    srv._start()
    assert srv.port() == blocks[1]
    assert ports_free(blocks[0], 2)  # what it bound of the first try was released
    req = peers.req(blocks[1] + 1)
    req.send(b"a")
    assert req.recv() == b"re:a"
    srv._stop()
    srv._start()  # a restart binds the port found again, as Rogue does
    assert srv.port() == blocks[1]


def test_auto_port_failure_text(peers, monkeypatch) -> None:
    base = free_port_triple()
    monkeypatch.setattr(_zmq_common, "AUTO_PORTS", (base,))
    peers.socket(zmq.PUB, bind=base)
    with pytest.raises(rogue.GeneralError) as err:
        Echo(HOST, 0)._start()
    assert str(err.value) == f"ZmqServer::ZmqServer: General Error: Failed to auto bind server on interface {HOST}."


@pytest.mark.parametrize("taken", [0, 1, 2])
def test_fixed_port_failure_text(port, peers, taken) -> None:
    peers.socket(zmq.PUB, bind=port + taken)
    srv = Echo(HOST, port)
    with pytest.raises(rogue.GeneralError) as err:
        srv._start()
    assert str(err.value) == (f"ZmqServer::ZmqServer: General Error: Failed to bind server to port {port + 1} on interface {HOST}. "
                              "Another process may be using this port.")  # P+1 whichever was taken, as Rogue
    assert all(ports_free(port + k, 1) for k in range(3) if k != taken)  # nothing of ours left bound
    srv._stop()  # never started: nothing to do


def test_bad_port_number() -> None:
    for bad in (-1, 65534, 70000):
        with pytest.raises(rogue.GeneralError, match="bad port"):
            Echo(HOST, bad)


@pytest.mark.timeout(60)
def test_200_start_stop_cycles_on_one_port(port, peers, servers) -> None:
    srv = Echo(HOST, port)
    servers.append(srv)
    req = peers.req(port + 1)
    for i in range(200):
        srv._start()  # a bind failure raises here
        if i % 50 == 0:
            req.send(b"%d" % i)
            assert req.recv() == b"re:%d" % i
        srv._stop()
        if i % 50 == 0:
            assert ports_free(port)
    assert ports_free(port)


def test_ports_free_when_stop_returns_and_stop_is_idempotent(port, peers, servers) -> None:
    srv = started(servers, port)
    req = peers.req(port + 1)
    req.send(b"x")
    assert req.recv() == b"re:x"  # a connected client: its connection must not hold the port either
    srv._stop()
    for k in range(3):
        probe = peers.socket(zmq.PUB)
        probe.bind(url(port + k))  # no retry: free at once
        probe.close(linger=0)
    srv._stop()


def test_thread_names(port, servers) -> None:
    started(servers, port)
    names = {t.name for t in threading.enumerate()}
    assert {f"rogue-bridge:ZmqServer.{HOST}.{port}:request", f"rogue-bridge:ZmqServer.{HOST}.{port}:string"} <= names


def test_stop_from_inside_a_request(port, peers, servers) -> None:
    class StopsItself(Echo):
        def _doRequest(self, data: bytes) -> Any:
            self._stop()
            return b"stopped"

    srv = started(servers, port, cls=StopsItself)
    req = peers.req(port + 1)
    req.send(b"stop")
    assert req.recv() == b"stopped"
    wait_until(lambda: ports_free(port), what="the ports to be released")


def test_state_is_private_and_subclass_attributes_are_free(port, peers, servers) -> None:
    srv = Echo(HOST, port)
    assert sorted(vars(srv)) == ["_ZmqServer__rogue_bridge", "requests", "strings"]
    # pyrogue.interfaces.ZmqServer's attributes, and names a subclass may well pick
    for name in ("_root", "_addr", "_pendingUpdates", "_port", "_log", "_running", "_thread", "_ctx", "_lock"):
        setattr(srv, name, object())
    servers.append(srv)
    srv._start()
    assert srv.port() == port
    req = peers.req(port + 1)
    req.send(b"x")
    assert req.recv() == b"re:x"


def test_hook_stopping_during_a_stop_and_a_start_waiting_for_it(port, peers, servers) -> None:
    entered, release = threading.Event(), threading.Event()

    class Slow(Echo):
        def _doRequest(self, data: bytes) -> Any:
            if data == b"slow":
                entered.set()
                release.wait(10)
                self._stop()  # another thread is stopping the server meanwhile: returns at once
            return b"re:" + data

    srv = started(servers, port, cls=Slow)
    req = peers.req(port + 1)
    req.send(b"slow")
    assert entered.wait(10)
    errors: list[BaseException] = []

    def run(call: Any) -> threading.Thread:
        def body() -> None:
            try:
                call()
            except BaseException as exc:  # noqa: BLE001 - checked below
                errors.append(exc)

        t = threading.Thread(target=body)
        t.start()
        return t

    stopper = run(srv._stop)  # waits for the request thread, busy in the hook
    wait_until(lambda: srv._ZmqServer__rogue_bridge.serving is None, what="the stop to begin")
    starter = run(srv._start)  # must wait for that stop to release the ports, then bind them
    release.set()
    stopper.join(10)
    starter.join(10)
    assert not stopper.is_alive() and not starter.is_alive() and errors == []
    assert req.recv() == b"re:slow"
    req2 = peers.req(port + 1)
    req2.send(b"again")
    assert req2.recv() == b"re:again"
