"""Execution half of the memory ``TcpServer``: requests run on the slave one at a time (no sockets).

:class:`Executor` takes decoded requests (``_wire.Request``) with an opaque
``route`` (``None`` for the PUSH/PULL pair, a client's routing id for
ROUTER/DEALER), runs them on the server's memory slave in arrival order, one
at a time, and hands each response to the server's reply callable with the
same route. A slave may finish a transaction later from its own thread:
:class:`ServerTransaction` then wakes the server's I/O thread.

The executor reads from its server only ``_slave``, ``_timeout``,
``_wake_cb`` and ``_log``, and counts into ``_served``, ``_failed`` and
``_timed_out``.
"""

from __future__ import annotations

import logging
from collections import deque
from time import monotonic
from typing import TYPE_CHECKING, Any, Callable

from . import _wire as w
from .transaction import Transaction

if TYPE_CHECKING:
    from ._tcp_server import TcpServer

__all__ = ["Executor", "ServerTransaction"]

_DEBUG = logging.DEBUG
_WRITE, _POST = w.WRITE, w.POST


class ServerTransaction(Transaction):
    """A transaction issued by the server; wakes its I/O thread when finished from another thread."""

    __slots__ = ("_wake_io",)

    def _complete(self, data: Any = None, error: str = "") -> bool:
        took = Transaction._complete(self, data, error)
        if took:
            self._wake_io()
        return took


def _finished(tran: Transaction) -> bool:
    """True once ``tran`` holds its final result (its waiter would not block)."""
    return not tran._wake.locked()


class Executor:
    """Runs requests on the server's slave one at a time, in arrival order (no sockets here).

    ``submit(route, request)`` queues a request; :meth:`poll` (called by the
    I/O thread after every wake-up) finishes the running transaction when it
    completed or timed out, answers it through ``reply(route, parts)``, and
    starts the next one.
    """

    def __init__(self, server: "TcpServer", reply: Callable[[Any, list[Any]], None]) -> None:
        self._server = server
        self._reply = reply
        self._queue: deque[tuple[Any, w.Request]] = deque()
        # The running transaction: (route, request, transaction, read buffer or None).
        self._current: tuple[Any, w.Request, Transaction, Any] | None = None

    def __len__(self) -> int:
        return len(self._queue) + (self._current is not None)

    def submit(self, route: Any, req: w.Request) -> None:
        """Queue ``req``; start it at once if the slave is idle."""
        self._queue.append((route, req))
        if self._current is None:
            self._start_next()

    def deadline(self) -> float | None:
        """When the running transaction times out (``None`` if none is running)."""
        cur = self._current
        return cur[2]._deadline if cur is not None else None

    def poll(self) -> None:
        """Answer the running transaction if it finished or timed out, then start the next ones."""
        cur = self._current
        if cur is None:
            return
        tran = cur[2]
        if not _finished(tran) and monotonic() < tran._deadline:
            return
        self._current = None
        self._answer(cur[0], cur[1], tran, cur[3])
        self._start_next()

    def abandon(self) -> None:
        """Forget the queue and the running transaction (the server stops)."""
        self._queue.clear()
        self._current = None

    def _start_next(self) -> None:
        queue = self._queue
        srv = self._server
        while queue:
            route, req = queue.popleft()
            ttype = req.type
            if ttype == _WRITE or ttype == _POST:
                buf = None
                view = memoryview(req.data)
            else:
                buf = bytearray(req.size)
                view = memoryview(buf)
            tran = ServerTransaction(req.address, view, req.size, ttype, srv._timeout)
            tran._wake_io = srv._wake_cb
            log = srv._log
            if log.isEnabledFor(_DEBUG):
                log.debug("Forwarding request id=%d as transaction %d: type=%d address=0x%x size=%d",
                          req.id, tran._id, ttype, req.address, req.size)
            try:
                srv._slave._doTransaction(tran)
            except Exception as exc:  # a slave's bug becomes this request's error text
                log.error("Exception in _doTransaction of %r for request id %d", srv._slave, req.id, exc_info=True)
                tran._complete(None, str(exc) or exc.__class__.__name__)
            tran._deadline = monotonic() + tran._timeout
            if _finished(tran):
                self._answer(route, req, tran, buf)
            else:
                self._current = (route, req, tran, buf)
                return

    def _answer(self, route: Any, req: w.Request, tran: Transaction, buf: Any) -> None:
        err = tran._wait()  # returns at once: finished, or past its deadline (then times it out)
        tran._view = None
        srv = self._server
        srv._served += 1
        if err:
            srv._failed += 1
            if err.startswith("Timeout waiting for register transaction"):
                srv._timed_out += 1
            data = w.failure_data(req.type, req.size, req.data)
        else:
            data = buf if buf is not None else req.data
        log = srv._log
        if log.isEnabledFor(_DEBUG):
            log.debug("Response id=%d: %s", req.id, err or "OK")
        self._reply(route, w.response_to(req, data, err))
