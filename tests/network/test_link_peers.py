"""Across the namespaces: a C++-Rogue-shaped raw peer, and ``rogue-bridge monitor``, through a long outage.

Heartbeat timeout 1 s, interval 1 s (see ``test_link_stream``); the link is
down 6 s.
"""

from __future__ import annotations

import sys
import time

import pytest

from netbed import NetBed, netbed  # noqa: F401 - the fixture
from test_link_stream import status, wait_rx

TMO = 1.0
OUTAGE = 6.0


@pytest.mark.timeout(60)
def test_raw_rogue_peer_needs_nothing(netbed: NetBed, port: int) -> None:
    raw = netbed.run(netbed.server, "raw_rogue_peer.py", netbed.server_ip(), str(port), "200")
    raw.expect("ready", 15)
    ours = netbed.run(netbed.client(), "net_stream_peer.py", "client", netbed.server_ip(), str(port), "1", str(TMO),
                      "200")
    ours.expect("link 1", 15)
    wait_rx(raw, 100, 10)
    wait_rx(ours, 100, 10)
    t_down = time.monotonic()
    netbed.link(False)
    when = float(ours.expect("link 0", TMO + 3).split()[2])
    assert when - t_down <= TMO + 2
    assert "WARNING" in ours.saw_text("lost: nothing received from it for", 3)
    time.sleep(max(0.0, t_down + OUTAGE - time.monotonic()))
    netbed.link(True)
    t_up = time.monotonic()
    assert float(ours.expect("link 1", 10).split()[2]) - t_up <= 5.0
    # Both directions flow again; neither side sees a frame twice or out of order.
    for p in (ours, raw):
        st = wait_rx(p, status(p)[3] + 100, 10)
        assert st[5:8] == [0, 0, 0], st
        gaps = [ln for ln in p.history if ln.startswith("gap ")]
        assert len(gaps) <= 1, gaps


@pytest.mark.timeout(60)
def test_monitor_shows_the_outage(netbed: NetBed, port: int) -> None:
    cli = [sys.executable, "-m", "rogue.cli"]
    hb = ["--heartbeat-interval", "1", "--heartbeat-timeout", str(TMO)]
    srv = netbed.run(netbed.server, "cli_run.py", *cli[2:], "serve-stream", f"{netbed.server_ip()}:{port}",
                     "--generate", "1k@50", *hb)
    srv.saw_text("serving", 15)
    mon = netbed.run(netbed.client(), "cli_run.py", *cli[2:], "monitor", f"{netbed.server_ip()}:{port}", *hb)
    mon.saw_text("connected=yes", 15)
    netbed.link(False)
    t_down = time.monotonic()
    mon.saw_text("connected=no", TMO + 5)
    print(f"monitor showed connected=no after {time.monotonic() - t_down:.2f} s")
    time.sleep(max(0.0, t_down + OUTAGE - time.monotonic()))
    n = len(mon.history)
    netbed.link(True)
    t_up = time.monotonic()
    mon.saw_text("connected=yes", 10, since=n)
    print(f"monitor showed connected=yes again after {time.monotonic() - t_up:.2f} s")
