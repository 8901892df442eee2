"""``rogue.interfaces.ZmqClient`` alone, against raw pyzmq peers (the wire of ``spec/zmq_server.md``, 3.2)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

import rogue
import rogue.interfaces
from conftest import returns, wait_until
from raw_peers import HOST, Peers, peers, port, warnings_logged  # noqa: F401 - fixtures

TIMEOUT = "ZmqClient::send: General Error: Timeout waiting for response after {} Seconds, server may be busy!"


class Recorder(rogue.interfaces.ZmqClient):
    """Records updates; the list exists before the base constructor starts the SUB thread (as VirtualClient does)."""

    def __init__(self, addr: str, port: int, doString: bool = False, **kw: Any) -> None:
        self.updates: list[Any] = []
        self.seen = threading.Semaphore(0)
        super().__init__(addr, port, doString, **kw)

    def _doUpdate(self, data: bytes) -> None:
        if data == b"raise":
            raise ValueError("bad update")
        self.updates.append(data)
        self.seen.release()


@pytest.fixture(autouse=True)
def _warnings(warnings_logged: None) -> None:
    """Every test here sees Rogue's warnings."""


@pytest.fixture
def clients(peers: Peers) -> Iterator[list[rogue.interfaces.ZmqClient]]:
    """Clients stopped at the end of the test, before the raw peers close."""
    items: list[rogue.interfaces.ZmqClient] = []
    yield items
    for c in items:
        c._stop()


def client(clients: list[Any], port: int, doString: bool = False, cls: type = Recorder, **kw: Any) -> Any:
    c = cls(HOST, port, doString, **kw)
    clients.append(c)
    return c


def logged(caplog: Any, text: str) -> bool:
    return any(text in r.getMessage() for r in caplog.records if r.name == "pyrogue.ZmqClient")


# -- the two sockets --------------------------------------------------------------------------------------
def test_request_and_reply_byte_for_byte(port, peers, clients) -> None:
    rep = peers.responder(port + 1)
    c = client(clients, port)
    payload = bytes(range(256)) * 3
    rep.answer(b"\x00reply" + payload)
    assert c._send(payload) == b"\x00reply" + payload
    assert rep.requests == [payload]
    rep.answer(b"ok")
    assert c._send(bytearray(b"ba")) == b"ok" and c._send is not None
    assert rep.requests[-1] == b"ba"


def test_updates_from_P_reach_doUpdate(port, peers, clients) -> None:
    pub = peers.socket(zmq.PUB, bind=port)
    c = client(clients, port)

    def probe_seen() -> bool:
        pub.send(b"probe")
        return c.seen.acquire(timeout=0.02)

    wait_until(probe_seen, what="the subscription")
    del c.updates[:]
    pub.send(b"\x80\x04update")
    pub.send(b"")  # empty messages are skipped, as in Rogue
    pub.send(b"last")
    wait_until(lambda: b"last" in c.updates, what="the last update")
    assert [u for u in c.updates if u != b"probe"] == [b"\x80\x04update", b"last"]  # late probes aside
    assert all(type(u) is bytes for u in c.updates)


def test_doUpdate_exception_logged_and_loop_goes_on(port, peers, clients, caplog) -> None:
    pub = peers.socket(zmq.PUB, bind=port)
    c = client(clients, port)

    def probe_seen() -> bool:
        pub.send(b"probe")
        return c.seen.acquire(timeout=0.02)

    wait_until(probe_seen, what="the subscription")
    pub.send(b"raise")
    pub.send(b"after")
    wait_until(lambda: b"after" in c.updates, what="the update after the failing one")
    assert logged(caplog, "ZmqClient::runThread: dropping update after exception: bad update")


def test_string_mode_json_is_rogues_bytes(port, peers, clients) -> None:
    rep = peers.responder(port + 2)
    c = client(clients, port, True, cls=rogue.interfaces.ZmqClient)
    for reply in (b"0x1f", b"None", b"done", b"7"):
        rep.answer(reply)
    assert c.getDisp("Root.Dev.Reg") == "0x1f"
    assert c.setDisp("Root.Dev.Reg", "0x20") is None
    assert c.exec("Root.Dev.Cmd", "") == "done"
    assert c.valueDisp("Root.Dev.Reg") == "7"
    assert rep.requests == [  # what Rogue's hand-built JSON is, to the byte
        b'{"attr": "getDisp","path": "Root.Dev.Reg"}',
        b'{"attr": "setDisp","path": "Root.Dev.Reg","args": ["0x20"]}',
        b'{"attr": "__call__","path": "Root.Dev.Cmd"}',
        b'{"attr": "valueDisp","path": "Root.Dev.Reg"}',
    ]


