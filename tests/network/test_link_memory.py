"""Memory bridge across network namespaces: link down and up, and a client host that vanishes.

Heartbeat timeout 1 s (interval 1 s) so the suite stays fast; the master
timeout is 3 s, so "fails at once" (link known down) and "fails by its
timeout" (in flight when the link died) are seconds apart.
"""

from __future__ import annotations

import time

import pytest

from netbed import NetBed, Proc, netbed, netbed2  # noqa: F401 - the fixtures

IVL, TMO = "1.0", "1.0"
LINK_DOWN_TEXT = "is not connected: the link was lost"


def server(bed: NetBed, port: int) -> Proc:
    p = bed.run(bed.server, "net_memory_peer.py", "server", "*", str(port), IVL, TMO)
    p.expect("ready", 15)
    return p


def client(bed: NetBed, port: int, k: int = 1) -> Proc:
    p = bed.run(bed.client(k), "net_memory_peer.py", "client", bed.server_ip(k), str(port), IVL, TMO)
    p.expect("ready", 15)
    return p


def do(p: Proc, tag: str, *cmd: str) -> None:
    p.send(" ".join((tag, *cmd)))


def result(p: Proc, tag: str, timeout: float = 10.0) -> tuple[float, str, str]:
    """(seconds, data hex or '-', error text or 'OK') of command ``tag``."""
    line = p.saw_text(f"res {tag} ", timeout).split(" ", 4)
    return float(line[2]), line[3], line[4]


@pytest.mark.timeout(60)
def test_link_down_fails_fast_then_recovers(netbed: NetBed, port: int) -> None:
    srv = server(netbed, port)
    cli = client(netbed, port)
    for p in (srv, cli):
        p.expect("link 1", 10)
    do(cli, "w1", "w", "0x10", "01020304")
    assert result(cli, "w1")[2] == "OK"
    do(cli, "slow", "w", "0x8000", "0a0b0c0d")  # 1.5 s in the server: in flight when the link dies
    srv.saw_text("slow 0x8000", 10)  # the server has it
    t_down = time.monotonic()
    netbed.link(False)
    for p in (srv, cli):
        when = float(p.expect("link 0", 4).split()[2])
        assert when - t_down <= float(TMO) + 2
        assert "WARNING" in p.saw_text("lost: nothing received from it for", 3)
    # Known down: a new transaction fails at once, with a text that says why.
    do(cli, "new", "r", "0x10", "4")
    _took, _data, err = result(cli, "new", 5)
    assert LINK_DOWN_TEXT in err, err  # failed by the known link state: a timeout has Rogue's "Timeout" text
    # In flight when it died: Rogue's timeout text, after the master's timeout.
    took, _data, err = result(cli, "slow", 10)
    assert err.startswith("Timeout waiting for register transaction"), err
    assert took >= 2.5
    netbed.link(True)
    t_up = time.monotonic()
    for p in (srv, cli):
        when = float(p.expect("link 1", 10).split()[2])
        assert when - t_up <= 5.0
    do(cli, "w2", "w", "0x20", "aabbccdd")
    assert result(cli, "w2")[2] == "OK"
    do(cli, "r2", "r", "0x10", "8")
    assert result(cli, "r2")[1:] == ("01020304" + "00000000", "OK")
    do(cli, "r3", "r", "0x20", "4")
    assert result(cli, "r3")[1:] == ("aabbccdd", "OK")
    assert srv.expect("st ", 2).split()[3] == "1"  # one link loss counted
    assert cli.expect("st ", 2).split()[3] == "1"


@pytest.mark.timeout(60)
def test_exclusive_server_frees_slot_when_client_host_vanishes(netbed2: NetBed, port: int) -> None:
    bed = netbed2
    srv = server(bed, port)
    one = client(bed, port, 1)
    one.expect("link 1", 10)
    srv.expect("link 1", 10)
    do(one, "a", "w", "0x40", "11223344")
    assert result(one, "a")[2] == "OK"
    two = client(bed, port, 2)
    two.saw_text("already serves another client; will ask again", 10)
    do(two, "refused", "r", "0x40", "4")
    assert "already serves another client" in result(two, "refused")[2]
    t_gone = time.monotonic()
    bed.vanish(1)  # its link goes first, so no FIN or RST ever reaches the server
    when = float(srv.expect("link 0", 5).split()[2])
    assert when - t_gone <= float(TMO) + 2
    warning = srv.saw_text("lost: nothing received from it for", 3)
    assert "WARNING" in warning and bed.client_ip(1) in warning
    # The slot is free: the other host's client (asking again every second) gets in.
    line = two.expect("link 1", 10)
    print(f"server noticed after {when - t_gone:.2f} s; second client in after {float(line.split()[2]) - t_gone:.2f} s")
    do(two, "b", "r", "0x40", "4")
    assert result(two, "b")[1:] == ("11223344", "OK")
