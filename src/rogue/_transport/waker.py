"""Waking a thread that sleeps in ``zmq_poll``, from any thread: one byte on a socket pair.

The memory server's I/O thread (a slave finished a transaction in its own
thread, or ``stop()``) and the ZAP service's thread (a policy came or went)
sleep in a poll over ZeroMQ sockets; ``zmq_poll`` also watches plain file
descriptors, so a kernel socket pair wakes it: thread-safe without a lock
(a ZeroMQ PAIR pair is not), and no ZeroMQ socket.
"""

from __future__ import annotations

import socket

__all__ = ["Waker"]


class Waker:
    """A socket pair: :meth:`wake` from any thread makes :attr:`fd` readable; :meth:`clear` in the sleeper's."""

    __slots__ = ("_r", "_w", "fd")

    def __init__(self) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)
        self.fd = self._r.fileno()  #: what to poll (``zmq_poll`` reports it by this number)

    def wake(self) -> None:
        """Make the poll return (a wake-up already pending, or the pair closed, is fine)."""
        try:
            self._w.send(b"\0")
        except OSError:  # buffer full (a wake-up is pending anyway) or closed (stopping)
            pass

    def clear(self) -> None:
        """Consume the pending wake-ups (the sleeper, after its poll returned)."""
        try:
            self._r.recv(4096)
        except OSError:
            pass

    def close(self) -> None:
        """Close both ends (idempotent)."""
        self._r.close()
        self._w.close()
