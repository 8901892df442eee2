"""Opt-in security of both bridges: CURVE with listed client keys, IP allow-list, encrypted wire."""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq
import zmq.auth

import rogue
import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from conftest import free_port_pair, free_port_pairs
from rogue._security.keys import secret_key

MARKER = b"PLAINTEXT-MARKER-0123456789"


class Regs(rim.Master):
    """A user's register master with blocking helpers."""

    def read(self, address: int, size: int = 4) -> tuple[bytes, str]:
        self._clearError()
        buf = bytearray(size)
        self._reqTransaction(address, buf, size, 0, rim.Read)
        self._waitTransaction(0)
        return bytes(buf), self._getError()

    def write(self, address: int, data: bytes) -> str:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Write)
        self._waitTransaction(0)
        return self._getError()


class Sink(ris.Slave):
    """Keeps the payload of every frame it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []
        self.got = threading.Condition()

    def _acceptFrame(self, frame) -> None:
        with self.got:
            self.frames.append(bytes(frame.getBa()))
            self.got.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> bool:
        with self.got:
            return self.got.wait_for(lambda: len(self.frames) >= n, timeout)


class Source(ris.Master):
    """Sends byte strings as frames."""

    def send(self, data: bytes) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        self._sendFrame(frame)


class Proxy:
    """Forwards 127.0.0.1 ports Q, Q+1 to P, P+1 and keeps every byte that passes (a wire tap)."""

    def __init__(self, listen: int, target: int) -> None:
        self.data = bytearray()
        self._target = target
        self._stop = threading.Event()
        self.frozen = threading.Event()  # set: stop passing bytes, keep the connections (a host that vanished)
        self._listeners = [socket.create_server(("127.0.0.1", listen + i)) for i in (0, 1)]
        self._thread = threading.Thread(target=self._run, name="test:proxy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sel = selectors.DefaultSelector()
        for i, lst in enumerate(self._listeners):
            sel.register(lst, selectors.EVENT_READ, ("listen", i))
        try:
            while not self._stop.is_set():
                if self.frozen.is_set():
                    self._stop.wait(0.05)
                    continue
                for key, _ in sel.select(0.05):
                    kind, arg = key.data
                    if kind == "listen":
                        down, _addr = key.fileobj.accept()
                        up = socket.create_connection(("127.0.0.1", self._target + arg))
                        sel.register(down, selectors.EVENT_READ, ("pipe", up))
                        sel.register(up, selectors.EVENT_READ, ("pipe", down))
                        continue
                    try:
                        chunk = key.fileobj.recv(65536)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        for s in (key.fileobj, arg):
                            try:
                                sel.unregister(s)
                            except (KeyError, ValueError):
                                pass
                            s.close()
                        continue
                    self.data += chunk
                    arg.sendall(chunk)
        finally:
            for key in list(sel.get_map().values()):
                key.fileobj.close()
            sel.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)


@pytest.fixture(autouse=True)
def _warnings_shown() -> None:
    rogue.Logging.setLevel(rogue.Logging.Warning)


@pytest.fixture
def closing() -> Iterator[list]:
    items: list = []
    yield items
    for item in reversed(items):
        item.stop() if hasattr(item, "stop") else item.close()


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, str]:
    """Certificate files: the server's, a listed client's (in a directory), a stranger's."""
    for name in ("server", "listed", "stranger"):
        zmq.auth.create_certificates(tmp_path, name)
    clients = tmp_path / "clients"
    clients.mkdir()
    (tmp_path / "listed.key").rename(clients / "listed.key")
    return {
        "server_secret": str(tmp_path / "server.key_secret"),
        "server_public": str(tmp_path / "server.key"),
        "clients": str(clients),
        "listed": str(tmp_path / "listed.key_secret"),
        "stranger": str(tmp_path / "stranger.key_secret"),
    }


def memory_server(closing: list, port: int, **kw) -> rim.Emulate:
    emu = rim.Emulate(4, 0x1000)
    srv = rim.TcpServer("127.0.0.1", port, **kw)
    closing.append(srv)
    srv >> emu
    closing.append(srv)
    return emu


