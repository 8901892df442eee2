"""Multipart messages on the bridges' sockets: the one receive helper, a batch reader, the one sender."""

from __future__ import annotations

from typing import Any, Iterator

import zmq

__all__ = ["recv_parts", "send_parts", "waiting_messages"]

_NOBLOCK = int(zmq.NOBLOCK)
_EVENTS = int(zmq.EVENTS)
_POLLIN = int(zmq.POLLIN)  # plain ints: an IntFlag "&" builds an enum each time (measured ~1 us)
# Plain ints: pyzmq's flag enums cost an enum construction on every "&" (measured ~1 us).
_FIRST = int(zmq.SNDMORE | zmq.NOBLOCK)
_MORE = int(zmq.SNDMORE)


def recv_parts(sock: zmq.Socket) -> list[bytes]:
    """Receive one waiting multipart message as bytes without blocking (``zmq.Again``: none waiting).

    Each part is received as a ``zmq.Frame``, which knows whether more follow
    (``Frame.more``, ~40 ns, against ~500 ns for ``getsockopt(RCVMORE)``), then
    taken as bytes: 4.6 us for a 6-part response against 6.5 us with
    ``getsockopt`` (measured, inproc), and cheaper than ``recv_multipart``.
    """
    recv = sock.recv
    frame = recv(_NOBLOCK, False)
    parts = [frame.bytes]
    while frame.more:
        frame = recv(0, False)
        parts.append(frame.bytes)
    return parts


def waiting_messages(sock: zmq.Socket, batch: int) -> Iterator[list[bytes]]:
    """Yield up to ``batch`` waiting multipart messages of ``sock`` without blocking.

    For a receive loop whose poll found a message: before each further one it
    asks ``EVENTS``, since an empty NOBLOCK recv raises (costly) and releases
    the GIL, which bounces it between threads (measured).
    """
    events = sock.getsockopt
    for i in range(batch):
        if i and not events(_EVENTS) & _POLLIN:
            return
        try:
            parts = recv_parts(sock)
        except zmq.Again:
            return
        yield parts


def send_parts(sock: zmq.Socket, parts: list[Any]) -> None:
    """Send a multipart message, refusing to block at its start (``zmq.Again``: nothing was sent).

    Same effect as ``sock.send_multipart(parts, zmq.NOBLOCK)`` at a third of the
    cost (pyzmq's Python-level checks there take ~3.5 us for 4 parts, four plain
    sends ~1.1 us, measured). Only the first part can meet the high-water mark:
    libzmq delivers a message whole, so the later parts never wait.
    """
    send = sock.send
    last = len(parts) - 1
    if last == 0:
        send(parts[0], _NOBLOCK)
        return
    send(parts[0], _FIRST)
    for i in range(1, last):
        send(parts[i], _MORE)
    send(parts[last], 0)
