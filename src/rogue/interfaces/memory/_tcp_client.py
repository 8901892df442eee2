"""Memory ``TcpClient``: forwards a local memory bus's transactions to a remote ``TcpServer``.

The sender is whichever master thread calls ``_doTransaction`` (sends are
serialized by a lock: a ZeroMQ socket is not thread-safe). It registers the
transaction as in flight, then sends without blocking; many transactions may
be in flight at once (pipelining). Responses are received by a master
waiting for its transaction, in its own thread, or else by the client's
receive thread, which also follows both sockets' monitor events (link state)
and forgets transactions that timed out: see ``_tcp_client_rx``.
"""

from __future__ import annotations

import itertools
import logging
import threading
from time import monotonic
from typing import Any

import zmq

from ..._errors import GeneralError
from ..._heartbeat import DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Heartbeat, LinkLoss
from ..._logging import Logging
from ..._security import BridgeSecurity
from ..._zmq import StopAliases, register_closer, tcp_url
from . import _wire as w
from ._tcp_client_rx import ClientReceiver
from ._tcp_guard import ClientLink, new_route
from ._tcp_sockets import PeerTracker, WarnLimiter, close_all, open_socket, send_parts
from .slave import Slave
from .transaction import Transaction

__all__ = ["TcpClient"]

_POLL_MS = 100  # how often a wait for room to send looks at the stop flag
_FLUSH_MS = 2000  # how long requests sent before close() (posts: already reported done) keep draining
_HAS_WAITER = "_waiter" in getattr(Transaction, "__slots__", ())  # Transaction offers the waiter hook
_DEBUG = logging.DEBUG
_WRITE, _POST = w.WRITE, w.POST
_request_parts = w.request_parts


