"""Stream bridge across two network namespaces: the link goes down and comes back.

Server in one namespace, client in the other (``netbed``), each sending 1 KiB
numbered frames at 200 frames/s to the other and checking what it receives.

Short outage (2 s, default heartbeats 1 s / 5 s): nothing is noticed and TCP
retransmits, so every frame arrives once, in order. Long outage with a 1 s
heartbeat timeout (interval 1 s, the kernel's smallest) so the suite stays
fast: the link is down 6 s, six times the timeout, the ratio of the issue's
30 s to the default 5 s (what matters is "much longer than the timeout": every
connection is then dropped and made anew, however long the outage).
Both ends must report it within timeout + 2 s, warn, reconnect by themselves
within 5 s of the link returning, and lose only frames handed in between the
outage and the sender noticing (it then drops its dead connection at once;
README, "Crash window").
"""

from __future__ import annotations

import time

import pytest

from netbed import NetBed, Proc, netbed  # noqa: F401 - the fixture

RATE = 200


def start(bed: NetBed, port: int, ivl: float, tmo: float) -> tuple[Proc, Proc]:
    srv = bed.run(bed.server, "net_stream_peer.py", "server", "*", str(port), str(ivl), str(tmo), str(RATE))
    cli = bed.run(bed.client(), "net_stream_peer.py", "client", bed.server_ip(), str(port), str(ivl), str(tmo),
                  str(RATE))
    for p in (srv, cli):
        p.expect("link 1", 15)
    return srv, cli


def status(p: Proc, timeout: float = 5.0) -> list[float]:
    """The next status line of ``p``: [t, connected, tx, rx, last, dups, ooo, bad, losses]."""
    return [float(x) for x in p.expect("st ", timeout).split()[1:]]


def wait_rx(p: Proc, n: int, timeout: float) -> list[float]:
    """Status lines until ``p`` has received ``n`` frames in all."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = status(p)
        if st[3] >= n:
            return st
    raise AssertionError(f"{p.proc.args[4:6]} did not receive {n} frames within {timeout} s: {p.history[-3:]}")


def gaps(p: Proc) -> list[tuple[int, int]]:
    return [(int(ln.split()[1]), int(ln.split()[2])) for ln in p.history if ln.startswith("gap ")]


@pytest.mark.timeout(60)
def test_short_outage_loses_nothing(netbed: NetBed, port: int) -> None:
    srv, cli = start(netbed, port, 1.0, 5.0)
    wait_rx(srv, 100, 10)
    wait_rx(cli, 100, 10)
    netbed.link(False)
    time.sleep(2.0)
    netbed.link(True)
    before = [status(p)[2] for p in (srv, cli)]  # frames sent so far by each
    # Everything sent until after the outage arrives: nothing lost, nothing twice, all in order.
    for p, far_tx in ((srv, before[1]), (cli, before[0])):
        st = wait_rx(p, far_tx + 50, 20)
        assert st[5:8] == [0, 0, 0], f"dups/out-of-order/damaged: {st}"
        assert st[8] == 0, "a 2 s outage was taken for a lost link"
        assert gaps(p) == [], gaps(p)
        assert st[3] == st[4] + 1  # received = highest number + 1: every frame once
    assert not any(ln.startswith("link 0") for p in (srv, cli) for ln in p.history)


@pytest.mark.timeout(60)
def test_long_outage_detected_and_recovered(netbed: NetBed, port: int) -> None:
    ivl, tmo, outage = 1.0, 1.0, 6.0
    srv, cli = start(netbed, port, ivl, tmo)
    wait_rx(srv, 100, 10)
    wait_rx(cli, 100, 10)
    rx_before = {id(p): status(p)[4] for p in (srv, cli)}
    t_down = time.monotonic()
    netbed.link(False)
    down = {}
    for p in (srv, cli):
        line = p.expect("link 0", tmo + 2.0 + 1.0).split()
        down[id(p)] = (float(line[2]), int(line[3]))  # when, and frames it had sent by then
        assert down[id(p)][0] - t_down <= tmo + 2.0, f"noticed after {down[id(p)][0] - t_down:.2f} s"
        warning = p.saw_text("lost: nothing received from it for", 3)
        assert "WARNING" in warning
        assert (netbed.client_ip() if p is srv else netbed.server_ip()) in warning  # it names the far side
    time.sleep(max(0.0, t_down + outage - time.monotonic()))
    t_up = time.monotonic()
    netbed.link(True)
    back = {}
    for p in (srv, cli):
        line = p.expect("link 1", 10).split()
        back[id(p)] = float(line[2]) - t_up
        assert float(line[2]) - t_up <= 5.0, f"reconnected {float(line[2]) - t_up:.2f} s after the link returned"
        assert "INFO" in p.saw_text("is back after", 3)
    for p, far in ((srv, cli), (cli, srv)):
        far_tx = status(far)[2]
        st = wait_rx(p, 0, 1)
        st = wait_rx(p, st[3] + 100, 10)  # traffic flows again
        assert st[5:8] == [0, 0, 0], f"dups/out-of-order/damaged: {st}"
        assert st[8] == 1, f"link losses: {st[8]}"
        g = gaps(p)
        assert len(g) <= 1, g
        lost = g[0][1] - g[0][0] + 1 if g else 0
        at_risk = 0
        assert st[3] == st[4] + 1 - lost  # every frame but the gap, once
        # The gap: frames handed in after the receiver's last frame before the outage and before the
        # sender noticed the loss (it then dropped its dead connection), plus half a second of slack.
        if g:
            assert g[0][0] > rx_before[id(p)]
            at_risk = down[id(far)][1] - rx_before[id(p)]
            assert lost <= at_risk + RATE * 0.5, f"{lost} frames lost, {at_risk} handed in before the sender noticed"
        assert far_tx > down[id(far)][1]  # the sender went on after the outage
        print(f"{'server' if p is srv else 'client'} lost {lost} frames (sender had {at_risk if g else 0} at risk); "
              "noticed after "
              f"{down[id(p)][0] - t_down:.2f} s; link back after {back[id(p)]:.2f} s")
