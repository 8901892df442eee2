"""Stream bridge bookkeeping without sockets: peer tracking, rate-limited warnings, monitor messages."""

from __future__ import annotations

import logging

import pytest
import zmq

from rogue import _warn_limiter
from rogue._transport.monitor import PeerTracker, event_name, parse_event
from rogue._warn_limiter import WarnLimiter


def test_peer_counts_after_handshake_only() -> None:
    p = PeerTracker()
    assert p.event(zmq.EVENT_ACCEPTED, 17) is False
    assert p.peers == 0  # a bare TCP connection (a port scanner) is not a peer
    assert p.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0) is True
    assert p.peers == 1
    assert p.event(zmq.EVENT_DISCONNECTED, 17) is True
    assert p.peers == 0


def test_failed_handshake_and_unknown_disconnect() -> None:
    p = PeerTracker()
    p.event(zmq.EVENT_CONNECTED, 5)
    p.event(zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL, 0)
    assert p.peers == 0
    p.event(zmq.EVENT_DISCONNECTED, 5)
    assert p.event(zmq.EVENT_DISCONNECTED, 99) is False
    assert p.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0) is False  # nothing pending
    assert p.peers == 0


def test_two_peers_and_reset() -> None:
    p = PeerTracker()
    for fd in (7, 8):
        p.event(zmq.EVENT_ACCEPTED, fd)
        p.event(zmq.EVENT_HANDSHAKE_SUCCEEDED, 0)
    assert p.peers == 2
    p.event(zmq.EVENT_DISCONNECTED, 7)
    assert p.peers == 1
    p.reset()
    assert p.peers == 0


def test_parse_event_and_name() -> None:
    msg = [(zmq.EVENT_ACCEPTED).to_bytes(2, "little") + (1234).to_bytes(4, "little"), b"tcp://127.0.0.1:5"]
    assert parse_event(msg) == (zmq.EVENT_ACCEPTED, 1234, "tcp://127.0.0.1:5")
    assert event_name(zmq.EVENT_HANDSHAKE_SUCCEEDED) == "HANDSHAKE_SUCCEEDED"
    assert event_name(0) == "0"


def test_warn_limiter_burst_then_summary(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    monkeypatch.setattr(_warn_limiter.time, "monotonic", lambda: now[0])
    log = logging.getLogger("pyrogue.test.limiter")
    log.setLevel(logging.DEBUG)
    lim = WarnLimiter(log, "bad", burst=3, period=1.0)
    with caplog.at_level(logging.WARNING, logger="pyrogue.test.limiter"):
        for i in range(1000):
            lim.warn(f"reason {i}")
        lim.tick()
        assert [r.getMessage() for r in caplog.records] == ["bad: reason 0", "bad: reason 1", "bad: reason 2"]
        now[0] += 1.5
        lim.tick()
        lim.tick()
        assert caplog.records[-1].getMessage() == "bad: 997 more in the last 1.5 s (last: reason 999)"
        assert len(caplog.records) == 4
        now[0] += 0.5
        lim.warn("late")
        assert len(caplog.records) == 4  # suppressed until the next period
        now[0] += 0.6
        lim.tick()
        assert caplog.records[-1].getMessage() == "bad: 1 more in the last 1.1 s (last: late)"


def test_warn_limiter_level_and_traceback(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("pyrogue.test.limiter2")
    lim = WarnLimiter(log, "slave failed", level=logging.ERROR)
    try:
        raise RuntimeError("boom")
    except RuntimeError as exc:
        with caplog.at_level(logging.ERROR, logger="pyrogue.test.limiter2"):
            lim.warn("RuntimeError: boom", exc)
    (rec,) = caplog.records
    assert rec.levelno == logging.ERROR and rec.exc_info is not None