def test_string_mode_escapes_what_rogue_does_not(port, peers, clients) -> None:
    rep = peers.responder(port + 2)
    c = client(clients, port, True, cls=rogue.interfaces.ZmqClient)
    rep.answer("naïve".encode())
    value = 'say "hi"\\\n\tnaïve'
    assert c.exec("Root.Cmd", value) == "naïve"
    assert json.loads(rep.requests[0]) == {"attr": "__call__", "path": "Root.Cmd", "args": [value]}
    rep.answer(b"")
    assert c.valueDisp("Root.Empty") == ""  # an empty string is an answer here (Rogue takes it for a timeout)


def test_wrong_mode_calls(port, peers, clients) -> None:
    s = client(clients, port, True, cls=rogue.interfaces.ZmqClient)
    b = client(clients, port, False, cls=rogue.interfaces.ZmqClient)
    with pytest.raises(rogue.GeneralError, match="^ZmqClient::send: General Error: Invalid send call in string mode$"):
        s._send(b"x")
    with pytest.raises(rogue.GeneralError, match="^ZmqClient::sendString: General Error: Invalid send call in standard mode$"):
        b.getDisp("Root.X")
    with pytest.raises(rogue.GeneralError, match="Failed to extract object data"):
        b._send("not bytes")


def test_empty_reply_raises_at_once(port, peers, clients) -> None:
    rep = peers.responder(port + 1)
    c = client(clients, port)
    c.setTimeout(1000, 0)  # Rogue would spin here for ever
    rep.answer(b"")
    with pytest.raises(rogue.GeneralError, match="Empty response from server"):
        c._send(b"x")
    rep.answer(b"fine")
    assert c._send(b"y") == b"fine"


# -- timeouts ------------------------------------------------------------------------------------------------
def test_fail_time_raises_rogues_text(port, peers, clients) -> None:
    peers.responder(port + 1)  # never answers
    c = client(clients, port)
    c.setTimeout(50, 150)
    with pytest.raises(rogue.GeneralError) as err:
        c._send(b"probe")
    assert str(err.value) == TIMEOUT.format(0)
    s = client(clients, port, True, cls=rogue.interfaces.ZmqClient)
    peers.responder(port + 2)
    s.setTimeout(50, 100)
    with pytest.raises(rogue.GeneralError) as err:
        s.getDisp("Root.X")
    assert str(err.value) == "ZmqClient::sendString: General Error: Timeout waiting for response after 0 Seconds."


def test_default_timeout_fails_on_the_first_second(port, peers, clients) -> None:
    peers.responder(port + 1)
    c = client(clients, port)
    with pytest.raises(rogue.GeneralError) as err:
        c._send(b"probe")  # warnTime 1000, failTime 1000: Rogue's defaults
    assert str(err.value) == TIMEOUT.format(1)


@pytest.mark.timeout(30)
def test_fail_time_zero_waits_warns_and_recovers(port, peers, clients, caplog) -> None:
    rep = peers.responder(port + 1)
    c = client(clients, port)
    c.setTimeout(1000, 0)
    result: list[bytes] = []
    t = threading.Thread(target=lambda: result.append(c._send(b"slow")))
    t.start()
    wait_until(lambda: logged(caplog, "Timeout waiting for response after 1 seconds, server may be busy. "
                                      "Continuing to wait..."), what="the first warning")
    assert t.is_alive()  # with failTime 1000 it would have raised at this very point
    rep.answer(b"late")
    t.join(10)
    assert result == [b"late"]
    assert logged(caplog, "Received response from server after ")


def test_request_after_an_abandoned_one(port, peers, clients) -> None:
    rep = peers.responder(port + 1)
    c = client(clients, port)
    c.setTimeout(50, 50)
    with pytest.raises(rogue.GeneralError, match="Timeout"):
        c._send(b"one")
    assert rep.wait_request() == b"one"
    rep.answer(b"late answer to one")  # arrives after the client gave up: dropped (REQ_CORRELATE)
    rep.answer(b"answer to two")
    c.setTimeout(1000, 10000)
    assert c._send(b"two") == b"answer to two"  # sendable at all thanks to REQ_RELAXED
    assert rep.requests == [b"one", b"two"]