class TcpClient(StopAliases, ClientReceiver, Slave):
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
                 clientSecretKey: Any = None, serverPublicKey: Any = None,
                 heartbeatInterval: float = DEFAULT_INTERVAL, heartbeatTimeout: float = DEFAULT_TIMEOUT) -> None:
        super().__init__(4, 0xFFFFFFFF)
        self._addr = str(addr)
        self._port = int(port)
        self._name = f"TcpClient.{self._addr}.{self._port}"
        self._log = Logging.create(f"memory.{self._name}")
        self._wait_ready = bool(waitReady)
        self._hb = Heartbeat.checked(self._name, heartbeatInterval, heartbeatTimeout)
        self._loss = LinkLoss(self._log, self._hb, f"the memory server at {self._addr}:{self._port}")
        self._inflight: dict[int, Transaction] = {}
        self._send_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._probe_ids = itertools.count(1)
        self._probe_id = 0
        self._ready = threading.Event()
        self._sent = self._completed = self._failed = self._timed_out = 0
        self._malformed = self._unknown = self._unsent = 0
        self._connected = False
        self._running = False
        self._closed = False
        self._bad = WarnLimiter(self._log, "dropped response")
        self._notsent = WarnLimiter(self._log, "request not sent")
        self._many = bool(manyClients)
        self._route = new_route() if self._many else b""
        self._link = ClientLink(self._addr, self._port, self._many)
        self._link.response_connected = self._many  # many clients: no pairing to protect, connect both now
        self._warned = ""  # the refusal text last warned about
        self._push_url = tcp_url(self._addr, self._port)
        self._pull_url = tcp_url(self._addr, self._port + 1)

        security = BridgeSecurity.for_client(self._name, clientSecretKey=clientSecretKey, serverPublicKey=serverPublicKey)

        def prepare(sock: zmq.Socket) -> None:
            security.apply_curve(sock)
            if sock.type == zmq.DEALER:
                sock.setsockopt(zmq.ROUTING_ID, self._route)

        self._push, self._push_mon = open_socket(zmq.PUSH, self._push_url, False, self._name,
                                                 self._addr, self._port, self._log, prepare, heartbeat=self._hb)
        try:
            self._pull, self._pull_mon = open_socket(zmq.DEALER if self._many else zmq.PULL, self._pull_url, False,
                                                     self._name, self._addr, self._port, self._log, prepare,
                                                     connect=self._many, heartbeat=self._hb)
        except Exception:
            close_all(self._push, self._push_mon)
            raise
        self._push_peers = PeerTracker()
        self._pull_peers = PeerTracker()
        # The response socket is used by whoever holds _rx_lock: the receive thread, or a master
        # waiting for its transaction, which then receives in its own thread (see _lead).
        self._rx_lock = threading.Lock()
        self._lead_until = 0.0  # masters receive for themselves: the receive thread keeps off until then
        self._want = False  # a master found the socket busy: the receive thread steps aside when idle
        self._kick = threading.Event()  # a leaving master hands the socket back to the receive thread at once
        self._poller = zmq.Poller()
        for sock in (self._pull, self._pull_mon, self._push_mon):
            self._poller.register(sock, zmq.POLLIN)
        self._running = True
        self._rx = threading.Thread(target=self._rx_loop, name=f"rogue-bridge:{self._name}:rx", daemon=True)
        self._rx.start()
        register_closer(self)

    # -- sending (the hot path) -------------------------------------------------------------------
    def _doTransaction(self, transaction: Transaction) -> None:
        """Send ``transaction`` to the server; its response completes it later (Post: at once)."""
        refusal = self._link.refusal
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
        parts = _request_parts(tid, transaction._address, transaction._size, ttype & 0xFFFFFFFF,
                               transaction._data() if ttype == _WRITE or ttype == _POST else None)
        if self._many:
            parts.insert(0, self._route)
        if ttype != _POST:
            self._inflight[tid] = transaction  # before the send: a fast response must find it
            if _HAS_WAITER:
                transaction._waiter = self._lead  # the master's wait receives the response itself
        with self._send_lock:
            push = self._push
            if push is None:
                self._inflight.pop(tid, None)
                transaction._complete(None, f"{self._name}: the client is stopped")
                return
            try:
                send_parts(push, parts)
                sent = True
            except zmq.Again:
                # No server (IMMEDIATE): fail, never block the caller. A connected server that is
                # behind (a burst of more requests than the high-water mark): wait for room, bounded.
                sent = self._push_peers.peers > 0 and self._send_when_writable(push, parts, transaction._timeout)
            self._sent += sent
        if not sent:
            # Not registered any more: the master's timeout ends it, as in Rogue.
            self._inflight.pop(tid, None)
            self._unsent += 1
            self._notsent.warn(f"transaction {tid}: server at {self._addr}:{self._port} not connected")
            return
        if ttype == _POST:
            transaction._complete(None, "")
        log = self._log
        if log.isEnabledFor(_DEBUG):
            log.debug("Requested transaction id=%d type=%d address=0x%x size=%d",
                      tid, ttype, transaction._address, transaction._size)

    def _send_when_writable(self, push: zmq.Socket, parts: list[Any], timeout: float) -> bool:
        """Back-pressure from a connected server: wait up to ``timeout`` s for room, then send (send lock held)."""
        end = monotonic() + timeout
        while self._running:
            remaining = end - monotonic()
            if remaining <= 0:
                return False
            if push.poll(min(_POLL_MS, int(remaining * 1000) + 1), zmq.POLLOUT):
                try:
                    send_parts(push, parts)
                    return True
                except zmq.Again:
                    continue
        return False

    # -- readiness probe -----------------------------------------------------------------------------
    def waitReady(self, timeout: float = 10.0, period: float = 0.1) -> bool:
        """Probe the server every ``period`` s until it answers (True) or ``timeout`` s pass (False).

        Waits on an event, so other Python threads keep running meanwhile.
        """
        end = monotonic() + timeout
        ready = self._ready
        while self._running:
            if self._link.refusal:
                self._log.warning("%s", self._link.refusal)
                return False
            pid = next(self._probe_ids) & 0xFFFFFFFF
            ready.clear()
            self._probe_id = pid
            with self._send_lock:
                push = self._push
                if push is None:
                    break
                try:
                    probe = w.probe_request(pid)
                    send_parts(push, [self._route, *probe] if self._many else probe)
                    if self._log.isEnabledFor(_DEBUG):
                        self._log.debug("Sent probe id=%d", pid)
                except zmq.Again:
                    pass  # not connected yet: try again next period
            remaining = end - monotonic()
            if ready.wait(max(0.0, min(period, remaining))):
                if self._link.refusal:  # set by the receive thread on refusal
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

    # -- receiving ----------------------------------------------------------------------------------------
    # -- admission (receive thread): see _tcp_guard.ClientLink ------------------------------------------
    def _on_push_event(self, event: int, value: int) -> None:
        action = self._link.event("request", event, value)
        if action == "connect_response":
            self._pull.connect(self._pull_url)
            self._link.response_connected = True
        elif action == "refused":
            self._refused()

    def _on_pull_event(self, event: int, value: int) -> None:
        if self._link.event("response", event, value) == "refused":
            self._refused()
        elif not self._link.refusal:
            self._warned = ""

    def _refused(self) -> None:
        """Fail what is in flight with the refusal text and let go of both ports (another client may use them)."""
        text = self._link.refusal
        if text != self._warned:  # once per refusal, not once per retry
            self._warned = text
            self._log.warning("%s; will ask again", text)
        with self._send_lock:
            for sock, url in ((self._push, self._push_url), (self._pull, self._pull_url)):
                if sock is not None:
                    try:
                        sock.disconnect(url)
                    except zmq.ZMQError:
                        pass  # not connected, or libzmq already dropped the refused connection
        self._link.response_connected = False
        self._fail_inflight(text)
        self._ready.set()  # a waitReady in progress returns False

    def _fail_inflight(self, text: str) -> None:
        """Complete every transaction in flight with the error ``text`` (safe against concurrent pops)."""
        inflight = self._inflight
        while inflight:
            try:
                tran = inflight.popitem()[1]
            except KeyError:
                break
            tran._complete(None, text)

    def _reconnect(self) -> None:
        """Ask the server again (libzmq never retries a refused connection by itself)."""
        with self._send_lock:
            if self._push is not None:
                self._push.connect(self._push_url)
        if self._many:  # no pairing to protect: both at once
            self._pull.connect(self._pull_url)
            self._link.response_connected = True

    def _update_link(self) -> None:
        up = self._pull_peers.peers > 0 and self._push_peers.peers > 0
        if up != self._connected:
            self._connected = up
            self._log.info("server %s:%d %s", self._addr, self._port, "connected" if up else "disconnected")
            if self._running and self._loss.up(up):  # lost in silence: drop the request connections too
                self._hb.drop(self._push_peers.fds, self._port, False)

    # -- link state and counters -------------------------------------------------------------------------
    def isConnected(self) -> bool:
        """True while the server is connected on both ports (from ZeroMQ socket events)."""
        return self._connected

    def getRefusal(self) -> str:
        """Why the server refused this client (e.g. "... already serves another client"); "" when it did not."""
        return self._link.refusal

    def stats(self) -> dict[str, Any]:
        """All counters and the link state in one dict (for monitoring)."""
        return {
            "connected": self._connected,
            "inFlight": len(self._inflight),
            "sent": self._sent,
            "completed": self._completed,
            "failed": self._failed,
            "timedOut": self._timed_out,
            "malformed": self._malformed,
            "unknown": self._unknown,
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
        self._kick.set()
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
        self._fail_inflight(f"{self._name}: the client stopped")
        self._log.debug("Stopped")
