"""The process-wide ZAP service (rogue._security.zap) with raw pyzmq sockets on the shared context."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest
import zmq
import zmq.auth

import rogue
from rogue import GeneralError
from rogue._security import handshake_result
from rogue._security import zap as _zap
from rogue._security.keys import apply_client, public_keys, secret_key
from rogue._security.zap import register
from rogue._security.zap_policy import PeerGroup
from rogue._transport import context

_HS_EVENTS = zmq.EVENT_HANDSHAKE_SUCCEEDED | zmq.EVENT_HANDSHAKE_FAILED_AUTH
_HS_EVENTS |= zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL


class Client:
    """A raw peer (C++-Rogue-shaped: a plain PUSH or PULL) that watches its own handshakes."""

    def __init__(self, kind: int, port: int, src: str | None = None, curve: tuple[str, str] | None = None) -> None:
        self.sock = context().socket(kind)
        self.sock.linger = 0
        if kind == zmq.PUSH:
            self.sock.immediate = 1
        if curve is not None:
            apply_client(self.sock, *curve)
        self.mon = self.sock.get_monitor_socket(_HS_EVENTS)
        self.url = f"tcp://{src}:0;127.0.0.1:{port}" if src else f"tcp://127.0.0.1:{port}"
        self.sock.connect(self.url)

    def outcome(self, timeout: float = 5.0) -> str | None:
        """The next handshake result ('ok', 'busy', 'refused', 'failed'), or None after ``timeout``."""
        end = time.monotonic() + timeout
        while self.mon.poll(max(0, int((end - time.monotonic()) * 1000))):
            msg = self.mon.recv_multipart()
            result = handshake_result(int.from_bytes(msg[0][:2], "little"), int.from_bytes(msg[0][2:6], "little"))
            if result is not None:
                return result
        return None

    def retry(self) -> None:
        """Connect again (libzmq does not retry a refused connection by itself)."""
        self.sock.disconnect(self.url)
        self.sock.connect(self.url)

    def close(self) -> None:
        if not self.sock.closed:
            self.sock.disable_monitor()  # first: libzmq blocks on a monitor whose reader is gone
        self.sock.close(linger=0)
        self.mon.close(linger=0)


@pytest.fixture(autouse=True)
def _warnings_shown() -> None:
    """Rogue's default threshold is Error; these tests read the refusal warnings."""
    rogue.Logging.setLevel(rogue.Logging.Warning)


@pytest.fixture
def closing() -> Iterator[list]:
    """Things to close at the end of the test, last opened first."""
    items: list = []
    yield items
    for item in reversed(items):
        item.close()


def server(kind: int, port: int, closing: list, **policy) -> tuple[zmq.Socket, object]:
    sock = context().socket(kind)
    sock.linger = 0
    pol = register(sock, name=f"server:{port}", **policy)
    sock.bind(f"tcp://127.0.0.1:{port}")
    closing.append(pol)  # closed after the socket (list is closed in reverse)
    closing.append(sock)
    return sock, pol


def client(closing: list, *args, **kwargs) -> Client:
    c = Client(*args, **kwargs)
    closing.append(c)
    return c


def recv(sock: zmq.Socket, timeout: float = 5.0) -> bytes | None:
    return sock.recv() if sock.poll(int(timeout * 1000)) else None


