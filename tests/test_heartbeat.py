"""Link checking options (``rogue._transport.heartbeat``): validation, socket options per role, drop, loss bookkeeping."""

from __future__ import annotations

import logging
import socket
import struct

import pytest
import zmq

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from rogue import GeneralError
from rogue._transport.heartbeat import DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Heartbeat, LinkLoss


def opts(sock: zmq.Socket) -> dict[str, int]:
    names = ("TCP_KEEPALIVE", "TCP_KEEPALIVE_IDLE", "TCP_KEEPALIVE_INTVL", "TCP_KEEPALIVE_CNT", "TCP_MAXRT",
             "CONNECT_TIMEOUT", "HEARTBEAT_IVL")
    return {n: sock.getsockopt(getattr(zmq, n)) for n in names}


def test_defaults_are_documented_values() -> None:
    assert (DEFAULT_INTERVAL, DEFAULT_TIMEOUT) == (1.0, 5.0)
    hb = Heartbeat()
    assert hb.on and hb.probe_s == 1 and hb.detect_within() == 6.0


@pytest.mark.parametrize("ivl, tmo", [(-1, 5), (1, -1), (2, 1), (1, 0.1), (float("nan"), 5), ("x", 5), (1, 1e9)])
def test_bad_settings_are_refused(ivl: object, tmo: object) -> None:
    with pytest.raises(GeneralError):
        Heartbeat.checked("b", ivl, tmo)  # type: ignore[arg-type]


def test_zero_interval_is_off() -> None:
    hb = Heartbeat.checked("b", 0, 0)
    assert not hb.on


def test_stream_sockets_by_role(port: int) -> None:
    srv = ris.TcpServer("127.0.0.1", port, heartbeatInterval=2, heartbeatTimeout=7)
    cli = ris.TcpClient("127.0.0.1", port)
    try:
        for b, (ivl, tmo) in ((srv, (2, 7)), (cli, (1, 5))):
            rx, tx = opts(b._pull), opts(b._push)  # type: ignore[arg-type]
            for o in (rx, tx):
                assert o["TCP_KEEPALIVE"] == 1 and o["TCP_KEEPALIVE_IDLE"] == ivl and o["TCP_KEEPALIVE_INTVL"] == ivl
                assert o["HEARTBEAT_IVL"] == 0  # no ZMTP heartbeats (see rogue._transport.heartbeat)
            assert rx["TCP_MAXRT"] == tmo * 1000  # the receiver notices silence
            assert tx["TCP_MAXRT"] == 0  # a sender never times out on a reader that is behind
    finally:
        cli.stop()
        srv.stop()


def test_memory_sockets_by_role(port: int) -> None:
    srv = rim.TcpServer("127.0.0.1", port, heartbeatTimeout=3)
    cli = rim.TcpClient("127.0.0.1", port, heartbeatTimeout=3)
    try:
        assert opts(srv._pull)["TCP_MAXRT"] == 3000 and opts(srv._push)["TCP_MAXRT"] == 0
        assert opts(cli._pull)["TCP_MAXRT"] == 3000 and opts(cli._push)["TCP_MAXRT"] == 0
        assert srv.stats()["linkLosses"] == 0 and cli.stats()["linkLosses"] == 0
    finally:
        cli.stop()
        srv.stop()


def test_off_leaves_rogue_socket_options(port: int) -> None:
    srv = ris.TcpServer("127.0.0.1", port, heartbeatInterval=0)
    try:
        o = opts(srv._pull)  # type: ignore[arg-type]
        assert o["TCP_KEEPALIVE"] == -1 and o["TCP_MAXRT"] == 0 and o["CONNECT_TIMEOUT"] == 0
    finally:
        srv.stop()


def test_options_are_keyword_only_after_rogues_arguments(port: int) -> None:
    with pytest.raises(TypeError):
        ris.TcpClient("127.0.0.1", port, 2.0, 1.0)  # type: ignore[misc]
    with pytest.raises(TypeError):
        rim.TcpClient("127.0.0.1", port, False, 1.0)  # type: ignore[misc]
    with pytest.raises(GeneralError):
        ris.TcpServer("127.0.0.1", port, heartbeatInterval=3, heartbeatTimeout=1)


def _tcp_pair() -> tuple[socket.socket, socket.socket, socket.socket]:
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    a = socket.create_connection(lst.getsockname())
    b, _ = lst.accept()
    return lst, a, b


def test_drop_aborts_the_connection_and_checks_the_port() -> None:
    lst, a, b = _tcp_pair()
    try:
        hb = Heartbeat()
        port = lst.getsockname()[1]
        assert hb.drop([b.fileno()], port + 1, True) == 0  # another port: left alone
        b.sendall(b"x")
        assert a.recv(1) == b"x"
        assert hb.drop([b.fileno(), 999_999], port, True) == 1
        assert struct.unpack("ii", b.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8)) == (1, 0)
        assert b.recv(1) == b""  # its owner (libzmq) reads the end at once ...
        b.sendall(b"unsent")
        b.close()  # ... and closes it: abortive, a RST, never a clean FIN after the data
        with pytest.raises(ConnectionResetError):
            a.recv(100)
            a.recv(100)
    finally:
        for s in (a, b, lst):
            s.close()


class _Log(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_link_loss_warns_once_for_silence_and_counts_every_loss() -> None:
    log = logging.getLogger("test.heartbeat.loss")
    log.setLevel(logging.INFO)
    h = _Log()
    log.addHandler(h)
    try:
        loss = LinkLoss(log, Heartbeat(1.0, 2.0), "the far side")
        assert loss.up(False) is False and loss.losses == 0  # never connected: nothing lost
        loss.up(True)
        loss.heard(0.0)  # heard nothing for a long while: a silent loss
        assert loss.up(False) is True and loss.losses == 1 and loss.lost_at
        warn = [r for r in h.records if r.levelno == logging.WARNING]
        assert len(warn) == 1 and "the far side" in warn[0].getMessage() and "nothing received" in warn[0].getMessage()
        loss.up(True)
        assert loss.lost_at == 0.0 and any("is back after" in r.getMessage() for r in h.records)
        assert loss.up(False) is False and loss.losses == 2  # closed while talking: the far side closed it
        assert len([r for r in h.records if r.levelno == logging.WARNING]) == 1
    finally:
        log.removeHandler(h)


def test_cli_flags_become_bridge_options() -> None:
    import argparse

    from rogue.cli._common import CliError
    from rogue.cli._linkopts import add_link_options, link_options

    p = argparse.ArgumentParser()
    add_link_options(p)
    assert link_options(p.parse_args([])) == {}  # the defaults: nothing to pass
    assert link_options(p.parse_args(["--heartbeat-interval", "2", "--heartbeat-timeout", "9"])) == {
        "heartbeatInterval": 2.0, "heartbeatTimeout": 9.0}
    assert link_options(p.parse_args(["--heartbeat-interval", "0"])) == {"heartbeatInterval": 0.0,
                                                                         "heartbeatTimeout": 5.0}
    with pytest.raises(CliError, match="--heartbeat-timeout"):
        link_options(p.parse_args(["--heartbeat-interval", "3", "--heartbeat-timeout", "1"]))
    with pytest.raises(SystemExit):
        p.parse_args(["--heartbeat-timeout", "-1"])
