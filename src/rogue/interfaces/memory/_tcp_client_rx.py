"""Receiving half of the memory ``TcpClient``: who reads the response socket, and what a response does.

Whoever holds ``_rx_lock`` uses the response socket: the client's receive
thread, or a master waiting for its transaction, which then receives in its
own thread (``Transaction._waiter`` hook, leader/follower), so a round trip
wakes no second thread. Responses are matched to in-flight transactions by
id and checked as ``docs/wire.md`` says for the reference client.

:class:`ClientReceiver` is a mixin of ``TcpClient``; it uses the client's
sockets, locks, in-flight table, counters and admission callbacks.
"""

from __future__ import annotations

import logging
from time import monotonic
from typing import TYPE_CHECKING

import zmq

from . import _wire as w
from ._tcp_sockets import close_all, drain_events, waiting_messages
from .transaction import Transaction

if TYPE_CHECKING:
    import threading

    from ..._heartbeat import LinkLoss
    from ._tcp_guard import ClientLink
    from ._tcp_sockets import PeerTracker, WarnLimiter

__all__ = ["ClientReceiver"]

_POLL_MS = 100  # how often a busy or refused receive loop looks around
# How long the idle receive loop sleeps: stop() wakes it at once (disabling the
# request socket's monitor posts MONITOR_STOPPED to a monitor it polls). A wake-up
# per 0.1 s in each of 2 000 bridges starved their process of the GIL (measured).
_IDLE_MS = 1000
_BATCH = 256  # responses handled per loop pass before looking at the monitors
_PRUNE_S = 1.0  # how often in-flight transactions that timed out are forgotten
_LEAD_GRACE_S = 0.05  # the receive thread keeps off the response socket this long after a master received
_DEBUG = logging.DEBUG
_WRITE, _POST, _PROBE = w.WRITE, w.POST, w.PROBE
_SIZE_TEXT = "Received transaction response did not match header size"  # the reference client's text