def refusals(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(1 for r in caplog.records if r.levelno == logging.WARNING and text in r.getMessage())


@pytest.mark.timeout(20)
def test_exclusive_pull_refuses_second_peer_until_first_leaves(port, no_thread_leak, closing, caplog):
    srv, pol = server(zmq.PULL, port, closing, exclusive=True)
    assert srv.getsockopt(zmq.HEARTBEAT_IVL) > 0  # a client whose host vanished is dropped
    a = client(closing, zmq.PUSH, port)
    assert a.outcome() == "ok"
    a.sock.send(b"a1")
    assert recv(srv) == b"a1"

    b = client(closing, zmq.PUSH, port)
    assert b.outcome() == "busy"
    with pytest.raises(zmq.Again):
        b.sock.send(b"b1", zmq.NOBLOCK)  # nothing reaches the server from a refused peer
    for _ in range(3):  # retries while A is there: refused each time, one warning in all
        b.retry()
        assert b.outcome() == "busy"
    for i in range(100):
        a.sock.send(b"a%d" % i)
    assert [recv(srv) for _ in range(100)] == [b"a%d" % i for i in range(100)]
    assert refusals(caplog, "refused another client from 127.0.0.1") == 1
    assert pol.refused == 4

    a.close()
    for _ in range(50):  # A's disconnect reaches the server shortly after it closed
        b.retry()
        if b.outcome() == "ok":
            break
    else:
        pytest.fail("second peer not accepted after the first left")
    b.sock.send(b"b2")
    assert recv(srv) == b"b2"
    assert srv.poll(0) == 0  # b1 was never delivered


@pytest.mark.timeout(20)
def test_exclusive_push_sends_only_to_first_peer(port, no_thread_leak, closing):
    srv, _pol = server(zmq.PUSH, port + 1, closing, exclusive=True)
    a = client(closing, zmq.PULL, port + 1)
    assert a.outcome() == "ok"
    b = client(closing, zmq.PULL, port + 1)
    assert b.outcome() == "busy"
    for i in range(50):
        srv.send(b"%d" % i)
    assert [recv(a.sock) for _ in range(50)] == [b"%d" % i for i in range(50)]
    assert b.sock.poll(200) == 0
    b.close()
    a.close()
    for _ in range(50):  # a fresh peer (likely on the descriptor A had) once A's disconnect arrived
        c = client(closing, zmq.PULL, port + 1)
        if c.outcome() == "ok":
            break
        c.close()
        time.sleep(0.02)
    else:
        pytest.fail("the port stayed busy after its client left")
    srv.send(b"c")
    assert recv(c.sock) == b"c"


@pytest.mark.timeout(20)
def test_group_admits_only_the_served_address_on_the_other_socket(port, no_thread_leak, closing, caplog):
    group = PeerGroup(f"memory server {port}")
    _req, _ = server(zmq.PULL, port, closing, exclusive=True, group=group)
    _rsp, _ = server(zmq.PUSH, port + 1, closing, exclusive=True, group=group)
    a_req = client(closing, zmq.PUSH, port, src="127.0.0.1")
    assert a_req.outcome() == "ok"
    # A client on another host connecting only its response socket would steal A's answers.
    other_rsp = client(closing, zmq.PULL, port + 1, src="127.0.0.2")
    assert other_rsp.outcome() == "busy"
    a_rsp = client(closing, zmq.PULL, port + 1, src="127.0.0.1")
    assert a_rsp.outcome() == "ok"
    other_req = client(closing, zmq.PUSH, port, src="127.0.0.2")
    assert other_req.outcome() == "busy"
    assert refusals(caplog, "refused another client from 127.0.0.2") == 1  # one per address and group


@pytest.mark.timeout(20)
def test_allow_list(port, no_thread_leak, closing, caplog):
    srv, _ = server(zmq.PULL, port, closing, allow=["127.0.0.2", "10.0.0.0/8"])
    bad = client(closing, zmq.PUSH, port, src="127.0.0.1")
    assert bad.outcome() == "refused"
    good = client(closing, zmq.PUSH, port, src="127.0.0.2")
    assert good.outcome() == "ok"
    good.sock.send(b"hi")
    assert recv(srv) == b"hi"
    assert refusals(caplog, "127.0.0.1: address not in its allow-list") == 1
    with pytest.raises(GeneralError, match="not an IP address"):
        register(context().socket(zmq.PULL), name="x", allow=["localhost"])


@pytest.fixture
def certs(tmp_path):
    """A server certificate and two client certificates (one listed, one not)."""
    for name in ("server", "listed", "stranger"):
        zmq.auth.create_certificates(tmp_path, name)
    listed = tmp_path / "clients"
    listed.mkdir()
    (tmp_path / "listed.key").rename(listed / "listed.key")
    return tmp_path


@pytest.mark.timeout(20)
def test_curve_listed_client_only(port, no_thread_leak, closing, caplog, certs):
    caplog.set_level(logging.DEBUG)  # every logger, pyzmq's zmq.auth too: keys must not appear
    srv, pol = server(
        zmq.PULL,
        port,
        closing,
        server_secret_key=certs / "server.key_secret",
        client_keys=[certs / "clients"],  # a directory of certificates
    )
    server_pub = str(certs / "server.key")
    stranger = client(closing, zmq.PUSH, port, curve=(str(certs / "stranger.key_secret"), server_pub))
    assert stranger.outcome() == "refused"
    plain = client(closing, zmq.PUSH, port)
    assert plain.outcome() == "failed"  # a NULL peer never completes a handshake with a CURVE port
    listed = client(closing, zmq.PUSH, port, curve=(str(certs / "listed.key_secret"), server_pub))
    assert listed.outcome() == "ok"
    listed.sock.send(b"secret payload")
    assert recv(srv) == b"secret payload"
    for peer in (stranger, plain):
        with pytest.raises(zmq.Again):
            peer.sock.send(b"x", zmq.NOBLOCK)
    assert srv.poll(100) == 0
    assert pol.admitted == 1 and pol.refused == 1
    assert refusals(caplog, "its CURVE public key is not listed") == 1

    logged = "\n".join(r.getMessage() for r in caplog.records)
    for name in ("server", "listed", "stranger"):
        public, secret = secret_key(str(certs / f"{name}.key_secret"))
        assert public.decode() not in logged and secret.decode() not in logged


@pytest.mark.timeout(20)
def test_curve_keys_as_z85_strings(port, no_thread_leak, closing):
    server_pub, server_sec = zmq.curve_keypair()
    client_pub, client_sec = zmq.curve_keypair()
    srv, _ = server(zmq.PUSH, port + 1, closing, server_secret_key=server_sec.decode(), client_keys=[client_pub.decode()])
    c = client(closing, zmq.PULL, port + 1, curve=(client_sec.decode(), server_pub.decode()))
    assert c.outcome() == "ok"
    srv.send(b"x")
    assert recv(c.sock) == b"x"


def test_key_errors_never_echo_the_key(tmp_path):
    bad = "x" * 39
    with pytest.raises(GeneralError) as err:
        public_keys([bad])
    assert bad not in str(err.value) and "client public key #0" in str(err.value)
    pub_file, _ = zmq.auth.create_certificates(tmp_path, "c")
    with pytest.raises(GeneralError, match="holds no secret key"):
        secret_key(pub_file)
    with pytest.raises(GeneralError, match="needs both"):
        register(context().socket(zmq.PULL), name="x", client_keys=[zmq.curve_keypair()[0]])


@pytest.mark.timeout(20)
def test_simultaneous_peers_exactly_one_admitted(port, no_thread_leak, closing):
    srv, _ = server(zmq.PULL, port, closing, exclusive=True)
    peers = [client(closing, zmq.PUSH, port) for _ in range(8)]
    results = [p.outcome() for p in peers]
    assert sorted(results) == ["busy"] * 7 + ["ok"]
    winner = peers[results.index("ok")]
    winner.sock.send(b"w")
    assert recv(srv) == b"w"
    winner.close()
    peers.remove(winner)
    admitted = None
    for _ in range(50):  # the others retry in turn until one is admitted
        for p in peers:
            p.retry()
            if p.outcome() == "ok":
                admitted = p
                break
        if admitted:
            break
    assert admitted is not None
    admitted.sock.send(b"next")
    assert recv(srv) == b"next"
    for p in peers:
        if p is not admitted:
            p.retry()
            assert p.outcome() == "busy"


def test_inert_policy_changes_nothing(no_thread_leak):
    sock = context().socket(zmq.PULL)
    try:
        pol = register(sock, name="plain")
        assert not pol.active
        assert sock.zap_domain == b""
        assert not any(t.name == "rogue-bridge:zap:service" for t in threading.enumerate())
        pol.close()
    finally:
        sock.close(linger=0)


@pytest.mark.timeout(20)
def test_service_runs_while_policies_exist(port, no_thread_leak):
    for _ in range(2):  # stops with its last policy and starts again with the next
        socks = [context().socket(zmq.PULL) for _ in range(2)]
        pols = [register(s, name=f"s{i}", exclusive=True) for i, s in enumerate(socks)]
        assert sum(t.name == "rogue-bridge:zap:service" for t in threading.enumerate()) == 1
        socks[0].bind(f"tcp://127.0.0.1:{port}")
        for s, p in zip(socks, pols):
            s.close(linger=0)
            p.close()
            p.close()  # idempotent
        assert not any(t.name == "rogue-bridge:zap:service" for t in threading.enumerate())


@pytest.mark.timeout(20)
def test_forwarded_monitor_events(port, no_thread_leak, closing):
    srv, pol = server(zmq.PULL, port, closing, exclusive=True, forward_events=True)
    events = pol.events
    assert events is not None
    woken = threading.Event()
    events.notify = woken.set
    a = client(closing, zmq.PUSH, port)
    assert a.outcome() == "ok"
    seen = []
    while zmq.EVENT_HANDSHAKE_SUCCEEDED not in seen:
        try:
            seen.append(int.from_bytes(events.recv_multipart(zmq.NOBLOCK)[0][:2], "little"))
        except zmq.Again:
            assert woken.wait(5.0)
            woken.clear()
    assert zmq.EVENT_ACCEPTED in seen
    with pytest.raises(zmq.Again):
        events.recv_multipart(zmq.NOBLOCK)


@pytest.mark.timeout(20)
def test_heartbeat_frees_the_port_of_a_vanished_client(port, no_thread_leak, closing, monkeypatch):
    from conftest import free_port_pair
    from test_security import Proxy

    monkeypatch.setattr(_zap, "HEARTBEAT_IVL_MS", 100)
    monkeypatch.setattr(_zap, "HEARTBEAT_TIMEOUT_MS", 300)
    srv, _ = server(zmq.PULL, port, closing, exclusive=True)
    tap_port = free_port_pair()
    tap = Proxy(tap_port, port)
    closing.append(tap)
    a = client(closing, zmq.PUSH, tap_port)
    assert a.outcome() == "ok"
    a.sock.send(b"a")
    assert recv(srv) == b"a"  # the server's side of the handshake is complete too (heartbeats run)
    tap.frozen.set()  # A's host vanishes: no FIN, no answer to the server's PINGs
    b = client(closing, zmq.PUSH, port)
    assert b.outcome() == "busy"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        b.retry()
        if b.outcome() == "ok":
            break
    else:
        pytest.fail("the silent client's port was never freed")
    b.sock.send(b"b")
    assert recv(srv) == b"b"


def test_allow_networks_is_the_public_allow_list_check() -> None:
    """The allow-list parser the bridges and the CLI share: addresses, networks, clear errors."""
    import ipaddress

    from rogue._errors import GeneralError
    from rogue._security.options import allow_networks

    assert allow_networks("10.0.0.5") == (ipaddress.ip_network("10.0.0.5/32"),)
    assert allow_networks(["10.0.0.7/24", "::1"]) == (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("::1/128"))
    with pytest.raises(GeneralError, match="'nonsense' is not an IP address or network"):
        allow_networks(["127.0.0.1", "nonsense"])
