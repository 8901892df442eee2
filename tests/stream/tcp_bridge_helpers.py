"""Helpers for the stream TCP bridge tests: a recording slave, a sender, a raw pyzmq peer."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import zmq
from zmq.utils.garbage import gc as _pyzmq_gc

import rogue.interfaces.stream as ris
from rogue._transport import context

from conftest import poll_until

# pyzmq starts one process-wide thread for zero-copy sends on first use; start it
# now so the `no_thread_leak` fixture does not count it against a test.
if not _pyzmq_gc.is_alive():
    _pyzmq_gc.start()

Got = tuple[bytes, int, int, int]  # payload, flags, channel, error


class Recorder(ris.Slave):
    """Records every frame received: (payload bytes, flags, channel, error)."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[Got] = []
        self._cv = threading.Condition()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        item = (frame.getBytes(), frame.getFlags(), frame.getChannel(), frame.getError())
        with self._cv:
            self.got.append(item)
            self._cv.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> bool:
        """True once at least ``n`` frames arrived."""
        with self._cv:
            return self._cv.wait_for(lambda: len(self.got) >= n, timeout)


class Sender(ris.Master):
    """A master that sends frames built from bytes and metadata."""

    def send(self, data: bytes, flags: int = 0, channel: int = 0, error: int = 0) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        frame.setFlags(flags)
        frame.setChannel(channel)
        frame.setError(error)
        self._sendFrame(frame)


@contextmanager
def raw_peer(port: int, play_server: bool) -> Iterator[tuple[zmq.Socket, zmq.Socket]]:
    """Raw pyzmq (push, pull) sockets playing the server or the client side of wire.md."""
    ctx = context()
    push = ctx.socket(zmq.PUSH)
    pull = ctx.socket(zmq.PULL)
    for s in (push, pull):
        s.linger = 0
        s.rcvtimeo = 5000
        s.sndtimeo = 5000
    try:
        if play_server:
            pull.bind(f"tcp://127.0.0.1:{port}")
            push.bind(f"tcp://127.0.0.1:{port + 1}")
        else:
            push.connect(f"tcp://127.0.0.1:{port}")
            pull.connect(f"tcp://127.0.0.1:{port + 1}")
        yield push, pull
    finally:
        push.close(linger=0)
        pull.close(linger=0)


def parts_of(frame: tuple[bytes, int, int, int]) -> list[bytes]:
    """The 4 parts wire.md prescribes for (payload, flags, channel, error)."""
    payload, flags, channel, error = frame
    return [flags.to_bytes(2, "little"), bytes([channel]), bytes([error]), payload]


def wait_for(predicate: Callable[[], object], timeout: float) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass (for state with no event to wait on)."""
    return poll_until(predicate, timeout, 0.01)