def memory_client(closing: list, port: int, **kw) -> tuple[Regs, rim.TcpClient]:
    tcp = rim.TcpClient("127.0.0.1", port, **kw)
    closing.append(tcp)
    regs = Regs()
    regs >> tcp
    regs._setTimeout(1_000_000)
    return regs, tcp


def local(emu: rim.Emulate) -> Regs:
    regs = Regs()
    regs >> emu
    return regs


@pytest.mark.timeout(30)
def test_memory_curve_admits_only_listed_keys(port, no_thread_leak, closing, keys, caplog):
    emu = memory_server(closing, port, serverSecretKey=keys["server_secret"], allowedClientKeys=[keys["clients"]])
    assert local(emu).write(0x40, b"GOOD") == ""

    nokey, nokey_tcp = memory_client(closing, port)
    stranger, stranger_tcp = memory_client(closing, port, clientSecretKey=keys["stranger"],
                                           serverPublicKey=keys["server_public"])
    assert not stranger_tcp.waitReady(3)
    assert "refused this client" in stranger.write(0x40, b"EVIL")
    assert not nokey_tcp.waitReady(1)
    assert nokey.write(0x40, b"EVIL") != ""
    assert local(emu).read(0x40) == (b"GOOD", "")  # not a single transaction got through
    assert any("CURVE public key is not listed" in r.getMessage() for r in caplog.records)

    listed, listed_tcp = memory_client(closing, port, clientSecretKey=keys["listed"],
                                       serverPublicKey=keys["server_public"])
    assert listed_tcp.waitReady(5)
    assert listed.read(0x40) == (b"GOOD", "")
    assert listed.write(0x40, b"NEW!") == ""
    assert local(emu).read(0x40) == (b"NEW!", "")


@pytest.mark.timeout(30)
def test_stream_curve_admits_only_listed_keys(port, no_thread_leak, closing, keys):
    srv = ris.TcpServer("127.0.0.1", port, serverSecretKey=keys["server_secret"], allowedClientKeys=keys["clients"])
    closing.append(srv)
    at_server = Sink()
    srv >> at_server
    src = Source()
    src >> srv

    stranger = ris.TcpClient("127.0.0.1", port, clientSecretKey=keys["stranger"], serverPublicKey=keys["server_public"])
    closing.append(stranger)
    nokey = ris.TcpClient("127.0.0.1", port)
    closing.append(nokey)
    stranger_rx, nokey_rx = Sink(), Sink()
    stranger >> stranger_rx
    nokey >> nokey_rx
    assert not stranger.waitReady(1.0) and not nokey.waitReady(0.2)

    listed = ris.TcpClient("127.0.0.1", port, clientSecretKey=keys["listed"], serverPublicKey=keys["server_public"])
    closing.append(listed)
    listed_rx = Sink()
    listed >> listed_rx
    assert listed.waitReady(5)
    for i in range(20):  # with a second connected client these would alternate between them
        src.send(b"frame %d" % i)
    assert listed_rx.wait(20)
    assert listed_rx.frames == [b"frame %d" % i for i in range(20)]

    # The refused clients' own frames: their sends block (no connected peer) until stopped.
    for bad in (stranger, nokey):
        bad_src = Source()
        bad_src >> bad
        t = threading.Thread(target=bad_src.send, args=(b"intrusion",))
        t.start()
        t.join(0.2)
        bad.stop()
        t.join(2)
        assert not t.is_alive()
    assert stranger_rx.frames == [] and nokey_rx.frames == [] and at_server.frames == []


@pytest.mark.timeout(30)
def test_allow_list_on_both_bridges(port, no_thread_leak, closing):
    emu = memory_server(closing, port, allow=["127.0.0.2"])
    regs, tcp = memory_client(closing, port)  # connects from 127.0.0.1
    assert not tcp.waitReady(3)
    assert "refused this client" in regs.write(0, b"EVIL")
    assert local(emu).read(0) == (bytes(4), "")

    sport = free_port_pair()
    srv = ris.TcpServer("127.0.0.1", sport, allow="127.0.0.2")
    closing.append(srv)
    cli = ris.TcpClient("127.0.0.1", sport)
    closing.append(cli)
    assert not cli.waitReady(1.0)

    ok_port = free_port_pair()
    emu2 = memory_server(closing, ok_port, allow=["127.0.0.0/8"])
    regs2, tcp2 = memory_client(closing, ok_port)
    assert tcp2.waitReady(5)
    assert regs2.write(0, b"FINE") == ""
    assert local(emu2).read(0) == (b"FINE", "")


