"""Who may use a ZmqServer: the allow-list and CURVE (opt-in, through the bridges' ``BridgeSecurity``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq.auth

import rogue
import rogue.interfaces
from conftest import free_port_triple, wait_until
from rogue._errors import OptionError

HOST = "127.0.0.1"


class Server(rogue.interfaces.ZmqServer):
    def _doRequest(self, data: bytes) -> bytes:
        return b"re:" + data

    def _doString(self, data: str) -> str:
        return "ok"


class Listener(rogue.interfaces.ZmqClient):
    def __init__(self, *a: Any, **kw: Any) -> None:
        self.seen = threading.Event()
        super().__init__(*a, **kw)

    def _doUpdate(self, data: bytes) -> None:
        self.seen.set()


@pytest.fixture(autouse=True)
def _warnings_logged() -> Iterator[None]:
    rogue.Logging.setLevel(rogue.Logging.Warning)
    yield
    rogue.interfaces.ZmqClient.setDefaultSecurity()


@pytest.fixture
def port() -> int:
    return free_port_triple()


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    for name in ("server", "listed", "stranger"):
        zmq.auth.create_certificates(tmp_path, name)
    clients = tmp_path / "clients"
    clients.mkdir()
    (tmp_path / "listed.key").rename(clients / "listed.key")
    return {"server_secret": str(tmp_path / "server.key_secret"), "server_public": str(tmp_path / "server.key"),
            "clients": str(clients), "listed": str(tmp_path / "listed.key_secret"),
            "stranger": str(tmp_path / "stranger.key_secret")}


@pytest.fixture
def closing(no_thread_leak: None) -> Iterator[list[Any]]:
    items: list[Any] = []
    yield items
    for item in reversed(items):
        item._stop()


def refused(c: rogue.interfaces.ZmqClient) -> bool:
    c.setTimeout(200, 200)
    try:
        c._send(b"x")
    except rogue.GeneralError as exc:
        return "Timeout" in str(exc)
    return False


def works(srv: Server, c: Listener) -> bool:
    c.setTimeout(5000, 5000)
    if c._send(b"x") != b"re:x":
        return False

    def update_seen() -> bool:
        srv._publish(b"update")
        return c.seen.wait(0.02)

    wait_until(update_seen, what="an update through the PUB port")
    return True


def test_curve_admits_only_listed_keys(port, keys, closing, caplog) -> None:
    srv = Server(HOST, port, serverSecretKey=keys["server_secret"], allowedClientKeys=[keys["clients"]])
    closing.append(srv)
    srv._start()
    listed = Listener(HOST, port, False, clientSecretKey=keys["listed"], serverPublicKey=keys["server_public"])
    closing.append(listed)
    assert works(srv, listed)
    strs = rogue.interfaces.ZmqClient(HOST, port, True, clientSecretKey=keys["listed"],
                                      serverPublicKey=keys["server_public"])
    closing.append(strs)
    assert strs.getDisp("Root") == "ok"
    stranger = Listener(HOST, port, False, clientSecretKey=keys["stranger"], serverPublicKey=keys["server_public"])
    closing.append(stranger)
    assert refused(stranger)
    plain = Listener(HOST, port, False)
    closing.append(plain)
    assert refused(plain)
    assert any("CURVE public key is not listed" in r.getMessage() for r in caplog.records)


def test_default_keys_for_clients_a_subclass_constructs(port, keys, closing) -> None:
    class Virtual(Listener):  # calls the base constructor with Rogue's three arguments, as VirtualClient does
        def __init__(self, addr: str, port: int) -> None:
            super().__init__(addr, port, False)

    srv = Server(HOST, port)
    closing.append(srv)
    srv.setSecurity(serverSecretKey=keys["server_secret"], allowedClientKeys=[keys["clients"]])
    srv._start()
    rogue.interfaces.ZmqClient.setDefaultSecurity(clientSecretKey=keys["listed"],
                                                  serverPublicKey=keys["server_public"])
    c = Virtual(HOST, port)
    closing.append(c)
    assert works(srv, c)
    rogue.interfaces.ZmqClient.setDefaultSecurity()
    c2 = Virtual(HOST, port)
    closing.append(c2)
    assert refused(c2)


def test_allow_list(port, closing) -> None:
    srv = Server(HOST, port, allow=["10.11.12.0/24"])
    closing.append(srv)
    srv._start()
    c = Listener(HOST, port, False)
    closing.append(c)
    assert refused(c)
    srv._stop()
    srv.setSecurity(allow="127.0.0.0/8")  # from the next start on
    srv._start()
    c2 = Listener(HOST, port, False)
    closing.append(c2)
    assert works(srv, c2)


def test_bad_options_are_refused_before_any_socket(keys) -> None:
    with pytest.raises(OptionError) as err:
        Server(HOST, 0, serverSecretKey=keys["server_secret"])
    assert err.value.kind == "pair"
    with pytest.raises(OptionError):
        Server(HOST, 0, allow="not an address")
    with pytest.raises(OptionError):
        rogue.interfaces.ZmqClient(HOST, 9000, False, clientSecretKey=keys["listed"])
    with pytest.raises(OptionError):
        rogue.interfaces.ZmqClient.setDefaultSecurity(serverPublicKey=keys["server_public"])
