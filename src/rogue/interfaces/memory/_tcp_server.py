"""Memory ``TcpServer``: executes the register transactions of a remote ``TcpClient``.

Layers (so a ZAP-guarded or ROUTER/DEALER transport can replace the sockets
without touching execution):

* sockets (:meth:`TcpServer._open_transport`, :meth:`TcpServer._reply`,
  the receive part of :meth:`TcpServer._io_loop`): PULL bound on ``P``, PUSH
  bound on ``P+1`` (``docs/wire.md``); every response carries a ``route`` that
  this transport ignores (PUSH cannot choose a peer) and a routing one would
  use;
* ``_server_core.ServerCore`` (no sockets, no threads): decodes requests,
  answers probes, drops malformed ones, runs the rest on the attached memory
  slave one at a time, in arrival order, and returns the responses, which
  this layer sends; it also decides back-pressure and holds the counters.

One I/O thread does both. A slave that completes at once (``Emulate``) is
answered within the same loop pass, with no thread handoff; one that
completes later from its own thread (``SrpV3``) wakes the I/O thread through
a socket pair, so the loop keeps answering probes and noticing ``stop()``
while it waits (bounded by the master timeout, 1 s by default). After a
request, while requests keep coming, the thread waits for the next one in a
blocking receive on the request socket alone (``TcpServer._serve_next``).
"""

from __future__ import annotations

import errno
import threading
from threading import get_ident
from time import monotonic

import zmq

from ..._security import AllowList, BridgeSecurity, KeySpec, KeySpecs, SocketGuard
from ..._transport import (
    DEFAULT_INTERVAL,
    DEFAULT_TIMEOUT,
    BridgeEnd,
    Listen,
    Monitor,
    MonitorSource,
    Socket,
    Waker,
    ensure_released,
    listening_address,
    release_error,
    release_timeout,
    wait_free,
    close_all,
    open_pair,
    open_socket,
    poll_items,
    recv_parts,
    register_closer,
    run_io_loop,
    send_parts,
    start_io_thread,
    tcp_url,
    waiting_messages,
)
from ..._warn_limiter import WarnLimiter
from . import _wire as w
from ._server_core import Route, ServerCore
from .master import Master

__all__ = ["TcpServer"]

_POLL_MS = 100  # how often a reply waiting for room looks at the stop flag
# How long the idle I/O loop sleeps: stop() and completions wake it through the
# socket pair, so this bounds only the summaries of rate-limited warnings (a wake-up
# per 0.1 s in each of 2 000 bridges starved their process of the GIL, measured).
_IDLE_MS = 1000
_BATCH = 256  # requests taken per loop pass before looking at the rest
_LOOK = 8  # a drain that found one request alone: the 8th after it looks for more
_TICK_S = 0.25  # how often the I/O loop looks for due summaries of rate-limited warnings
# After a request, the I/O thread waits for the next one in a blocking receive on the request socket alone
# (its RCVTIMEO), not in the poll of every socket: see TcpServer._serve_next. Every _LOOK_S s of that, and after
# _HOT_MS ms without a request, the full poll takes over (monitor events, the waker, the idle timeout).
_HOT_MS = 50
_LOOK_S = 0.05
_FLUSH_MS = 2000  # how long responses sent before stop() keep draining to the client