class ClientReceiver:
    """The receive thread, the waiting masters' own receiving, and response matching (mixin of ``TcpClient``)."""

    # Provided by TcpClient.
    _pull: zmq.Socket
    _pull_mon: zmq.Socket
    _push_mon: zmq.Socket
    _push: zmq.Socket | None
    _poller: zmq.Poller
    _rx_lock: "threading.Lock"
    _send_lock: "threading.Lock"
    _kick: "threading.Event"
    _ready: "threading.Event"
    _lead_until: float
    _want: bool
    _running: bool
    _connected: bool
    _inflight: dict[int, Transaction]
    _link: "ClientLink"
    _pull_peers: "PeerTracker"
    _push_peers: "PeerTracker"
    _bad: "WarnLimiter"
    _notsent: "WarnLimiter"
    _loss: "LinkLoss"
    _log: logging.Logger
    _name: str
    _probe_id: int
    _completed: int
    _failed: int
    _timed_out: int
    _malformed: int
    _unknown: int
    # Also TcpClient's: _on_push_event, _on_pull_event, _update_link, _reconnect (admission, link state).

    def _rx_loop(self) -> None:
        """Receive thread: responses nobody waits for in person, monitor events, pruning.

        While masters receive their own responses (:meth:`_lead`), it keeps off the
        response socket; it takes over ``_LEAD_GRACE_S`` after the last one, or at
        once when one leaves with transactions still in flight.
        """
        pull, pull_mon, push_mon = self._pull, self._pull_mon, self._push_mon
        poll = self._poller.poll
        rx_lock = self._rx_lock
        kick = self._kick
        next_prune = monotonic() + _PRUNE_S
        try:
            while self._running:
                try:
                    if self._want and not self._inflight:
                        # Masters are waiting in person and nothing is outstanding: let them receive.
                        self._want = False
                        self._lead_until = monotonic() + _LEAD_GRACE_S
                    if monotonic() < self._lead_until:
                        if kick.wait(_LEAD_GRACE_S):
                            kick.clear()
                        continue
                    if not rx_lock.acquire(True, _POLL_MS / 1000):
                        continue
                    try:
                        if self._running:
                            # A refused client asks again within RETRY_S: look at the clock more often then.
                            idle = _POLL_MS if self._link.refusal else _IDLE_MS
                            self._service(poll(idle), pull, pull_mon, push_mon)
                            now = monotonic()
                            if self._link.retry_due(now):
                                self._reconnect()
                            if now >= next_prune:
                                next_prune = now + _PRUNE_S
                                self._prune()
                                self._bad.tick()
                                self._notsent.tick()
                    finally:
                        rx_lock.release()
                except zmq.ContextTerminated:
                    break
                except Exception:  # noqa: BLE001 - the receive thread must outlive anything
                    self._log.exception("receive loop error (continuing)")
        finally:
            with rx_lock:  # a master receiving in person notices the stop within one poll period
                # Monitors stop before their sockets close: libzmq's I/O thread blocks on a monitor whose
                # reader is gone.
                with self._send_lock:
                    if self._push is not None:
                        self._push.disable_monitor()
                pull.disable_monitor()
                close_all(pull, pull_mon, push_mon)
            self._connected = False

    def _service(self, ready: list, pull: zmq.Socket, pull_mon: zmq.Socket, push_mon: zmq.Socket) -> None:
        """Handle what a poll of the response socket and the monitors found (``_rx_lock`` held)."""
        if ready and not self._connected:
            # Link state first while it is not known up: a response proves its connection's handshake,
            # whose monitor events come before the data, and a caller woken by the response (a probe:
            # waitReady) must find the link up, not fail its next transaction as "link lost".
            if drain_events(pull_mon, self._pull_peers, self._log, "pull", self._on_pull_event) | \
                    drain_events(push_mon, self._push_peers, self._log, "push", self._on_push_event):
                self._update_link()
        for sock, _ in ready:
            if sock is pull:
                self._drain(pull)
            elif sock is pull_mon:
                if drain_events(pull_mon, self._pull_peers, self._log, "pull", self._on_pull_event):
                    self._update_link()
            elif sock is push_mon:
                if drain_events(push_mon, self._push_peers, self._log, "push", self._on_push_event):
                    self._update_link()

    def _lead(self, tran: Transaction, deadline: float) -> None:
        """``Transaction._waiter`` hook: receive in the waiting master's own thread.

        Saves waking the receive thread and then the master on every round trip
        (leader/follower). One thread at a time uses the response socket. If it
        is busy, this returns and the master sleeps as usual: the holder (the
        receive thread, or a master that hands over to it when leaving with
        transactions in flight) completes the transaction. The receive thread
        steps aside only while nothing is in flight, so no response is left
        without a reader.
        """
        rx_lock = self._rx_lock
        if not rx_lock.acquire(False):
            self._want = True
            return
        try:
            poll = self._poller.poll
            pull, pull_mon, push_mon = self._pull, self._pull_mon, self._push_mon
            while self._running and not tran.expired():
                remaining = deadline - monotonic()
                if remaining <= 0:
                    break
                self._service(poll(min(_POLL_MS, int(remaining * 1000) + 1)), pull, pull_mon, push_mon)
        finally:
            rx_lock.release()
        # After the release: a transaction registered before this check is seen here (then the
        # receive thread takes over), one registered after it finds the socket free and leads.
        if self._inflight:
            self._lead_until = 0.0
            self._kick.set()
        else:
            self._lead_until = monotonic() + _LEAD_GRACE_S

    def _drain(self, pull: zmq.Socket) -> None:
        """Handle up to ``_BATCH`` waiting responses without blocking."""
        decode = w.decode_response
        inflight = self._inflight
        self._loss.heard()
        for parts in waiting_messages(pull, _BATCH):
            try:
                resp = decode(parts)
            except w.WireError as exc:
                self._malformed += 1
                self._bad.warn(exc.reason)
                continue
            ttype = resp.type
            if ttype == _PROBE:
                self._probe_response(resp)
                continue
            tran = inflight.pop(resp.id, None)
            if tran is None:
                if ttype != _POST:  # the server answers posts too; they completed already
                    self._unknown += 1
                    self._bad.warn(f"no transaction in flight with id {resp.id}")
                continue
            if tran.expired():
                self._timed_out += 1
                self._bad.warn(f"transaction {resp.id} already expired")
                continue
            if resp.address != tran._address or resp.size != tran._size or ttype != tran._type:
                self._failed += 1
                self._bad.warn(f"response to transaction {resp.id} has address 0x{resp.address:x} size {resp.size} "
                               f"type {ttype}, expected 0x{tran._address:x}, {tran._size}, {tran._type}")
                tran._complete(None, f"{self._name}: response header does not match transaction {resp.id}")
                continue
            data = resp.data
            if ttype != _WRITE and len(data) != resp.size:
                self._failed += 1
                self._bad.warn(f"response to transaction {resp.id} has {len(data)} data bytes for size {resp.size}")
                tran._complete(None, _SIZE_TEXT)
                continue
            if resp.result == "OK":
                took = tran._complete(None if ttype == _WRITE else data, "")
                self._completed += took
            else:
                with tran.lock():  # the master's timeout takes this lock: no copy into a released buffer
                    view = tran._view
                    if ttype != _WRITE and view is not None and not tran.expired():
                        view[:] = data
                    took = tran._complete(None, resp.result)
                self._failed += took
            if not took:
                self._timed_out += 1
            if self._log.isEnabledFor(_DEBUG):
                self._log.debug("Response id=%d: %s", resp.id, resp.result)

    def _probe_response(self, resp: w.Response) -> None:
        # Any probe this client sent counts (ids rise from 1): a busy server answering an
        # earlier probe after the next one went out is ready all the same, not "unknown".
        if 0 < resp.id <= self._probe_id and resp.result == "OK" and resp.size == 0 and len(resp.data) == 0:
            if self._log.isEnabledFor(_DEBUG):
                self._log.debug("Probe id=%d answered", resp.id)
            self._ready.set()
        else:
            self._unknown += 1
            self._bad.warn(f"probe response id {resp.id} ({resp.result}) does not match the probe in flight "
                           f"(id {self._probe_id})")

    def _prune(self) -> None:
        """Forget in-flight transactions that expired without a response."""
        inflight = self._inflight
        for tid, tran in list(inflight.items()):
            if tran.expired() and inflight.pop(tid, None) is not None:
                self._timed_out += 1
