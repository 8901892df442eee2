"""Raw pyzmq peers of ``ZmqServer``/``ZmqClient`` (what C++ Rogue's sockets do on the wire), for the tests."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

import rogue
from conftest import free_port_triple

HOST = "127.0.0.1"


def url(port: int) -> str:
    return f"tcp://{HOST}:{port}"


class Peers:
    """A private ZeroMQ context and the raw sockets a test opens on it; :meth:`close` closes them all."""

    def __init__(self) -> None:
        self.ctx = zmq.Context()
        self.socks: list[zmq.Socket[Any]] = []
        self.threads: list[Responder] = []

    def socket(self, kind: int, *, bind: int | None = None, connect: int | None = None, **opts: Any) -> zmq.Socket[Any]:
        sock = self.ctx.socket(kind)
        sock.linger = 0
        for name, value in opts.items():
            sock.setsockopt(getattr(zmq, name), value)
        self.socks.append(sock)
        if bind is not None:
            sock.bind(url(bind))
        if connect is not None:
            sock.connect(url(connect))
        return sock

    def req(self, port: int, timeout_ms: int = 10000) -> zmq.Socket[Any]:
        """A REQ socket connected to ``port`` (RCVTIMEO: a hang guard)."""
        return self.socket(zmq.REQ, connect=port, RCVTIMEO=timeout_ms)

    def sub(self, port: int) -> zmq.Socket[Any]:
        """A SUB socket subscribed to everything on ``port``."""
        return self.socket(zmq.SUB, connect=port, SUBSCRIBE=b"", RCVTIMEO=10000)

    def responder(self, port: int) -> Responder:
        """A REP socket bound on ``port`` answering as the test says (see :class:`Responder`)."""
        r = Responder(self.socket(zmq.REP, bind=port))
        self.threads.append(r)
        return r

    def close(self) -> None:
        for r in self.threads:
            r.stop()
        for s in self.socks:
            if not s.closed:
                s.close(linger=0)
        self.ctx.term()


class Responder:
    """A REP socket's thread: records each request (``requests``; ``arrived`` is released once per request)
    and sends the reply the test gives with :meth:`answer`, only then. No answer given: a silent server."""

    def __init__(self, sock: zmq.Socket[Any]) -> None:
        self.sock = sock
        self.requests: list[bytes] = []
        self.arrived = threading.Semaphore(0)
        self._taken = 0
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="test:responder", daemon=True)
        self._thread.start()

    def answer(self, reply: bytes) -> None:
        """Let the responder send ``reply`` to the request it holds (or the next one)."""
        self._answers.put(reply)

    def wait_request(self, timeout: float = 10.0) -> bytes:
        """Wait for the request after the one the last call returned (the first at first); its bytes."""
        assert self.arrived.acquire(timeout=timeout), "no request arrived"
        self._taken += 1
        return self.requests[self._taken - 1]

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.sock.poll(50):
                continue
            self.requests.append(self.sock.recv())
            self.arrived.release()
            while not self._stop.is_set():
                try:
                    reply = self._answers.get(timeout=0.05)
                except queue.Empty:
                    continue
                if reply is not None:
                    self.sock.send(reply)
                break

    def stop(self) -> None:
        self._stop.set()
        self._answers.put(None)
        self._thread.join(10)


# -- the fixtures the remote tests share (imported by name, as ``netbed``'s) ---------------------------
@pytest.fixture
def warnings_logged() -> None:
    """Rogue's warnings reach the log (the tests look for some)."""
    rogue.Logging.setLevel(rogue.Logging.Warning)


@pytest.fixture
def port() -> int:
    """A free base port P (P, P+1 and P+2 free)."""
    return free_port_triple()


@pytest.fixture
def peers(no_thread_leak: None) -> Iterator[Peers]:
    """Raw peers, closed at the end of the test."""
    p = Peers()
    yield p
    p.close()
