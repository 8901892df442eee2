"""Memory ``TcpClient``: forwards a local memory bus's transactions to a remote ``TcpServer``.

The sender is whichever master thread calls ``_doTransaction`` (sends are
serialized by a lock: a ZeroMQ socket is not thread-safe). It registers the
transaction as in flight, then sends without blocking; many transactions may
be in flight at once (pipelining). Responses are received by a master
waiting for its transaction, in its own thread, or else by the client's
receive thread, which also follows both sockets' monitor events (link state)
and forgets transactions that timed out.

Layers: this module holds the sockets and threads only; the protocol (the
in-flight table, request messages, response matching, probes, counters) is
``_client_core.ClientCore`` and admission (whom the server lets in, retries)
is the state machine ``_client_admission.Admission``, neither with sockets.

One thread at a time reads the response socket: the receive thread, or a
master waiting for its transaction, which then receives in its own thread
(``_leader_follower``), so a round trip wakes no second thread.
"""

from __future__ import annotations

import itertools
import logging
import threading
from time import monotonic

import zmq

from ..._errors import GeneralError
from ..._security import BridgeSecurity, KeySpec, SocketGuard, handshake_result
from ..._transport import (
    DEFAULT_INTERVAL,
    DEFAULT_TIMEOUT,
    BridgeEnd,
    Monitor,
    Pollable,
    Socket,
    close_all,
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
from ._client_admission import Action, Admission, LinkEvent, Port
from ._client_core import ClientCore
from ._leader_follower import LeaderFollower
from .slave import Slave
from .transaction import Transaction

__all__ = ["TcpClient"]

_POLL_MS = 100  # how often a wait for room to send, a busy or a refused receive loop looks around
# How long the idle receive loop sleeps: stop() wakes it at once (disabling the
# request socket's monitor posts MONITOR_STOPPED to a monitor it polls). A wake-up
# per 0.1 s in each of 2 000 bridges starved their process of the GIL (measured).
_IDLE_MS = 1000
_BATCH = 256  # responses handled per loop pass before looking at the monitors
_LOOK_S = 0.05  # how often a master receiving in person follows the monitors too (_lead_receive)
_PRUNE_S = 1.0  # how often in-flight transactions that timed out are forgotten
_FLUSH_MS = 2000  # how long requests sent before close() (posts: already reported done) keep draining
_DEBUG = logging.DEBUG
_POST = w.POST
_CONNECTED, _DISCONNECTED = int(zmq.EVENT_CONNECTED), int(zmq.EVENT_DISCONNECTED)
# A handshake's outcome (rogue._security.handshake_result) as the admission state machine's input.
_OUTCOMES: dict[str | None, LinkEvent] = {"ok": LinkEvent.HANDSHAKE_OK, "busy": LinkEvent.BUSY,
                                          "refused": LinkEvent.REFUSED, "failed": LinkEvent.FAILED}


class TcpClient(BridgeEnd, Slave):
    """A memory slave whose transactions run on a remote ``TcpServer`` (Rogue's ``rim.TcpClient``).

    ``TcpClient(addr, port, waitReady=False)`` connects to ``addr`` on ``port``
    (requests) and ``port + 1`` (responses); attach it with ``master >> tcp``.
    With no server, a request is not sent and its transaction ends with the
    master's timeout error instead of blocking. Post completes as soon as it is
    handed to ZeroMQ. :meth:`waitReady` probes the server; with
    ``waitReady=True``, :meth:`_start` does so and raises if it never answers.

    A server that already serves another client refuses this one during the
    ZeroMQ handshake: transactions then fail at once with "memory server at
    HOST:PORT already serves another client", :meth:`waitReady` returns False,
    and the client asks again every second until admitted. The request socket
    is connected first, the response socket once the server admitted it.

    Beyond Rogue: :meth:`isConnected` and the counters in :meth:`stats`;
    ``manyClients=True`` for a server created with ``manyClients=True``;
    ``clientSecretKey`` with ``serverPublicKey`` for a CURVE server.
    ``heartbeatInterval``/``heartbeatTimeout`` (seconds, default 1 and 5; 0:
    off): a server silent that long (a pulled cable, a hung host) is declared
    lost with one warning; until the client has reconnected (by itself), a new
    transaction fails at once with "... is not connected: the link was lost
    ..." instead of waiting out its timeout. One in flight when the link died
    fails with Rogue's timeout text, as before.
    """

    def __init__(self, addr: str, port: int, waitReady: bool = False, *, manyClients: bool = False,
                 clientSecretKey: KeySpec | None = None, serverPublicKey: KeySpec | None = None,
                 heartbeatInterval: float = DEFAULT_INTERVAL, heartbeatTimeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(4, 0xFFFFFFFF)
        self._open_end(addr, port, "TcpClient.{addr}.{port}", "memory", heartbeatInterval, heartbeatTimeout,
                       "the memory server at {addr}:{port}", "server {addr}:{port}")
        self._loss = self._link.loss  # read on the hot path (a lost link fails a transaction at once)
        self._wait_ready = bool(waitReady)
        self._send_lock = threading.Lock()
        self._probe_ids = itertools.count(1)
        self._ready = threading.Event()
        self._sent = self._unsent = 0
        self._notsent = WarnLimiter(self._log, "request not sent")
        self._many = bool(manyClients)
        self._route = w.new_route() if self._many else b""
        self._core = ClientCore(self._name, self._log, self._route)
        self._inflight = self._core.inflight  # the same dict (read on the hot paths)
        self._admission = Admission(self._addr, self._port, self._many)
        self._push_url = tcp_url(self._addr, self._port)
        self._pull_url = tcp_url(self._addr, self._port + 1)

        self._guard = SocketGuard(BridgeSecurity.for_client(self._name, clientSecretKey=clientSecretKey,
                                                            serverPublicKey=serverPublicKey), self._log)
        prepare = self._guard.prepare
        self._push: Socket | None
        self._push, push_events = open_socket(zmq.PUSH, self._push_url, False, self._name,
                                              self._addr, self._port, self._log, prepare, heartbeat=self._hb)
        try:
            # The response socket: RCVTIMEO bounds a waiting master's blocking receive (_lead_receive).
            self._pull, pull_events = open_socket(zmq.DEALER if self._many else zmq.PULL, self._pull_url, False,
                                                  self._name, self._addr, self._port, self._log, prepare,
                                                  connect=self._many, heartbeat=self._hb, rcvtimeo=_POLL_MS,
                                                  routing_id=self._route if self._many else None)
        except Exception:
            close_all(self._push, push_events)
            raise
        self._request_mon = Monitor(push_events, "push", self._log)
        self._response_mon = Monitor(pull_events, "pull", self._log)
        push_mon, pull_mon = self._request_mon.pollable, self._response_mon.pollable
        assert push_mon is not None and pull_mon is not None  # a client's monitors are sockets (no ZAP service)
        self._push_mon, self._pull_mon = push_mon, pull_mon
        self._push_peers = self._request_mon.peers
        self._link.attach(self._response_mon, self._request_mon, self._port, False)
        self._on_request_event = lambda event, value: self._on_event(Port.REQUEST, event, value)
        self._on_response_event = lambda event, value: self._on_event(Port.RESPONSE, event, value)
        self._poll_items: list[tuple[Pollable, int]] = [(sock, int(zmq.POLLIN))
                                                        for sock in (self._pull, self._pull_mon, self._push_mon)]
        # The response socket is used by whoever holds the lock: the receive thread, or a master
        # waiting for its transaction, which then receives in its own thread (leader/follower).
        self._look_at = 0.0  # when a waiting master next polls the monitors too (_lead_receive)
        self._reader = LeaderFollower(self._service, self._inflight.__len__, lambda: self._running,
                                      self._lead_receive)
        self._lead = self._reader.lead  # bound once: it is every transaction's waiter
        self._running = True
        self._rx = start_io_thread(self._name, "rx", self._rx_loop)
        register_closer(self)

    # -- sending (the hot path) -------------------------------------------------------------------
    def _doTransaction(self, transaction: Transaction) -> None:
        """Send ``transaction`` to the server; its response completes it later (Post: at once)."""
        refusal = self._admission.refusal
        if refusal:  # the server refused this client: say so now rather than time out
            transaction._complete(None, refusal)
            return
        lost_at = self._loss.lost_at
        if lost_at:  # the link is known to be down: say so now rather than time out
            transaction._complete(None, f"memory server at {self._addr}:{self._port} is not connected: the link was "
                                        f"lost {monotonic() - lost_at:.1f} s ago (transaction not sent; the client "
                                        "reconnects by itself)")
            self._unsent += 1
            return
        tid = transaction._id
        ttype = transaction._type
        parts = self._core.request(transaction)  # registered as in flight before the send
        if ttype != _POST:
            transaction._waiter = self._lead  # the master's wait receives the response itself
        with self._send_lock:
            push = self._push
            if push is None:
                self._core.forget(tid)
                transaction._complete(None, f"{self._name}: the client is stopped")
                return
            # Would block with no server (IMMEDIATE): fail, never block the caller. A connected server that
            # is behind (a burst of more requests than the high-water mark): wait for room, bounded.
            sent = send_parts(push, parts) or (
                self._push_peers.peers > 0 and self._send_when_writable(push, parts, transaction._timeout))
            self._sent += sent
        if not sent:
            # Not registered any more: the master's timeout ends it, as in Rogue.
            self._core.forget(tid)
            self._unsent += 1
            self._notsent.warn(f"transaction {tid}: server at {self._addr}:{self._port} not connected")
            return
        if ttype == _POST:
            transaction._complete(None, "")
        log = self._log
        if log.isEnabledFor(_DEBUG):
            log.debug("Requested transaction id=%d type=%d address=0x%x size=%d",
                      tid, ttype, transaction._address, transaction._size)

    def _send_when_writable(self, push: Socket, parts: list[w.Part], timeout: float) -> bool:
        """Back-pressure from a connected server: wait up to ``timeout`` s for room, then send (send lock held)."""
        end = monotonic() + timeout
        while self._running:
            remaining = end - monotonic()
            if remaining <= 0:
                return False
            if push.poll(min(_POLL_MS, int(remaining * 1000) + 1), zmq.POLLOUT) and send_parts(push, parts):
                return True
        return False

    # -- readiness probe -----------------------------------------------------------------------------
    def waitReady(self, timeout: float = 10.0, period: float = 0.1) -> bool:
        """Probe the server every ``period`` s until it answers (True) or ``timeout`` s pass (False).

        Waits on an event, so other Python threads keep running meanwhile.
        """
        end = monotonic() + timeout
        ready = self._ready
        while self._running:
            refusal = self._admission.refusal
            if refusal:
                self._log.warning("%s", refusal)
                return False
            pid = next(self._probe_ids) & 0xFFFFFFFF
            ready.clear()
            with self._send_lock:
                push = self._push
                if push is None:
                    break
                # Not sent: not connected yet, try again next period.
                if send_parts(push, self._core.probe(pid)) and self._log.isEnabledFor(_DEBUG):
                    self._log.debug("Sent probe id=%d", pid)
            remaining = end - monotonic()
            if ready.wait(max(0.0, min(period, remaining))):
                if self._admission.refusal:  # set by the receive thread on refusal
                    continue
                return self._running  # stop() sets the event too
            if monotonic() >= end:
                break
        self._log.warning("server at %s:%d did not answer the readiness probe within %.1f s",
                          self._addr, self._port, timeout)
        return False

    def _start(self) -> None:
        """Start hook (as in Rogue): with ``waitReady=True``, wait for the server or raise GeneralError."""
        if self._wait_ready and not self.waitReady():
            raise GeneralError(self._name, f"memory server at {self._addr}:{self._port} is not answering")

    # -- receiving (the receive thread, or a waiting master: see _leader_follower) ---------------------
    def _rx_loop(self) -> None:
        """Receive thread: responses nobody waits for in person, monitor events, retries, pruning."""
        reader, core, admission = self._reader, self._core, self._admission
        next_prune = monotonic() + _PRUNE_S

        def housekeeping() -> None:
            nonlocal next_prune
            now = monotonic()
            if admission.tick(now) is Action.RETRY:
                self._reconnect()
            if now >= next_prune:
                next_prune = now + _PRUNE_S
                core.prune(now)
                self._notsent.tick()

        def step() -> None:
            # A refused client asks again within RETRY_S: look at the clock more often then.
            reader.follow(_POLL_MS if admission.refusal else _IDLE_MS, housekeeping)

        def finish() -> None:
            with reader.lock:  # a master receiving in person notices the stop within one poll period
                # Monitors stop before their sockets close: libzmq's I/O thread blocks on a monitor whose
                # reader is gone.
                with self._send_lock:
                    if self._push is not None:
                        self._push.disable_monitor()
                self._pull.disable_monitor()
                close_all(self._pull, self._pull_mon, self._push_mon)
            self._guard.close()
            self._link.set(False, running=False)

        run_io_loop(self, self._log, step, finish)

    def _service(self, timeout_ms: int) -> None:
        """Poll the response socket and the monitors, handle what is there (the reader's lock held)."""
        ready = poll_items(self._poll_items, timeout_ms)
        pull, pull_mon, push_mon = self._pull, self._pull_mon, self._push_mon
        if ready and not self._link.connected:
            # Link state first while it is not known up: a response proves its connection's handshake,
            # whose monitor events come before the data, and a caller woken by the response (a probe:
            # waitReady) must find the link up, not fail its next transaction as "link lost".
            if self._response_mon.drain(self._on_response_event) | self._request_mon.drain(self._on_request_event):
                self._link.update(self._running)
        for sock, _ in ready:
            if sock is pull:
                now = monotonic()
                self._loss.heard(now)
                if self._core.receive(waiting_messages(pull, _BATCH, self._inflight), now):
                    self._ready.set()
            elif sock is pull_mon:
                if self._response_mon.drain(self._on_response_event):
                    self._link.update(self._running)
            elif sock is push_mon:
                if self._request_mon.drain(self._on_request_event):
                    self._link.update(self._running)

    def _lead_receive(self, timeout_ms: int) -> None:
        """A waiting master's turn on the response socket (the reader's lock held): wait for responses.

        While the link is up, a blocking receive on the response socket alone
        (up to ``RCVTIMEO``, ``_POLL_MS``), as a plain pyzmq client waits:
        polling the two monitors as well costs ~12 system calls per round trip
        instead of ~5 (``zmq_poll`` asks every socket for its events before and
        after sleeping; measured with ``strace -c``). Every ``_LOOK_S`` s, while
        the link is not known up, and for a wait shorter than ``_POLL_MS``, it
        is :meth:`_service` instead, which follows the monitors too.
        """
        now = monotonic()
        if timeout_ms < _POLL_MS or not self._link.connected or now >= self._look_at:
            self._look_at = now + _LOOK_S
            self._service(timeout_ms)
            return
        pull = self._pull
        try:
            first = recv_parts(pull, 0)
        except zmq.Again:  # RCVTIMEO passed: the caller looks at its deadline and the stop flag
            return
        now = monotonic()
        self._loss.heard(now)
        core = self._core
        probed = core.receive((first,), now)
        # A sequential master's response is the only one: nothing is in flight once it is handled.
        if self._inflight and core.receive(waiting_messages(pull, _BATCH, self._inflight, look_first=True), now):
            probed = True
        if probed:
            self._ready.set()

    # -- admission: the state machine is _client_admission.Admission; this does what it says ------------
    def _on_event(self, port: Port, event: int, value: int) -> None:
        """A monitor event of the request or response socket, translated for the admission state machine."""
        if event == _CONNECTED:
            link_event: LinkEvent | None = LinkEvent.CONNECTED
        elif event == _DISCONNECTED:
            link_event = LinkEvent.DISCONNECTED
        else:
            link_event = _OUTCOMES.get(handshake_result(event, value))
        if link_event is None:
            return
        action = self._admission.event(port, link_event, monotonic())
        if action is Action.CONNECT_RESPONSE:
            self._pull.connect(self._pull_url)
        elif action is Action.REFUSED:
            self._refused()

    def _refused(self) -> None:
        """Fail what is in flight with the refusal text and let go of both ports (another client may use them)."""
        text = self._admission.refusal
        warning = self._admission.warning()  # once per refusal, not once per retry
        if warning:
            self._log.warning("%s; will ask again", warning)
        with self._send_lock:
            for sock, url in ((self._push, self._push_url), (self._pull, self._pull_url)):
                if sock is not None:
                    try:
                        sock.disconnect(url)
                    except zmq.ZMQError:
                        pass  # not connected, or libzmq already dropped the refused connection
        self._core.fail_all(text)
        self._ready.set()  # a waitReady in progress returns False

    def _reconnect(self) -> None:
        """Ask the server again (libzmq never retries a refused connection by itself)."""
        with self._send_lock:
            if self._push is not None:
                self._push.connect(self._push_url)
        if self._many:  # no pairing to protect: both at once
            self._pull.connect(self._pull_url)

    # -- link state and counters -------------------------------------------------------------------------
    def getRefusal(self) -> str:
        """Why the server refused this client (e.g. "... already serves another client"); "" when it did not."""
        return self._admission.refusal

    def stats(self) -> dict[str, int | bool]:
        """All counters and the link state in one dict (for monitoring)."""
        return {
            "connected": self._link.connected,
            "sent": self._sent,
            **self._core.counters(),
            "unsent": self._unsent,
            "linkLosses": self._loss.losses,
        }

    # -- lifecycle -------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the client and release its thread and sockets (idempotent, within about 0.1 s).

        Transactions still in flight fail at once with a "stopped" error.
        Requests already handed to ZeroMQ (a Post is done once it is) keep
        draining to a connected server in the background for up to 2 s.
        """
        if not self._begin_stop():
            return
        self._ready.set()  # a waitReady in progress returns (False: not running)
        self._reader.wake()
        with self._send_lock:
            if self._push is not None:
                # Its monitor's MONITOR_STOPPED wakes the receive thread's poll now (not within 0.1 s);
                # disabled before the thread closes the monitor socket, as it must be.
                self._push.disable_monitor()
        if self._rx is not threading.current_thread():
            self._rx.join(1.0)
        with self._send_lock:
            push, self._push = self._push, None
        if push is not None:
            push.close(linger=_FLUSH_MS)
        self._core.fail_all(f"{self._name}: the client stopped")
        self._log.debug("Stopped")