def _through_proxy(closing: list, port: int, curve: dict[str, str] | None) -> bytes:
    """Run a stream bridge and a memory bridge through wire taps; return every byte seen."""
    server_kw = {} if curve is None else {"serverSecretKey": curve["server_secret"], "allowedClientKeys": curve["clients"]}
    client_kw = {} if curve is None else {"clientSecretKey": curve["listed"], "serverPublicKey": curve["server_public"]}
    tap_port, mem_port, mem_tap = free_port_pairs(3, port)
    taps = [Proxy(tap_port, port), Proxy(mem_tap, mem_port)]
    closing.extend(taps)

    srv = ris.TcpServer("127.0.0.1", port, **server_kw)
    closing.append(srv)
    at_server = Sink()
    srv >> at_server
    cli = ris.TcpClient("127.0.0.1", tap_port, **client_kw)
    closing.append(cli)
    assert cli.waitReady(5)
    src = Source()
    src >> cli
    src.send(MARKER * 4)
    assert at_server.wait(1)
    assert at_server.frames == [MARKER * 4]

    emu = memory_server(closing, mem_port, **server_kw)
    regs, tcp = memory_client(closing, mem_tap, **client_kw)
    assert tcp.waitReady(5)
    assert regs.write(0x80, MARKER) == ""
    assert regs.read(0x80, len(MARKER)) == (MARKER, "")
    return bytes(taps[0].data + taps[1].data)


@pytest.mark.timeout(30)
def test_curve_wire_is_not_plaintext(port, no_thread_leak, closing, keys):
    seen = _through_proxy(closing, port, keys)
    assert len(seen) > 4 * len(MARKER)
    assert MARKER[:8] not in seen


@pytest.mark.timeout(30)
def test_plain_wire_through_the_tap_shows_the_marker(port, no_thread_leak, closing):
    assert MARKER in _through_proxy(closing, port, None)  # the tap really sees the payload


@pytest.mark.timeout(30)
def test_keys_never_logged(port, no_thread_leak, closing, keys, caplog):
    caplog.set_level(logging.DEBUG)  # every logger, at its most talkative
    rogue.Logging.setLevel(rogue.Logging.Debug)
    emu = memory_server(closing, port, serverSecretKey=keys["server_secret"], allowedClientKeys=[keys["clients"]])
    good, good_tcp = memory_client(closing, port, clientSecretKey=keys["listed"], serverPublicKey=keys["server_public"])
    assert good_tcp.waitReady(5)
    bad, bad_tcp = memory_client(closing, port, clientSecretKey=keys["stranger"], serverPublicKey=keys["server_public"])
    assert not bad_tcp.waitReady(3)
    assert good.write(0, b"1234") == ""
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "refused" in logged
    for name in ("server", "listed", "stranger"):
        public, secret = secret_key(keys[name] if name != "server" else keys["server_secret"])
        assert public.decode() not in logged and secret.decode() not in logged


def test_bad_key_options_are_clear_errors(port, no_thread_leak, keys):
    with pytest.raises(rogue.GeneralError, match="needs both"):
        rim.TcpServer("127.0.0.1", port, serverSecretKey=keys["server_secret"])
    with pytest.raises(rogue.GeneralError, match="needs both"):
        ris.TcpClient("127.0.0.1", port, clientSecretKey=keys["listed"])
    with pytest.raises(rogue.GeneralError, match="not a CURVE key") as err:
        ris.TcpServer("127.0.0.1", port, serverSecretKey="not-a-key", allowedClientKeys=keys["clients"])
    assert "not-a-key" not in str(err.value)
    with pytest.raises(rogue.GeneralError, match="server options"):
        ris.TcpCore("127.0.0.1", port, False, allow=["127.0.0.1"])
    with pytest.raises(rogue.GeneralError, match="client options"):
        ris.TcpCore("127.0.0.1", port, True, clientSecretKey=keys["listed"], serverPublicKey=keys["server_public"])
