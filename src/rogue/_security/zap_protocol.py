"""ZAP (ZeroMQ RFC 27, version 1.0) requests and replies, as pure functions.

libzmq sends a request to the handler's REP socket at ``inproc://zeromq.zap.01``
during each guarded handshake: frames ``version, request_id, domain, address,
identity, mechanism, credentials...``. The handler answers every request with
one reply, ``version, request_id, status_code, status_text, user_id, metadata``
(status ``200`` admits; anything else refuses). A REP socket must reply to
whatever it received before it may receive again, so :func:`answer` replies to
a malformed request too: with the request id when it has one (two frames or
more), else with an empty one (libzmq then drops the reply as unmatched).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["VERSION", "Request", "answer", "reply", "request_id"]

VERSION = b"1.0"


@dataclass(frozen=True)
class Request:
    """One well-formed ZAP request (its credentials are secrets or keys: never log them)."""

    request_id: bytes
    domain: bytes
    address: bytes
    identity: bytes
    mechanism: bytes
    credentials: tuple[bytes, ...]

    def __repr__(self) -> str:
        return f"<ZAP request {self.request_id!r} domain={self.domain!r} from {self.address!r} {self.mechanism!r}>"


def request_id(msg: list[bytes]) -> bytes:
    """The request id of ``msg`` (its second frame; empty when it has none)."""
    return msg[1] if len(msg) > 1 else b""


def reply(rid: bytes, status: bytes, text: bytes, user_id: bytes = b"") -> list[bytes]:
    """The frames of a ZAP reply; ``user_id`` is sent only with status 200."""
    return [VERSION, rid, status, text, user_id if status == b"200" else b"", b""]


def answer(msg: list[bytes], decide: Callable[[Request], tuple[bytes, bytes]]) -> list[bytes]:
    """The reply to the ZAP request ``msg``: ``decide(request)`` gives ``(status, text)`` for a well-formed one.

    A request with fewer than 6 frames or another version is refused (400)
    without calling ``decide``. An admitted peer's user id is its address.
    An exception in ``decide`` propagates (the caller then sends a 500 reply).
    """
    rid = request_id(msg)
    if len(msg) < 6:
        return reply(rid, b"400", b"Not enough frames")
    version, rid, domain, address, identity, mechanism = msg[:6]
    if version != VERSION:
        return reply(rid, b"400", b"Invalid version")
    status, text = decide(Request(rid, domain, address, identity, mechanism, tuple(msg[6:])))
    return reply(rid, status, text, address)
