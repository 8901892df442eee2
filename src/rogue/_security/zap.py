"""One ZAP handler for the process: who may connect to a bridge server socket.

libzmq consults one ZAP handler per ZeroMQ context (a REP socket bound at
``inproc://zeromq.zap.01``) during the handshake of every socket that has a ZAP
domain or is a CURVE server. rogue-bridge shares one context per process
(:func:`rogue._transport.context`), so this module runs one service for all of its
sockets: :func:`guard` gives a server socket its own ZAP domain and a
:class:`~.zap_policy.Policy` from the bridge's already checked
:class:`~.options.BridgeSecurity` (:func:`register` does the same from
raw options), and the service answers each ZAP request with that policy's
decision (:meth:`~.zap_policy.Policy.admit`). The service is its own REP loop; requests and
replies are the pure functions of :mod:`.zap_protocol`. Its thread starts
with the first policy and ends with the last.

Decisions, in this order: the IP allow-list; the mechanism (a CURVE server
admits only CURVE clients whose public key is listed, a plain socket only NULL
clients); for an exclusive socket, one client at a time. A refused peer gets a
ZMTP ERROR and nothing else; its monitor reports ``EVENT_HANDSHAKE_FAILED_AUTH``
with 400 (address or key not allowed) or 500 (busy: another client is served;
ZAP's 300 "try later" cannot be used, as libzmq then leaves the connection
hanging without a word). libzmq does not reconnect a refused peer by itself.

Exclusive sockets. ZAP names the peer's IP, not its port, nor which TCP
connection asks; the socket's monitor names connections by file descriptor
(ACCEPTED/DISCONNECTED) but not which one a handshake belongs to. So when a
client is admitted, the policy records every connection open at that moment
(the admitted one is among them: libzmq emits ACCEPTED before that connection
can ask, and the service reads the monitor before each decision), and the
socket serves a client until all of those have closed. Refused connections
close at once, so the socket is free again as soon as its client leaves; the
bridges' link checking (``rogue._transport.heartbeat``) notices a client whose host vanished.

A :class:`~.zap_policy.PeerGroup` ties together the sockets one client uses (a memory
server's PULL at P and PUSH at P+1): no socket of the group admits a client
from another IP than the one another socket of the group serves. Two clients
on one host cannot be told apart that way. rogue-bridge's ``TcpClient``
connects its request socket first and its response socket only after that
handshake succeeded, so it never holds one socket of the pair without the
other; a C++ Rogue client connects both at once, and two of them starting at
the same instant on one host may each win one socket (both then time out).

Keys are never logged, and no request's credentials appear in a message.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
from collections.abc import Iterable

import zmq

from .._errors import GeneralError
from .._logging import Logging
from .._transport import (
    LINK_EVENTS,
    EventQueue,
    Socket,
    Waker,
    monitor_reader,
    open_inproc,
    poll_items,
    recv_parts,
    waiting_events,
    zmtp_heartbeat,
)
from .keys import KeySpec, ServerCurve
from .options import BridgeSecurity
from .zap_policy import PeerGroup, Policy
from .zap_protocol import Request, answer, reply, request_id

__all__ = ["guard", "register"]

_log = Logging.create("zap")
_SRC = "rogue.zap"
_ZAP_ENDPOINT = "inproc://zeromq.zap.01"
_MON_EVENTS = zmq.EVENT_ACCEPTED | zmq.EVENT_DISCONNECTED | zmq.EVENT_MONITOR_STOPPED
_POLLIN = int(zmq.POLLIN)
_BATCH = 64  # ZAP requests answered between two looks at the monitors
HEARTBEAT_IVL_MS = 2000  # exclusive sockets PING their client this often ...
HEARTBEAT_TIMEOUT_MS = 10000  # ... and drop it after this long without any traffic
HANDSHAKE_IVL_MS = 5000  # an exclusive socket's handshake must finish within this
_ids = itertools.count(1)


class _Service:
    """The process's ZAP handler: a REP socket at the context's ZAP endpoint and the thread that answers it."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.policies: dict[bytes, Policy] = {}  # by ZAP domain; changed under _svc_lock
        self.zap_socket: Socket | None = None
        self._dirty = True
        self._stopping = False
        self._waker = Waker()
        self._thread = threading.Thread(target=self._run, name="rogue-bridge:zap:service", daemon=True)

    def start(self) -> None:
        """Bind the context's ZAP endpoint and start the service thread."""
        try:
            self.zap_socket = open_inproc(zmq.REP, _ZAP_ENDPOINT, bind=True, linger=1)
        except zmq.ZMQError as exc:
            self._waker.close()
            raise GeneralError(_SRC, f"cannot serve ZAP on the shared ZeroMQ context ({exc}): another handler is bound") from exc
        self._thread.start()

    def wake(self) -> None:
        """Make the thread look at the registry again."""
        self._dirty = True
        self._waker.wake()

    def stop(self) -> None:
        """Stop the thread and release the ZAP endpoint (the caller holds ``_svc_lock``)."""
        self._stopping = True
        self.wake()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        self._waker.close()
        zap, self.zap_socket = self.zap_socket, None
        if zap is not None:
            try:
                zap.unbind(_ZAP_ENDPOINT)  # at once, so a new service can bind
            except zmq.ZMQError:
                pass
            zap.close()

    # -- the thread ------------------------------------------------------------------
    def _run(self) -> None:
        zap = self.zap_socket
        assert zap is not None
        waker = self._waker
        # What zmq_poll watches: the ZAP socket, the waker, each exclusive socket's monitor reader.
        items: list[tuple[Socket | int, int]] = [(zap, _POLLIN), (waker.fd, _POLLIN)]
        watched: dict[Socket, Policy] = {}
        while not self._stopping:
            try:
                if self._dirty:
                    self._sync(items, watched)
                ready = {sock for sock, _ in poll_items(items, -1)}
                if waker.fd in ready:
                    waker.clear()
                for mon, pol in list(watched.items()):
                    if mon in ready:
                        self._drain(pol, items, watched)
                if zap in ready:
                    self._answer(zap, items, watched)
            except zmq.ContextTerminated:
                return
            except Exception:  # noqa: BLE001 - the service must outlive any one request
                _log.exception("ZAP service error (continuing)")

    def _sync(self, items: list[tuple[Socket | int, int]], watched: dict[Socket, Policy]) -> None:
        """Poll the monitors of newly registered exclusive sockets."""
        self._dirty = False
        for pol in list(self.policies.values()):
            mon = pol.monitor
            if mon is not None and mon not in watched:
                watched[mon] = pol
                items.append((mon, _POLLIN))

    def _drain(self, pol: Policy, items: list[tuple[Socket | int, int]], watched: dict[Socket, Policy]) -> None:
        """Apply every waiting monitor event of ``pol``'s socket."""
        mon = pol.monitor
        if mon is None:
            return
        events = pol.events
        for event, value, _, msg in waiting_events(mon):
            if events is not None:
                events.put(msg)
            if event == zmq.EVENT_ACCEPTED:
                pol.accepted(value)
            elif event == zmq.EVENT_DISCONNECTED:
                pol.disconnected(value)
            elif event == zmq.EVENT_MONITOR_STOPPED:
                watched.pop(mon, None)
                items.remove((mon, _POLLIN))
                pol.monitor_stopped()
                return

    def _answer(self, zap: Socket, items: list[tuple[Socket | int, int]], watched: dict[Socket, Policy]) -> None:
        """Answer the waiting ZAP requests (each gets exactly one reply: REP demands it)."""
        for _ in range(_BATCH):
            try:
                msg = recv_parts(zap)
            except zmq.Again:
                return
            if self._dirty:
                self._sync(items, watched)
            try:
                frames = answer(msg, lambda req: self._decide(req, items, watched))
            except Exception:  # noqa: BLE001
                _log.exception("ZAP decision failed; refusing the connection")
                frames = reply(request_id(msg), b"500", b"Internal error")
            if _log.isEnabledFor(logging.DEBUG):
                _log.debug("ZAP reply code=%s text=%s", frames[2].decode(), frames[3].decode())
            zap.send_multipart(frames)

    def _decide(self, req: Request, items: list[tuple[Socket | int, int]],
                watched: dict[Socket, Policy]) -> tuple[bytes, bytes]:
        """The decision of the policy of ``req``'s domain (an unknown domain is refused)."""
        pol = self.policies.get(req.domain)
        if pol is None:
            _log.debug("ZAP request for unknown domain %r refused", req.domain)
            return b"400", b"Unknown domain"
        if pol.exclusive:
            for member in pol.group.members:  # see every connection accepted so far
                self._drain(member, items, watched)
        return pol.admit(req.address.decode("ascii", "replace"), req.mechanism, req.credentials)


