"""ZAP requests and replies (rogue._security.zap_protocol): pure functions, and the service's REP loop facing bad requests."""

from __future__ import annotations

import pytest
import zmq

from rogue._security.zap_protocol import VERSION, Request, answer, reply, request_id

GOOD = [VERSION, b"7", b"dom", b"127.0.0.1", b"", b"CURVE", b"k" * 32]


def _never(req: Request) -> tuple[bytes, bytes]:
    raise AssertionError("decide called for a malformed request")


@pytest.mark.parametrize(
    ("msg", "expected"),
    [
        ([], [VERSION, b"", b"400", b"Not enough frames", b"", b""]),
        ([VERSION], [VERSION, b"", b"400", b"Not enough frames", b"", b""]),
        ([VERSION, b"9"], [VERSION, b"9", b"400", b"Not enough frames", b"", b""]),
        (GOOD[:5], [VERSION, b"7", b"400", b"Not enough frames", b"", b""]),
        ([b"2.0"] + GOOD[1:], [VERSION, b"7", b"400", b"Invalid version", b"", b""]),
    ],
)
def test_malformed_requests_get_a_reply(msg, expected) -> None:  # type: ignore[no-untyped-def]
    assert answer(msg, _never) == expected


def test_decision_and_user_id() -> None:
    seen = []

    def decide(req: Request) -> tuple[bytes, bytes]:
        seen.append(req)
        return b"200", b"OK"

    assert answer(GOOD, decide) == [VERSION, b"7", b"200", b"OK", b"127.0.0.1", b""]
    assert seen == [Request(b"7", b"dom", b"127.0.0.1", b"", b"CURVE", (b"k" * 32,))]
    assert b"k" * 32 not in repr(seen[0]).encode()  # credentials are never shown
    assert answer(GOOD, lambda req: (b"400", b"Unknown key")) == [VERSION, b"7", b"400", b"Unknown key", b"", b""]
    assert reply(b"1", b"500", b"Busy", b"who") == [VERSION, b"1", b"500", b"Busy", b"", b""]
    assert request_id([VERSION]) == b"" and request_id(GOOD) == b"7"


def test_decision_errors_propagate() -> None:
    def decide(req: Request) -> tuple[bytes, bytes]:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        answer(GOOD, decide)


@pytest.mark.timeout(20)
def test_service_answers_bad_requests_and_keeps_serving(port, no_thread_leak) -> None:  # type: ignore[no-untyped-def]
    from rogue._security.zap import register
    from rogue._transport import context

    sock = context().socket(zmq.PULL)
    sock.linger = 0
    pol = register(sock, name="s", allow=["127.0.0.1"])
    asker = context().socket(zmq.REQ)
    asker.linger = 0
    try:
        asker.connect("inproc://zeromq.zap.01")
        for msg in ([b"junk"], [VERSION, b"3"], [VERSION, b"4", pol.domain, b"127.0.0.1", b"", b"NULL"],
                    [VERSION, b"5", pol.domain, b"10.9.9.9", b"", b"NULL"], [VERSION, b"6", b"nobody", b"", b"", b"NULL"]):
            asker.send_multipart(msg)
            assert asker.poll(5000), msg
            got = asker.recv_multipart()
            assert got[:2] == [VERSION, request_id(msg)]
        assert got[2:4] == [b"400", b"Unknown domain"]
        assert (pol.admitted, pol.refused) == (1, 1)
    finally:
        asker.close(linger=0)
        sock.close(linger=0)
        pol.close()
