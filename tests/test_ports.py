"""The port helper shared by tests, the demo and the benchmarks (``rogue._ports``)."""

from __future__ import annotations

import errno
import socket

import pytest

from rogue import GeneralError, _ports


def test_pairs_are_free_and_below_the_ephemeral_range() -> None:
    low = _ports.ephemeral_low()
    for _ in range(50):
        p = _ports.free_port_pair()
        assert p % 2 == 0 and 10000 <= p and p + 1 < low
    ports = _ports.free_port_pairs(20)
    assert len(set(ports)) == 20 and all(p + 1 < low for p in ports)


def test_open_retries_a_pair_taken_meanwhile() -> None:
    taken: list[int] = []
    held = socket.socket()

    def open_at(port: int) -> int:
        if not taken:  # someone else binds the first pair between the check and our bind
            taken.append(port)
            held.bind(("127.0.0.1", port))
            raise GeneralError("TcpServer", f"cannot bind address 127.0.0.1 port {port} or {port + 1}: already in use")
        return port

    try:
        got = _ports.open_on_free_ports(open_at)
    finally:
        held.close()
    assert taken and got != taken[0]


def test_open_raises_other_errors_at_once() -> None:
    calls = []

    def open_at(port: int) -> None:
        calls.append(port)
        raise OSError(errno.EACCES, "permission denied")

    with pytest.raises(OSError, match="permission"):
        _ports.open_on_free_ports(open_at)
    assert len(calls) == 1
