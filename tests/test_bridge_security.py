"""The one security object of the bridges (rogue._security.BridgeSecurity), its guard, and Policy's decisions.

No traffic here: validation, key parsing, socket options, and the ZAP
decisions of :class:`rogue._security.zap_policy.Policy` driven directly.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import threading

import pytest
import zmq
import zmq.auth
from zmq.utils import z85

from rogue import GeneralError
from rogue._security import keys as _keys
from rogue._errors import OptionError
from rogue._security import BridgeSecurity, SocketGuard
from rogue._security.keys import ClientCurve, ServerCurve
from rogue._security.zap import guard, register
from rogue._security.zap_policy import BUSY, PeerGroup, Policy
from rogue._transport import context
from rogue._logging import Logging

SERVER_PUB, SERVER_SEC = (k.decode() for k in zmq.curve_keypair())
CLIENT_PUB, CLIENT_SEC = (k.decode() for k in zmq.curve_keypair())


def _error(make, *args, **kwargs) -> OptionError:  # type: ignore[no-untyped-def]
    with pytest.raises(OptionError) as err:
        make(*args, **kwargs)
    assert isinstance(err.value, GeneralError)  # callers that catch GeneralError still do
    for key in (SERVER_PUB, SERVER_SEC, CLIENT_PUB, CLIENT_SEC):
        assert key not in str(err.value)  # never echoed
    return err.value


# -- validation -------------------------------------------------------------------------------------
def test_no_option_is_plain() -> None:
    for sec in (BridgeSecurity.for_server("s"), BridgeSecurity.for_client("c")):
        assert sec.allow is None and sec.curve is None and not sec.exclusive
        assert not sec.enabled
    assert BridgeSecurity.for_server("s").server and not BridgeSecurity.for_client("c").server


def test_exclusive_and_many_clients() -> None:
    sec = BridgeSecurity.for_server("s", exclusive=True)
    assert sec.exclusive and sec.enabled
    assert not BridgeSecurity.for_server("s", exclusive=True, manyClients=True).exclusive


def test_allow_parsed_once_into_networks() -> None:
    sec = BridgeSecurity.for_server("s", allow=["10.0.0.7/24", "::1"])
    assert sec.allow == (ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("::1/128"))
    assert sec.enabled
    assert BridgeSecurity.for_server("s", allow="127.0.0.1").allow == (ipaddress.ip_network("127.0.0.1/32"),)
    err = _error(BridgeSecurity.for_server, "s", allow=["127.0.0.1", "nonsense"])
    assert (err.option, err.kind) == ("allow", "value")
    assert "'nonsense' is not an IP address or network" in str(err)


def test_server_curve_parsed() -> None:
    sec = BridgeSecurity.for_server("s", serverSecretKey=SERVER_SEC, allowedClientKeys=[CLIENT_PUB])
    assert isinstance(sec.curve, ServerCurve) and sec.enabled
    assert sec.curve.secret == SERVER_SEC.encode()
    assert sec.curve.clients == frozenset({z85.decode(CLIENT_PUB)})
    raw = BridgeSecurity.for_server("s", serverSecretKey=z85.decode(SERVER_SEC), allowedClientKeys=CLIENT_PUB)
    assert raw.curve == sec.curve  # 32 raw bytes, and one key instead of a list


def test_client_curve_parsed() -> None:
    sec = BridgeSecurity.for_client("c", clientSecretKey=CLIENT_SEC, serverPublicKey=SERVER_PUB)
    assert isinstance(sec.curve, ClientCurve) and sec.enabled
    assert (sec.curve.public, sec.curve.secret, sec.curve.server_public) == (
        CLIENT_PUB.encode(), CLIENT_SEC.encode(), SERVER_PUB.encode())


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [({"serverSecretKey": SERVER_SEC}, "allowedClientKeys"), ({"allowedClientKeys": [CLIENT_PUB]}, "serverSecretKey")],
)
def test_server_curve_needs_both(kwargs, missing) -> None:  # type: ignore[no-untyped-def]
    err = _error(BridgeSecurity.for_server, "TcpServer.x", **kwargs)
    assert str(err) == "TcpServer.x: CURVE needs both serverSecretKey and allowedClientKeys"
    assert (err.option, err.kind) == (missing, "pair")


@pytest.mark.parametrize(
    ("kwargs", "missing"),
    [({"clientSecretKey": CLIENT_SEC}, "serverPublicKey"), ({"serverPublicKey": SERVER_PUB}, "clientSecretKey")],
)
def test_client_curve_needs_both(kwargs, missing) -> None:  # type: ignore[no-untyped-def]
    err = _error(BridgeSecurity.for_client, "TcpClient.x", **kwargs)
    assert str(err) == "TcpClient.x: CURVE needs both clientSecretKey and serverPublicKey"
    assert (err.option, err.kind) == (missing, "pair")


@pytest.mark.parametrize("option", ["clientSecretKey", "serverPublicKey"])
def test_server_refuses_client_options(option) -> None:  # type: ignore[no-untyped-def]
    err = _error(BridgeSecurity.for_server, "s", **{option: CLIENT_SEC})
    assert str(err) == "s: clientSecretKey/serverPublicKey are client options (a server takes serverSecretKey)"
    assert (err.option, err.kind) == (option, "side")


@pytest.mark.parametrize("option", ["allow", "serverSecretKey", "allowedClientKeys"])
def test_client_refuses_server_options(option) -> None:  # type: ignore[no-untyped-def]
    err = _error(BridgeSecurity.for_client, "c", **{option: "127.0.0.1"})
    assert str(err) == "c: allow/serverSecretKey/allowedClientKeys are server options"
    assert (err.option, err.kind) == (option, "side")


@pytest.mark.parametrize(
    ("side", "kwargs", "option", "text"),
    [
        ("server", {"serverSecretKey": "not-a-key", "allowedClientKeys": [CLIENT_PUB]}, "serverSecretKey",
         "the server secret key is not a CURVE key"),
        ("server", {"serverSecretKey": SERVER_SEC, "allowedClientKeys": [CLIENT_PUB, "y" * 39]}, "allowedClientKeys",
         "client public key #1 is not a CURVE key"),
        ("client", {"clientSecretKey": "~" * 40, "serverPublicKey": SERVER_PUB}, "clientSecretKey",
         "the client secret key is not a CURVE key"),
        ("client", {"clientSecretKey": CLIENT_SEC, "serverPublicKey": "missing.key"}, "serverPublicKey",
         "cannot read CURVE certificate 'missing.key'"),
    ],
)
def test_bad_keys_name_the_option_never_the_key(side, kwargs, option, text) -> None:  # type: ignore[no-untyped-def]
    make = BridgeSecurity.for_server if side == "server" else BridgeSecurity.for_client
    err = _error(make, "b", **kwargs)
    assert (err.option, err.kind) == (option, "value")
    assert text in err.msg
    assert "not-a-key" not in str(err) and "~" * 40 not in str(err) and "y" * 39 not in str(err)


def test_keys_parsed_once(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    server_pub, server_sec = zmq.auth.create_certificates(tmp_path, "server")
    client_pub, client_sec = zmq.auth.create_certificates(tmp_path, "client")
    reads = []
    real = zmq.auth.load_certificate
    monkeypatch.setattr(zmq.auth, "load_certificate", lambda path: reads.append(path) or real(path))
    srv = BridgeSecurity.for_server("s", serverSecretKey=server_sec, allowedClientKeys=tmp_path / "client.key")
    cli = BridgeSecurity.for_client("c", clientSecretKey=client_sec, serverPublicKey=server_pub)
    assert len(reads) == 4
    for path in (server_pub, server_sec, client_pub, client_sec):
        os.remove(path)  # applying never reads a file again
    socks = [context().socket(zmq.PULL) for _ in range(2)]
    try:
        srv.apply_curve(socks[0])
        cli.apply_curve(socks[1])
        assert socks[0].curve_server
        assert socks[1].getsockopt(zmq.MECHANISM) == zmq.CURVE and not socks[1].curve_server
        assert cli.curve.server_public == zmq.curve_public(srv.curve.secret)
    finally:
        for s in socks:
            s.close(linger=0)
    assert len(reads) == 4


def test_frozen_and_repr_without_keys() -> None:
    srv = BridgeSecurity.for_server("s", serverSecretKey=SERVER_SEC, allowedClientKeys=[CLIENT_PUB])
    cli = BridgeSecurity.for_client("c", clientSecretKey=CLIENT_SEC, serverPublicKey=SERVER_PUB)
    with pytest.raises(dataclasses.FrozenInstanceError):
        srv.exclusive = True  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        srv.curve.secret = b""  # type: ignore[union-attr,misc]
    for text in (repr(srv), repr(cli), repr(srv.curve), repr(cli.curve)):
        for key in (SERVER_PUB, SERVER_SEC, CLIENT_PUB, CLIENT_SEC):
            assert key not in text
    assert "1 client key" in repr(srv)


def test_keys_helpers_share_the_pair_check() -> None:
    assert _keys.server_curve(None, None, "s") is None and _keys.client_curve(None, None, "c") is None
    with pytest.raises(OptionError, match="needs both"):
        _keys.server_curve(SERVER_SEC, None, "s")
    with pytest.raises(OptionError, match="needs both"):
        _keys.client_curve(None, SERVER_PUB, "c")


# -- applying it -------------------------------------------------------------------------------------
def test_register_wrapper_validates_through_the_object() -> None:
    sock = context().socket(zmq.PULL)
    try:
        with pytest.raises(OptionError, match="needs both serverSecretKey and allowedClientKeys"):
            register(sock, name="x", server_secret_key=SERVER_SEC)
        with pytest.raises(GeneralError, match="a client's security cannot guard a server socket"):
            guard(sock, BridgeSecurity.for_client("c"))
        pol = guard(sock, BridgeSecurity.for_server("plain"))
        assert not pol.active and sock.zap_domain == b""
    finally:
        sock.close(linger=0)


def test_socket_guard_client_sets_curve_only(no_thread_leak) -> None:  # type: ignore[no-untyped-def]
    sec = BridgeSecurity.for_client("c", clientSecretKey=CLIENT_SEC, serverPublicKey=SERVER_PUB)
    g = SocketGuard(sec, Logging.create("test.guard"))
    sock = context().socket(zmq.PUSH)
    try:
        assert g.enabled
        assert g.prepare(sock) is None
        assert sock.getsockopt(zmq.MECHANISM) == zmq.CURVE and not sock.curve_server
        assert sock.zap_domain == b""
        assert g.client_ip() == ""
    finally:
        sock.close(linger=0)
        g.close()


def test_socket_guard_server_policies(no_thread_leak) -> None:  # type: ignore[no-untyped-def]
    plain = SocketGuard(BridgeSecurity.for_server("p"), Logging.create("test.guard"))
    sock = context().socket(zmq.PULL)
    try:
        assert not plain.enabled and plain.prepare(sock) is None and sock.zap_domain == b""
    finally:
        sock.close(linger=0)
        plain.close()
    g = SocketGuard(BridgeSecurity.for_server("x", exclusive=True), Logging.create("test.guard"), "pair x",
                    forward_events=True)
    socks = [context().socket(zmq.PULL), context().socket(zmq.PUSH)]
    try:
        queues = [g.prepare(s) for s in socks]
        assert all(q is not None for q in queues)
        assert all(s.zap_domain.startswith(b"rogue-bridge.") for s in socks)
        assert socks[0].getsockopt(zmq.HEARTBEAT_IVL) == 0  # the bridge checks links itself
        assert sum(t.name == "rogue-bridge:zap:service" for t in threading.enumerate()) == 1
        assert g.client_ip() == ""
    finally:
        for s in socks:
            s.close(linger=0)
        g.close()
        g.close()  # idempotent
    assert not any(t.name == "rogue-bridge:zap:service" for t in threading.enumerate())


# -- Policy's decisions (service thread API), without sockets -------------------------------------------
def _policy(group: PeerGroup, **kw) -> Policy:  # type: ignore[no-untyped-def]
    pol = Policy(None, kw.pop("name", "p"), group, kw.pop("exclusive", False), kw.pop("allow", None),
                 kw.pop("keys", None))
    group.members.append(pol)
    return pol


def test_policy_allow_and_curve_decisions() -> None:
    group = PeerGroup("g")
    nets = BridgeSecurity.for_server("s", allow="10.0.0.0/8").allow
    pol = _policy(group, allow=nets)
    assert pol.admit("10.1.2.3", b"NULL", []) == (b"200", b"OK")
    assert pol.admit("::ffff:10.1.2.3", b"NULL", []) == (b"200", b"OK")  # IPv4-mapped
    assert pol.admit("192.0.2.1", b"NULL", []) == (b"400", b"Address not allowed")
    assert pol.admit("10.1.2.3", b"CURVE", [b"k" * 32]) == (b"400", b"Mechanism not allowed")
    key = z85.decode(CLIENT_PUB)
    curve = _policy(group, keys=frozenset({key}))
    assert curve.admit("127.0.0.1", b"NULL", []) == (b"400", b"CURVE required")
    assert curve.admit("127.0.0.1", b"CURVE", [b"k" * 32]) == (b"400", b"Unknown key")
    assert curve.admit("127.0.0.1", b"CURVE", [key]) == (b"200", b"OK")
    assert (pol.admitted, pol.refused, curve.admitted, curve.refused) == (2, 2, 1, 2)


def test_policy_exclusive_pair_follows_connections() -> None:
    group = PeerGroup("pair")
    req, rsp = _policy(group, name="P", exclusive=True), _policy(group, name="P+1", exclusive=True)
    req.accepted(7)
    assert req.admit("127.0.0.1", b"NULL", []) == (b"200", b"OK")
    assert req.owner_ip == "127.0.0.1"
    req.accepted(8)  # a second connection, from another host
    assert req.admit("127.0.0.2", b"NULL", []) == (BUSY, b"Busy")
    assert rsp.admit("127.0.0.2", b"NULL", []) == (BUSY, b"Busy")  # the other socket of the pair too
    rsp.accepted(9)
    assert rsp.admit("127.0.0.1", b"NULL", []) == (b"200", b"OK")  # the served client's second socket
    req.disconnected(8)
    req.disconnected(7)
    rsp.disconnected(9)
    req.accepted(7)  # a reused descriptor is a new connection
    assert req.admit("127.0.0.2", b"NULL", []) == (b"200", b"OK")
    assert req.owner_ip == "127.0.0.2" and rsp.owner_ip == ""


def test_policy_monitor_stopped_forgets_connections() -> None:
    pol = _policy(PeerGroup("g"), exclusive=True)
    assert pol.monitor is None and not pol.active
    pol.accepted(3)
    assert pol.admit("127.0.0.1", b"NULL", []) == (b"200", b"OK")
    pol.monitor_stopped()
    assert pol.monitor is None
    assert pol.admit("127.0.0.2", b"NULL", []) == (b"200", b"OK")  # nothing held any more