_svc_lock = threading.Lock()
_svc: _Service | None = None


def _release(svc: _Service, pol: Policy) -> None:
    """Drop ``pol`` from ``svc``; stop the service after its last policy."""
    global _svc
    with _svc_lock:
        if svc.policies.get(pol.domain) is pol:
            del svc.policies[pol.domain]
        if pol in pol.group.members:
            pol.group.members.remove(pol)
        if not svc.policies and svc is _svc:
            svc.stop()
            _svc = None


def register(
    sock: Socket,
    *,
    name: str,
    log: logging.Logger | None = None,
    group: PeerGroup | None = None,
    exclusive: bool = False,
    allow: str | Iterable[str] | None = None,
    server_secret_key: KeySpec | None = None,
    client_keys: KeySpec | Iterable[KeySpec] | None = None,
    heartbeat: bool | None = None,
    forward_events: bool = False,
) -> Policy:
    """Give the server socket ``sock`` an admission policy from raw options; call before ``bind``.

    ``exclusive``: one client at a time (per ``group``). ``allow``: IP addresses
    or networks (``'10.0.0.0/24'``) that may connect; others are refused.
    ``server_secret_key`` and ``client_keys`` make ``sock`` a CURVE server that
    admits only the listed client public keys (both are needed). The options
    are checked by :meth:`BridgeSecurity.for_server`; the rest is :func:`guard`.
    """
    security = BridgeSecurity.for_server(name, allow=allow, serverSecretKey=server_secret_key,
                                         allowedClientKeys=client_keys, exclusive=exclusive)
    return guard(sock, security, log=log, group=group, heartbeat=heartbeat, forward_events=forward_events)