@pytest.mark.timeout(30)
def test_stop_while_a_send_waits(port, peers, clients) -> None:
    rep = peers.responder(port + 1)
    c = client(clients, port)
    c.setTimeout(60000, 0)  # a period far longer than the test: only the stop can end the wait
    errors: list[BaseException] = []

    def send() -> None:
        try:
            c._send(b"never answered")
        except BaseException as exc:  # noqa: BLE001 - checked below
            errors.append(exc)

    t = threading.Thread(target=send)
    t.start()
    assert rep.wait_request() == b"never answered"
    returns(c._stop)
    t.join(10)
    assert not t.is_alive()
    assert len(errors) == 1 and isinstance(errors[0], rogue.GeneralError) and "Timeout" in str(errors[0])
    c._stop()  # idempotent
    with pytest.raises(rogue.GeneralError, match="zmq_sendmsg failed"):
        c._send(b"after stop")


# -- setTimeout and construction ------------------------------------------------------------------------------
def test_setTimeout_argument_checks(port, clients) -> None:
    c = client(clients, port)
    with pytest.raises(TypeError, match="not bool"):
        c.setTimeout(10000, True)
    with pytest.raises(TypeError):
        c.setTimeout(True, 0)
    with pytest.raises(TypeError):
        c.setTimeout(1.5, 0)
    with pytest.raises(rogue.GeneralError, match="warnTime"):
        c.setTimeout(0, 0)
    with pytest.raises(rogue.GeneralError, match="warnTime"):
        c.setTimeout(0, 100)
    with pytest.raises(OverflowError):
        c.setTimeout(-1)
    c.setTimeout(1000)  # failTime defaults to 0
    c.setTimeout(warnTime=500, failTime=0)


def test_new_accepts_the_constructor_arguments(port, clients) -> None:
    class Cached(rogue.interfaces.ZmqClient):  # the shape of pyrogue's VirtualClient.__new__
        def __new__(cls, addr: str = "localhost", port: int = 9099, linkTimeout: Any = None) -> Any:
            return super().__new__(cls, addr, port)

        def __init__(self, addr: str = "localhost", port: int = 9099, linkTimeout: Any = None) -> None:
            rogue.interfaces.ZmqClient.__init__(self, addr, port, False)

    clients.append(Cached(HOST, port, linkTimeout=3.0))
    clients.append(rogue.interfaces.ZmqClient.__new__(rogue.interfaces.ZmqClient, HOST, port, True))
    clients[-1].__init__(HOST, port, True)


def test_thread_started_in_constructor_and_named(port, clients) -> None:
    before = {t.name for t in threading.enumerate()}
    c = client(clients, port)
    assert f"rogue-bridge:ZmqClient.{HOST}.{port}:sub" in {t.name for t in threading.enumerate()} - before
    client(clients, port, True)  # string mode: no thread
    c._stop()
    wait_until(lambda: not any(t.name.endswith(f"{port}:sub") for t in threading.enumerate()))


def test_stop_from_inside_doUpdate(port, peers, clients) -> None:
    class StopsItself(Recorder):
        def _doUpdate(self, data: bytes) -> None:
            self._stop()
            super()._doUpdate(data)

    pub = peers.socket(zmq.PUB, bind=port)
    c = client(clients, port, cls=StopsItself)

    def seen() -> bool:
        pub.send(b"stop")
        return c.seen.acquire(timeout=0.02)

    wait_until(seen, what="an update")
    wait_until(lambda: not any(t.name.endswith(f"{port}:sub") for t in threading.enumerate()))


def test_state_is_private_and_subclass_attributes_are_free(port, peers, clients) -> None:
    names = ("_root", "_link", "_ltime", "_reqLock", "_reqCount", "_reqSince", "_linkTimeout",
             "_requestStallTimeout", "_monitors", "_varListeners", "_cacheKey", "_monEnable", "_monThread",
             "_vcInitialized", "_log", "_host", "_port", "_lock", "_thread", "_ctx", "_timeout", "_running")

    class Virtual(Recorder):  # the attributes pyrogue's VirtualClient sets, before and after the base __init__
        def __init__(self, addr: str, port: int, doString: bool = False) -> None:
            for name in names[:8]:
                setattr(self, name, object())
            super().__init__(addr, port)
            for name in names[8:]:
                setattr(self, name, object())

    rep = peers.responder(port + 1)
    c = client(clients, port, cls=Virtual)
    assert [k for k in vars(c) if k not in names] == ["updates", "seen", "_ZmqClient__rogue_bridge"]
    rep.answer(b"ok")
    assert c._send(b"x") == b"ok"
    c.setTimeout(1000, 0)
