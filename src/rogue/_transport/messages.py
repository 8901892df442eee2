"""Multipart messages on the bridges' sockets: the receive helpers, a batch reader, the one sender.

Every bridge end receives and sends through these (stream and memory, client
and server), so the tricks that made them fast are written once: receiving
on ``zmq.Frame.more``, sending through pyzmq's backend send, unrolled for the
common message lengths.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence, Sized
from typing import Any, Callable, Union, cast

import zmq

__all__ = [
    "Part", "PartlySent", "Pollable", "messages_keeping", "poll_items", "raw_send", "recv_one", "recv_parts", "send4", "send_parts",
    "waiting_messages",
]

# ``zmq.Socket.send`` is pyzmq's Python-level wrapper over the Cython send of its
# backend, adding only DRAFT routing_id/group handling the bridges never use: one
# part costs 0.75 us through it, 0.40 us calling the backend's send directly
# (measured, pyzmq 27). ``raw_send(sock, data, flags, copy)`` is that backend
# send, the same call with the same errors; the wrapper where the backend is not
# the base of ``zmq.Socket`` (another pyzmq backend).
raw_send: Callable[..., Any]
try:
    from zmq.backend import Socket as _Backend

    raw_send = _Backend.send if issubclass(zmq.Socket, _Backend) else zmq.Socket.send
except ImportError:  # pragma: no cover - every pyzmq release has zmq.backend
    raw_send = zmq.Socket.send

# ``poll_items(poller.sockets, timeout_ms)``: what ``zmq.Poller.poll(timeout_ms)`` calls,
# without its Python frame (a timeout in whole milliseconds, -1 for none; the same
# ``[(socket or fd, events), ...]`` result). A bridge's I/O loop polls once per wake-up.
from zmq.backend import zmq_poll as _zmq_poll  # noqa: E402

#: A part of a message sent: bytes, or a buffer over the sender's bytes (a frame's payload, a transaction's data).
Part = Union[bytes, bytearray, memoryview, "zmq.Frame"]

#: What ``zmq_poll`` watches and reports: a socket, or a plain file descriptor (a :class:`~.waker.Waker`'s).
Pollable = Union["zmq.Socket[bytes]", int]
poll_items = cast("Callable[[Sequence[tuple[Pollable, int]], int], list[tuple[Pollable, int]]]", _zmq_poll)

_NOBLOCK = int(zmq.NOBLOCK)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)  # plain ints: pyzmq's flag enums cost an enum construction on every "&" (~1 us)
_FIRST = _MORE = int(zmq.SNDMORE | zmq.NOBLOCK)
_WAIT_MORE = int(zmq.SNDMORE)


class PartlySent(zmq.ZMQError):
    """A :func:`send4` that failed after its first part went out (``errno`` is the failure's).

    libzmq drops the partial message; the socket must not be used for the
    next message as it is (the stream bridge rebuilds it). A ``zmq.ZMQError``,
    so a caller that does not tell the two cases apart handles it as one.
    """


def recv_one(sock: zmq.Socket[bytes], flags: int = _NOBLOCK) -> bytes:
    """One message part as bytes, by default without blocking (``zmq.Again``: none waiting).

    The remote interface's requests, replies and updates are single-part
    (``rogue.interfaces.ZmqServer``/``ZmqClient``).
    """
    return sock.recv(flags)


def recv_parts(sock: zmq.Socket[bytes], flags: int = _NOBLOCK) -> list[bytes]:
    """Receive one multipart message as bytes, by default without blocking (``zmq.Again``: none waiting).

    ``flags=0`` waits for one instead, up to the socket's ``RCVTIMEO`` (then
    ``zmq.Again``), as one blocking ``recv`` would. Each part is received as a
    ``zmq.Frame``, which knows whether more follow (``Frame.more``, ~40 ns,
    against ~1.3 us for ``getsockopt(RCVMORE)``, which pyzmq 27 looks up in an
    enum), then taken as bytes: 4.6 us for a 6-part response against 6.5 us
    with ``getsockopt`` and 7.4 us with ``recv_multipart`` (measured, inproc:
    ``benchmarks/profile_memory.py``).
    """
    recv = sock.recv
    frame = recv(flags, False)
    parts = [frame.bytes]
    while frame.more:
        frame = recv(0, False)
        parts.append(frame.bytes)
    return parts


def messages_keeping(sock: zmq.Socket[bytes], batch: int, at: int) -> Iterator[list[bytes | zmq.Frame]]:
    """Yield up to ``batch`` waiting messages of ``sock`` without blocking, part ``at`` of each kept a ``zmq.Frame``.

    The stream bridge's receive: headers as bytes, the payload the frame it
    came in (``Frame.buffer``, zero-copy, or ``Frame.bytes`` when small), on
    ``Frame.more`` as :func:`recv_parts`. The batch ends at the first empty
    receive (one ``zmq.Again`` per batch, not per message). A generator, so
    the socket's ``recv`` is looked up once per batch: as cheap per message as
    the loop the bridge had inline (measured, 64-byte frames), and separate
    from :func:`recv_parts` so the memory bridge pays no index test per part.
    """
    recv = sock.recv
    for _ in range(batch):
        try:
            frame = recv(_NOBLOCK, False)
        except zmq.Again:
            return
        parts: list[bytes | zmq.Frame] = [frame if at == 0 else frame.bytes]
        while frame.more:
            frame = recv(0, False)
            parts.append(frame.bytes if len(parts) != at else frame)
        yield parts


def waiting_messages(sock: zmq.Socket[bytes], batch: int, expecting: Sized | None = None,
                     look_first: bool = False) -> Iterator[list[bytes]]:
    """Yield up to ``batch`` waiting multipart messages of ``sock`` without blocking.

    For a receive loop whose poll found a message: before each further one it
    asks ``EVENTS``, since an empty NOBLOCK recv raises (costly) and releases
    the GIL, which bounces it between threads (measured). ``EVENTS`` itself
    costs ~1.3 us (pyzmq looks the option up in an enum); with ``expecting``
    (e.g. a client's in-flight table), an empty one ends the batch without
    asking: anything else waiting is read after the next poll. ``look_first``:
    look before the first one too (nothing polled: e.g. after a blocking receive).
    """
    events: Callable[[int], int] = sock.getsockopt  # type: ignore[assignment]  # EVENTS is an int option
    for i in range(batch):
        if (i or look_first) and ((expecting is not None and not expecting) or not events(_EVENTS) & _POLLIN):
            return
        try:
            parts = recv_parts(sock)
        except zmq.Again:
            return
        yield parts


def send_parts(sock: zmq.Socket[bytes], parts: Sequence[Part], copy: bool = True) -> bool:
    """Send a multipart message, refusing to block at its start: False when it would have (nothing was sent).

    Same effect as ``sock.send_multipart(parts, zmq.NOBLOCK)`` at a fifth of
    the cost (1.1 us against 5.4 us for a 4-part request, measured: pyzmq's
    Python-level checks there, and :data:`raw_send` per part). The first part
    is sent without blocking; the later ones may wait, as libzmq admits a
    message at its first part but can still be short of room in the middle of
    one under load (measured: a NOBLOCK later part failed at exit under load).
    Another error propagates as pyzmq raised it. ``copy=False`` sends the last
    part (a large payload) zero-copy: libzmq then reads its buffer after this
    returns. "Would block" is a result, not an exception: a sender ahead of its
    reader meets it on every message, and an exception passed up one more
    frame cost 0.5 us per message (measured). The memory bridge's messages go
    through here; the stream bridge's frames through :func:`send4`.
    """
    send = raw_send
    n = len(parts)
    try:
        if n == 1:
            send(sock, parts[0], _NOBLOCK, copy)
            return True
        send(sock, parts[0], _FIRST)
    except zmq.Again:
        return False
    for i in range(1, n - 1):
        send(sock, parts[i], _WAIT_MORE)
    send(sock, parts[n - 1], 0, copy)
    return True


def send4(sock: zmq.Socket[bytes], p0: Part, p1: Part, p2: Part, p3: Part, copy: bool = True) -> bool:
    """The stream bridge's send: a message of 4 parts given one by one, none of them allowed to block.

    False when the first part would block (nothing sent); :class:`PartlySent`
    when a later one fails (its ``errno`` as pyzmq gave it), after which the
    bridge sends the message again whole on a rebuilt socket. No sequence is
    built or indexed: 0.14 us less per message than :func:`send_parts`, within
    0.1 us of the bridge's former inline sends (measured, pyzmq 27, 64 bytes).
    """
    send = raw_send
    try:
        send(sock, p0, _MORE)
    except zmq.Again:
        return False
    try:
        send(sock, p1, _MORE)
        send(sock, p2, _MORE)
        send(sock, p3, _NOBLOCK, copy)
    except zmq.ZMQError as exc:
        raise PartlySent(exc.errno, exc.strerror) from exc
    return True