def guard(
    sock: Socket,
    security: BridgeSecurity,
    *,
    name: str | None = None,
    log: logging.Logger | None = None,
    group: PeerGroup | None = None,
    heartbeat: bool | None = None,
    forward_events: bool = False,
) -> Policy:
    """Give the server socket ``sock`` the admission policy of ``security`` (already checked); call before ``bind``.

    ``name`` (default ``security.name``) names the socket in warnings (with
    ``log``, the bridge's logger); ``group``: the sockets one client uses
    together (default: this one alone). ``heartbeat`` (default: when
    exclusive) sets ZMTP heartbeats so a vanished client is noticed.
    ``forward_events``: an exclusive socket's monitor belongs to the service;
    every event is passed on to ``policy.events`` (an :class:`EventQueue`,
    read like a monitor socket; its ``notify`` wakes the reader; None
    otherwise). When ``security`` asks for nothing, the returned policy is
    inert and ``sock`` is unchanged.
    """
    global _svc
    if not security.server:
        raise GeneralError(_SRC, f"{security.name}: a client's security cannot guard a server socket")
    name = name or security.name
    exclusive = security.exclusive
    curve = security.curve
    keys = curve.clients if isinstance(curve, ServerCurve) else None
    group = group or PeerGroup(name, log)
    pol = Policy(sock, name, group, exclusive, security.allow, keys)
    if not security.enabled:
        return pol
    security.apply_curve(sock)
    # Exclusive: a connection that stalls mid-handshake holds the port until HANDSHAKE_IVL_MS (libzmq: 30 s).
    zmtp_heartbeat(sock, HEARTBEAT_IVL_MS if (heartbeat if heartbeat is not None else exclusive) else 0,
                   HEARTBEAT_TIMEOUT_MS, HANDSHAKE_IVL_MS if exclusive else None)
    domain = f"rogue-bridge.{os.getpid()}.{next(_ids)}".encode()
    sock.zap_domain = domain
    mon: Socket | None = None
    events: EventQueue | None = None
    if exclusive:
        mon = monitor_reader(sock, (LINK_EVENTS | _MON_EVENTS) if forward_events else _MON_EVENTS)
        if forward_events:
            events = EventQueue()
    with _svc_lock:
        if _svc is None or _svc.pid != os.getpid():
            new = _Service()
            new.start()
            _svc = new
        svc = _svc
        pol.attach(domain, svc, lambda p: _release(svc, p), mon, events)
        svc.policies[domain] = pol
        group.members.append(pol)
    svc.wake()
    return pol
