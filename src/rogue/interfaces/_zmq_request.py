"""One request at a time on a ZmqServer's REQ port, with Rogue's warn/fail wait (``ZmqClient`` and the command line)."""

from __future__ import annotations

import errno
import logging
import os
import threading

import zmq

from .._transport import Waker, make_socket, recv_one, set_receive_timeout
from ._zmq_common import (
    BridgeSecurity,
    SocketGuard,
    recovered_text,
    rogue_error,
    tcp_url,
    timeout_text,
    wait_text,
)

__all__ = ["DEFAULT_FAIL_MS", "DEFAULT_WARN_MS", "Requester"]

DEFAULT_WARN_MS = 1000  # Rogue's defaults: wait 1 s ...
DEFAULT_FAIL_MS = 1000  # ... and fail on the first timeout


class Requester:
    """A REQ socket connected to ``addr:port`` (REQ_CORRELATE and REQ_RELAXED: a request after an abandoned one works).

    :meth:`request` waits in periods of ``warn_ms``: each period without a
    reply counts ``warn_ms`` towards ``fail_ms`` (0: wait for ever), with
    Rogue's warnings after the first whole second and every 30 s. :meth:`close`
    makes a waiting request give up at once. Thread-safe: requests are
    serialised.
    """

    def __init__(self, addr: str, port: int, security: BridgeSecurity, log: logging.Logger, string_mode: bool) -> None:
        self._log = log
        self._string = string_mode
        self._lock = threading.Lock()
        self._warn_ms = DEFAULT_WARN_MS
        self._fail_ms = DEFAULT_FAIL_MS
        self._closing = False
        self._closed = False
        self._sock = make_socket(zmq.REQ, addr, SocketGuard(security, log).prepare, rcvtimeo=self._warn_ms,
                                 relaxed=True)
        try:
            self._sock.connect(tcp_url(addr, port))
        except zmq.ZMQError as exc:
            self._sock.close(linger=0)
            raise rogue_error("ZmqClient::ZmqClient", f"Failed to connect to port {port} at address {addr}") from exc
        self._wake = Waker()
        self._poller = zmq.Poller()
        self._poller.register(self._wake.fd, zmq.POLLIN)

    def set_timeout(self, warn_ms: int, fail_ms: int) -> None:
        """Wait periods of ``warn_ms`` (> 0), failing after ``fail_ms`` in all (0: never); waits for a request in progress."""
        with self._lock:
            self._warn_ms, self._fail_ms = warn_ms, fail_ms
            if not self._closed:
                set_receive_timeout(self._sock, warn_ms)

    def request(self, data: bytes | memoryview, src: str) -> bytes:
        """Send ``data`` (bytes-like) as one message and return the reply; GeneralError on timeout, stop or send failure."""
        with self._lock:
            if self._closed:
                code = errno.ENOTSOCK
                raise rogue_error(src, f"zmq_sendmsg failed: errno={code} {os.strerror(code)} (the client was stopped)")
            sock, poller, warn = self._sock, self._poller, self._warn_ms
            seconds = 0.0
            logged = 0
            sent = False
            while True:
                poller.register(sock, zmq.POLLIN if sent else zmq.POLLOUT)
                ready = dict(poller.poll(warn))
                if self._closing:
                    raise rogue_error(src, timeout_text(seconds, self._string))
                if sock in ready:
                    call = "zmq_recvmsg" if sent else "zmq_sendmsg"
                    try:
                        if not sent:
                            sock.send(data, zmq.NOBLOCK)
                            sent = True
                            continue
                        reply = recv_one(sock)
                        break
                    except zmq.Again:
                        continue
                    except zmq.ZMQError as exc:
                        raise rogue_error(src, f"{call} failed: errno={exc.errno} {exc.strerror}") from exc
                seconds += warn / 1000.0
                if self._fail_ms and seconds * 1000.0 >= self._fail_ms:
                    raise rogue_error(src, timeout_text(seconds, self._string))
                text = wait_text(seconds, logged)
                if text is not None:
                    self._log.warning(text)
                    logged = int(seconds)
        text = recovered_text(seconds)
        if text is not None:
            self._log.warning(text)
        return reply

    def close(self) -> None:
        """Make a waiting request give up now, then close the socket (idempotent)."""
        self._closing = True
        self._wake.wake()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._sock.close(linger=0)
            self._wake.close()
