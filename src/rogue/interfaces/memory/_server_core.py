"""The memory ``TcpServer``'s protocol core: request messages in, response messages out (no sockets, threads or clock).

In the shape of h11's ``Connection``: the I/O layer (``_tcp_server``) hands
every received multipart message to :meth:`ServerCore.receive` and sends what
it returns; while :meth:`ServerCore.deadline` is not None it calls
:meth:`ServerCore.poll` with the time and sends that too. The core reads no
clock: a transaction's timer starts at the first ``poll(now)`` after the call
into the slave returned (as Rogue's master starts it when that call returns),
and :meth:`ServerCore.deadline` is 0 until then ("poll now"). The core decodes with the codec (``_wire``), answers probes at once,
drops and counts malformed requests (rate-limited warnings), refuses reads
larger than ``max_read``, and runs the rest on the memory slave one at a time,
across all clients, in arrival order. A response is ``(route, parts)``:
``route`` is ``None`` for the PUSH/PULL pair, else the client's routing id
(the first part of its requests with ``manyClients``).

A slave may finish a transaction later from its own thread:
:class:`ServerTransaction` then calls the ``wake`` callable, so the I/O
thread polls the core again.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Optional

from ..._warn_limiter import WarnLimiter
from . import _wire as w
from .master import _direct_of
from .transaction import Transaction

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

    from .slave import Slave

__all__ = ["MAX_QUEUE", "MAX_READ", "ROUTE_SIZE", "ServerCore", "ServerTransaction"]

MAX_QUEUE = 4096  # requests waiting for the slave before the server stops reading (back-pressure)
MAX_READ = 1 << 28  # largest Read/Verify the server allocates a buffer for
ROUTE_SIZE = w.ROUTE_SIZE  # bytes of a many-clients routing id

Route = Optional[w.Part]  # a many-clients client's routing id (its first part); None for the PUSH/PULL pair
Reply = tuple[Route, list[w.Part]]  # (route, response parts)

_DEBUG = logging.DEBUG
_WRITE, _POST, _PROBE = w.WRITE, w.POST, w.PROBE
_PROBE_OK = (b"", w.OK)
_decode, _WireError, _response_to, _failure_data = w.decode_request, w.WireError, w.response_to, w.failure_data
_NONE: tuple[Reply, ...] = ()  # "nothing to send": shared, no allocation per request
_TIMEOUT_PREFIX = "Timeout waiting for register transaction"  # Rogue's timeout text (``transaction._timeout_text``)


class ServerTransaction(Transaction):
    """A transaction issued by the server; calls its ``_wake_io`` when finished, once that is set.

    The server sets ``_wake_io`` only when the slave's call returned with the
    transaction still running: one finished within the call (from any
    thread) is seen by the caller as soon as the call returns, and wakes
    nobody.
    """

    __slots__ = ("_wake_io",)
    _wake_io: Callable[[], None] | None

    def _complete(self, data: ReadableBuffer | None = None, error: str = "") -> bool:
        took = Transaction._complete(self, data, error)
        wake = self._wake_io
        if took and wake is not None:
            wake()
        return took


class ServerCore:
    """Execution order, probes, checks, back-pressure and counters of a memory bridge server.

    ``slave()`` gives the memory slave to run a transaction on (looked up for
    every transaction, so ``server >> slave`` may change it), ``timeout()`` the
    timeout in seconds for a new transaction, ``wake()`` is called when a
    transaction finishes in another thread, ``log`` receives the warnings and
    debug lines. ``many``: every request starts with the client's 16-byte
    routing id. Counters (read by ``TcpServer.stats()``): ``served``,
    ``failed``, ``timed_out``, ``malformed``, ``probes``.
    """

    def __init__(self, slave: Callable[[], Slave], timeout: Callable[[], float], wake: Callable[[], None],
                 log: logging.Logger, many: bool = False, *, max_queue: int = MAX_QUEUE,
                 max_read: int = MAX_READ) -> None:
        self._slave = slave
        self._timeout = timeout
        self._wake = wake
        self._log = log
        self._many = bool(many)
        self.max_queue = int(max_queue)
        self.max_read = int(max_read)
        self.served = self.failed = self.timed_out = self.malformed = self.probes = 0
        self._bad = WarnLimiter(log, "dropped malformed request")
        self._queue: deque[tuple[Route, w.Request]] = deque()
        # The running transaction: (route, request, transaction, read buffer or None).
        self._current: tuple[Route, w.Request, Transaction, bytearray | None] | None = None
        self._timer_pending = False  # its timer starts at the next poll(now)
        self._direct_slave: Slave | None = None  # the slave last run on, and its direct access (or None)
        self._direct: Callable[[int, memoryview, int, int], bool] | None = None
        #: A transaction is running (read by the I/O layer instead of calling :meth:`deadline`): while False,
        #: nothing is queued either (a request finding the slave idle starts at once).
        self.busy = False

    def __len__(self) -> int:
        """Requests accepted and not yet answered (queued, plus the running one)."""
        return len(self._queue) + (self._current is not None)

    # -- messages in ---------------------------------------------------------------------
    def receive(self, parts: Sequence[w.Part]) -> Sequence[Reply]:
        """Take one received request message; return the responses to send now.

        A probe is answered here; a malformed request (or, with ``many``, one
        without a 16-byte route first) is dropped, counted and warned about; a
        read over ``max_read`` bytes is refused the same way. Any other request
        is queued, and started at once if the slave is idle: responses of
        transactions that finished within the call are returned.
        """
        route = None
        if self._many:  # the client's routing id comes first
            if not parts or len(parts[0]) != ROUTE_SIZE:
                self.malformed += 1
                self._bad.warn("request without a client route (a client without manyClients=True?)")
                return _NONE
            route = parts[0]
            parts = parts[1:]
        try:
            req = _decode(parts)
        except _WireError as exc:
            self.malformed += 1
            self._bad.warn(exc.reason)
            return _NONE
        if req.type == _PROBE:
            self.probes += 1
            if self._log.isEnabledFor(_DEBUG):
                self._log.debug("Probe id=%d answered", req.id)
            return ((route, [*req.head, *_PROBE_OK]),)
        if req.data is None and req.size > self.max_read:
            self.malformed += 1
            self._bad.warn(f"request id {req.id} reads {req.size} bytes, more than the {self.max_read} allowed")
            return _NONE
        if self.busy:
            self._queue.append((route, req))
            return _NONE
        reply = self._run(route, req)  # the slave is idle: nothing is queued
        if reply is None:
            return _NONE
        return (reply,)

    # -- time and completions ---------------------------------------------------------------
    def deadline(self) -> float | None:
        """When to :meth:`poll` next: the running transaction's deadline, 0 for at once (its timer is not
        started yet), None when none is running."""
        cur = self._current
        if cur is None:
            return None
        return 0.0 if self._timer_pending else cur[2]._deadline

    def poll(self, now: float) -> Sequence[Reply]:
        """Responses of the running transaction if it finished or timed out by ``now``, and of the next ones.

        ``now`` is a ``time.monotonic()`` value, read after the slave's call
        returned. A transaction's timer starts at the first poll; one still
        running at its deadline fails with Rogue's timeout text (counted in
        ``timed_out``).
        """
        cur = self._current
        if cur is None:
            return _NONE
        tran = cur[2]
        if self._timer_pending:  # its slave's call has returned: its timer starts now
            self._timer_pending = False
            tran._deadline = now + tran._timeout
        if tran._wake.locked() and now < tran._deadline:  # not finished, not yet due
            return _NONE
        self._current = None
        self.busy = False
        out = [self._answer(cur[0], cur[1], tran, cur[3])]
        out.extend(self._start_next())
        return out

    def reading(self) -> bool:
        """Back-pressure: False while ``max_queue`` requests wait (the I/O layer stops reading then)."""
        return len(self._queue) + (self._current is not None) < self.max_queue

    def tick(self) -> None:
        """Log the summary of suppressed malformed-request warnings if one is due (call periodically)."""
        self._bad.tick()

    def abandon(self) -> None:
        """Forget the queue and the running transaction (the server stops; nothing more is answered)."""
        self._queue.clear()
        self._current = None
        self._timer_pending = False
        self.busy = False

    # -- execution ------------------------------------------------------------------------------
    def _start_next(self) -> Sequence[Reply]:
        """Start queued requests until one keeps running; return the responses of those that finished."""
        queue = self._queue
        out: list[Reply] = []
        while queue:
            route, req = queue.popleft()
            reply = self._run(route, req)
            if reply is None:
                break
            out.append(reply)
        return out

    def _run(self, route: Route, req: w.Request) -> Reply | None:
        """Run ``req`` on the slave: its response when it finished within the call, else None (it is running)."""
        ttype = req.type
        data = req.data
        if data is not None:  # Write, Post: the decoder checked their data part
            buf = None
            view = memoryview(data)
        else:
            buf = bytearray(req.size)
            view = memoryview(buf)
        log = self._log
        debug = log.isEnabledFor(_DEBUG)
        slave = self._slave()
        if slave is not self._direct_slave:  # ``server >> slave`` changed it: ask again whether it has direct access
            self._direct_slave, self._direct = slave, _direct_of(slave)
        direct = self._direct
        # A slave that does this access at once (an Emulate, a plain Hub above one) does it with no Transaction,
        # as a local master's access is done (Master's direct path); any other, and every access while debug
        # lines are logged (they name the transaction), goes the usual way.
        if direct is not None and not debug and direct(req.address, view, req.size, ttype):
            self.served += 1
            return route, _response_to(req, buf if buf is not None else data or b"")
        tran = ServerTransaction(req.address, view, req.size, ttype, self._timeout())
        tran._wake_io = None  # finished within the call: seen below, no wake-up
        if debug:
            log.debug("Forwarding request id=%d as transaction %d: type=%d address=0x%x size=%d",
                      req.id, tran._id, ttype, req.address, req.size)
        try:
            slave._doTransaction(tran)
        except Exception as exc:  # a slave's bug becomes this request's error text
            log.error("Exception in _doTransaction of %r for request id %d", slave, req.id, exc_info=True)
            tran._complete(None, str(exc) or exc.__class__.__name__)
        wake = tran._wake
        if wake.locked():
            # Still running: from now on its completion (from another thread) wakes the I/O layer; one that came
            # before this line woke nobody and is seen by the look below.
            tran._wake_io = self._wake
            if wake.locked():  # answered by a later poll(), which starts its timer
                self._current = (route, req, tran, buf)
                self._timer_pending = True
                self.busy = True
                return None
        return self._answer(route, req, tran, buf)  # finished within the call

    def _answer(self, route: Route, req: w.Request, tran: Transaction, buf: bytearray | None) -> Reply:
        """The response to a transaction that finished (within the slave's call or later) or is due, counted."""
        # Finished: its error text is final; else it is past its deadline, which _wait times out.
        err = tran._wait() if tran._wake.locked() else tran._error
        tran._view = None
        self.served += 1
        debug = self._log.isEnabledFor(_DEBUG)
        if err:
            return self._failed(route, req, err, debug)
        if debug:
            self._log.debug("Response id=%d: OK", req.id)
        return route, _response_to(req, buf if buf is not None else req.data or b"")

    def _failed(self, route: Route, req: w.Request, err: str, debug: bool) -> Reply:
        """The response to a failed transaction (its error text as the result), counted."""
        self.failed += 1
        if err.startswith(_TIMEOUT_PREFIX):
            self.timed_out += 1
        if debug:
            self._log.debug("Response id=%d: %s", req.id, err)
        return route, _response_to(req, _failure_data(req.type, req.size, req.data), err)