class TcpServer(BridgeEnd, Master):
    """Serves a memory bus to a remote ``TcpClient`` (Rogue's ``rim.TcpServer``).

    ``TcpServer(addr, port)`` binds ``addr`` (``'*'`` for all interfaces) on
    ``port`` (requests) and ``port + 1`` (responses); ``tcp >> slave`` attaches
    the memory slave that executes them, one at a time in arrival order.
    Probes are answered at once; malformed requests are dropped, counted and
    warned about (rate-limited). ``_setTimeout`` bounds each transaction.

    Beyond Rogue: :meth:`isConnected` and the counters in :meth:`stats`; who
    may connect (README, "Several clients, and security"): ``exclusive`` (default
    True: one client per port pair, a second one is refused during the ZeroMQ
    handshake; False: Rogue's behaviour, responses round-robin between clients),
    ``manyClients`` (serve any number of rogue-bridge clients created with
    ``manyClients=True``, each response to its sender), ``allow`` (IP addresses
    or networks that may connect), ``serverSecretKey`` with ``allowedClientKeys``
    (CURVE: only the listed client public keys; Z85 text or certificate files).
    ``heartbeatInterval``/``heartbeatTimeout`` (seconds, default 1 and 5; 0:
    off): a client silent that long is declared lost (one warning, counted in
    ``stats()["linkLosses"]``) and, when exclusive, its slot is freed.
    """

    def __init__(self, addr: str, port: int, *, exclusive: bool = True, manyClients: bool = False,
                 allow: AllowList | None = None, serverSecretKey: KeySpec | None = None,
                 allowedClientKeys: KeySpecs | None = None,
                 heartbeatInterval: float = DEFAULT_INTERVAL, heartbeatTimeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self._open_end(addr, port, "TcpServer.{addr}.{port}", "memory", heartbeatInterval, heartbeatTimeout,
                       "the client of {url}", "client")
        self._loss = self._link.loss
        self._many = bool(manyClients)
        security = BridgeSecurity.for_server(self._name, allow=allow, serverSecretKey=serverSecretKey,
                                             allowedClientKeys=allowedClientKeys, exclusive=exclusive,
                                             manyClients=manyClients)
        self._guard = SocketGuard(security, self._log, f"memory server {self._name}", forward_events=True)
        self._unsent = 0
        self._reply_gave_up = False  # a response found no client to take it: do not wait again until one is seen
        self._lost = WarnLimiter(self._log, "response not sent")
        self._core = ServerCore(self._getSlave, self._get_timeout, self._wake_io, self._log, self._many)
        self._open_transport()
        self._io_ident = 0
        self._burst = False  # the last drain found more than one request waiting
        self._look_in = 0  # drains left that take one request without looking for more
        self._running = True
        self._io = start_io_thread(self._name, "io", self._io_loop)
        register_closer(self)

    # -- sockets -----------------------------------------------------------------------------
    def _open_transport(self) -> None:
        """Bind PULL on ``P`` and PUSH (ROUTER with ``manyClients``) on ``P+1``, and the wake-up socket pair."""
        def bind(kind: int, port: int) -> tuple[Socket, MonitorSource]:
            return open_socket(kind, tcp_url(self._addr, port), True, self._name, self._addr, self._port, self._log,
                               self._guard.prepare, heartbeat=self._hb,
                               rcvtimeo=_HOT_MS if kind == zmq.PULL else None)

        def release(listening: list[Listen]) -> None:
            self._guard.close()
            wait_free(listening)

        (self._pull, self._pull_mon), (self._push, self._push_mon) = open_pair(
            lambda: bind(zmq.PULL, self._port), lambda: bind(zmq.ROUTER if self._many else zmq.PUSH, self._port + 1),
            release)
        # Where the server listens: stop() returns once the kernel has released both ports.
        self._listen = [a for a in (listening_address(self._pull), listening_address(self._push)) if a is not None]
        # Completions from other threads wake the I/O thread's poll through this.
        self._waker = Waker()
        # Exclusive: events come from the ZAP service's thread, which wakes the I/O thread.
        self._mons = (Monitor(self._pull_mon, "pull", self._log, self._wake_io),
                      Monitor(self._push_mon, "push", self._log, self._wake_io))
        self._push_peers = self._mons[1].peers
        self._link.attach(self._mons[0], self._mons[1], self._port + 1, True,
                          client_of=(tcp_url(self._addr, self._port), self._port), client_ip=self._guard.client_ip)

    def _get_timeout(self) -> float:
        """The timeout of a new transaction, in seconds (``_setTimeout``)."""
        return self._Master__timeout  # type: ignore[attr-defined, no-any-return]

    def _wake_io(self) -> None:
        """Called when a transaction finishes: wake the I/O thread unless it is the caller."""
        if get_ident() != self._io_ident:
            self._waker.wake()

    def _reply(self, route: Route, parts: list[w.Part]) -> None:
        """Send a response: to ``route`` (manyClients), else to the one client of the PUSH socket."""
        push = self._push
        if route is not None:
            parts = [route, *parts]
        try:
            if send_parts(push, parts):
                return
        except zmq.ZMQError as exc:  # ROUTER: that client is gone
            if exc.errno != errno.EHOSTUNREACH:
                raise
            self._unsent += 1
            self._lost.warn("the client of a response is gone")
            return
        # No peer yet (a client's response socket may connect just after its first request),
        # or the peer is not reading (back-pressure): wait a bounded time. After one such wait
        # found nobody, later responses are dropped at once until a peer is seen again, so a
        # vanished client's queue costs one timeout, not one per response.
        had_peer = self._push_peers.peers > 0
        if had_peer:
            self._reply_gave_up = False
        end = 0.0 if self._reply_gave_up else monotonic() + self._get_timeout()
        while self._running and monotonic() < end:
            if push.poll(_POLL_MS, zmq.POLLOUT):
                try:
                    if send_parts(push, parts):
                        return
                    continue
                except zmq.ZMQError as exc:
                    if exc.errno != errno.EHOSTUNREACH:
                        raise
                    break
            # A client that leaves with requests queued (or closes right after posting) must not
            # cost one timeout per queued response: its disconnect ends the wait.
            self._refresh_peers()
            if had_peer and not self._push_peers.peers:
                break
        self._reply_gave_up = not self._push_peers.peers
        self._unsent += 1
        self._lost.warn(f"no client to take the response to request id {w.response_id(parts)}")

    def _refresh_peers(self) -> None:
        """Apply the waiting monitor events of both sockets (I/O thread, outside the loop's poll)."""
        for mon in self._mons:
            if mon.drain():
                self._update_link()

    # -- the I/O thread ------------------------------------------------------------------------
    def _io_loop(self) -> None:
        """Receive requests into the core, send its responses, follow monitor events."""
        self._io_ident = get_ident()
        pull, pull_mon, push_mon, waker = self._pull, self._pull_mon, self._push_mon, self._waker
        core = self._core
        reply = self._reply
        poller = zmq.Poller()
        poller.register(pull, zmq.POLLIN)
        # Monitor sockets are polled; event queues (exclusive sockets, fed by the ZAP
        # service, which wakes this thread) are read on every turn of the loop.
        polled = {mon.pollable: mon for mon in self._mons if mon.pollable is not None}
        queued = [mon for mon in self._mons if mon.pollable is None]
        for sock in polled:
            poller.register(sock, zmq.POLLIN)
        poller.register(waker.fd, zmq.POLLIN)
        wake_fd = waker.fd  # the poller reports plain sockets by file descriptor
        items = poller.sockets  # what Poller.poll polls (``modify`` edits it in place)
        reading = True
        next_tick = 0.0
        hot = False  # the last pass served a request: wait for the next one in _serve_next
        look_at = 0.0  # when the full poll next looks at everything while requests keep coming

        def step() -> None:
            nonlocal reading, next_tick, hot, look_at
            if hot:
                hot = self._serve_next(pull, core, look_at)
                return
            deadline = core.deadline() if core.busy else None
            timeout = _IDLE_MS if deadline is None else \
                max(0, min(_IDLE_MS, int((deadline - monotonic()) * 1000) + 1))
            ready = poll_items(items, timeout)
            woken = not ready  # the idle timeout: look at everything
            served = False
            for sock, _ in ready:
                if sock is pull:
                    self._drain(pull, core)
                    served = True
                elif sock == wake_fd:
                    woken = True
                    waker.clear()
                elif sock in polled:
                    if polled[sock].drain():
                        self._update_link()
            if woken:
                # Queued monitor events (exclusive sockets): the ZAP service queues each event,
                # then wakes this thread, so they are read on a wake-up, not on every request.
                for mon in queued:
                    if mon.drain():
                        self._update_link()
            if core.busy:  # a transaction was running (or started by a drain above): finished (wake-up) or due?
                for route, out in core.poll(monotonic()):
                    reply(route, out)
                # Back-pressure: stop reading while the slave has a long queue (never while idle: nothing waits).
                busy = not core.reading()
                if busy == reading:
                    reading = not busy
                    poller.modify(pull, zmq.POLLIN if reading else 0)
            elif not reading:
                reading = True
                poller.modify(pull, zmq.POLLIN)
            now = monotonic()
            if now >= next_tick:  # summaries of rate-limited warnings (each due at most once a second)
                next_tick = now + _TICK_S
                core.tick()
                self._lost.tick()
            if served and not core.busy and self._link.connected:
                hot, look_at = True, now + _LOOK_S

        def finish() -> None:
            core.abandon()
            # Monitors stop before their sockets close: libzmq's I/O thread blocks on a monitor whose reader is gone.
            pull.disable_monitor()
            self._push.disable_monitor()
            close_all(pull, pull_mon, push_mon)
            self._push.close(linger=_FLUSH_MS)  # responses already sent still reach a connected client
            self._guard.close()
            waker.close()
            self._link.set(False, running=False)

        run_io_loop(self, self._log, step, finish, what="I/O loop")

    def _serve_next(self, pull: Socket, core: ServerCore, look_at: float) -> bool:
        """Wait for the next request on the request socket alone (up to ``RCVTIMEO``) and serve it; True to do so again.

        A client sending one request after another (every register access of
        a pyrogue tree) is served with one blocking receive per request, as a
        plain pyzmq server would, instead of the poll of four sockets, which
        costs ~4 more system calls and its Python around it per request. False
        (the loop's full poll takes the next turn) after ``_HOT_MS`` ms without
        a request, when the slave is still running one (its completion comes
        through the waker), when the link is not known up, and every
        ``_LOOK_S`` s (monitor events, queued warnings; ``stop()`` is seen
        within ``_HOT_MS``).
        """
        try:
            parts = recv_parts(pull, 0)
        except zmq.Again:  # quiet: the full poll sleeps until the next request
            return False
        now = monotonic()
        self._loss.heard(now)
        for route, out in core.receive(parts):
            if route is not None or not send_parts(self._push, out):
                self._reply(route, out)
        return now < look_at and not core.busy and self._link.connected

    def _drain(self, pull: Socket, core: ServerCore) -> None:
        """Hand the waiting requests to the core (up to ``_BATCH``) and send what it answers at once.

        Whether another request waits costs ``EVENTS`` (~1.3 us) after each one,
        and a sequential client never has a second one waiting: after a drain
        that found one request, the next ones take one each (the loop's poll
        sees the rest) and every ``_LOOK``-th looks for more again. A response
        to the one client of the PUSH socket is sent here when it can go at
        once; :meth:`_reply` handles routes and waiting for room.
        """
        self._loss.heard()
        if not self._burst and self._look_in:  # one request: no generator, no look for more
            self._look_in -= 1
            try:
                parts = recv_parts(pull)
            except zmq.Again:
                return
            for route, out in core.receive(parts):
                if route is not None or not send_parts(self._push, out):
                    self._reply(route, out)
            return
        self._look_in = _LOOK
        receive = core.receive
        reply = self._reply
        n = 0
        for parts in waiting_messages(pull, _BATCH):
            n += 1
            answered = receive(parts)
            if answered:
                for route, out in answered:
                    reply(route, out)
            elif not core.reading():  # queued behind a running one, and the queue is full:
                break  # back-pressure, the rest waits in ZeroMQ's queue
        self._burst = n > 1

    def _update_link(self) -> None:
        self._link.update(self._running)
        if self._push_peers.peers > 1 and not self._many:
            self._log.warning("%d clients connected to %s: responses may reach the wrong client",
                              self._push_peers.peers, tcp_url(self._addr, self._port + 1))

    # -- link state and counters ------------------------------------------------------------------
    def getServedCount(self) -> int:
        """Transactions executed on the slave and answered (successful or not)."""
        return self._core.served

    def getFailedCount(self) -> int:
        """Answered transactions that failed (the error text was sent as the result)."""
        return self._core.failed

    def getTimeoutCount(self) -> int:
        """Failed transactions whose slave did not finish within the timeout."""
        return self._core.timed_out

    def getMalformedCount(self) -> int:
        """Requests dropped as malformed (no response sent)."""
        return self._core.malformed

    def stats(self) -> dict[str, int | bool]:
        """All counters and the link state in one dict (for monitoring)."""
        core = self._core
        return {
            "connected": self._link.connected,
            "served": core.served,
            "failed": core.failed,
            "timedOut": core.timed_out,
            "malformed": core.malformed,
            "probes": core.probes,
            "unsent": self._unsent,
            "linkLosses": self._loss.losses,
        }

    # -- lifecycle ------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop serving and release the thread and sockets (idempotent, within about 0.1 s).

        The listening ports are free when this returns: a new server may bind
        them at once, in this process or another. If they are still held after
        ``rogue._transport.listener.RELEASE_S`` (5) seconds, or the slave keeps the I/O
        thread busy that long, it raises GeneralError. Responses already sent keep draining to a
        connected client for up to 2 s in the background.
        """
        if not self._begin_stop():
            return
        if self._io is not threading.current_thread():
            self._wake_io()
            self._io.join(release_timeout())  # it owns the sockets: wait longer than one poll period
            if self._io.is_alive():
                self._log.warning("I/O thread still busy in the slave after stop()")
                raise release_error(self._name, None, "the I/O thread is busy in the slave")
        else:  # stop() from the slave, in the I/O thread: the sockets close when the loop ends, just after
            self._log.debug("Stopped from the I/O thread: its ports are released when the slave returns")
            return
        self._log.debug("Stopped")
        ensure_released(self._name, self._listen)

    def _start(self) -> None:
        """Start hook (as in Rogue, where the bridge starts with its root): serving began at creation."""
