"""The stream bridge's ``TcpCore``: its sockets, the per-frame send and receive paths, its receive thread and ``stop()``.

``TcpServer`` and ``TcpClient`` (``tcp.py``) are ``TcpCore`` with the
direction fixed. Threads: the sender is whoever calls ``_acceptFrame`` (calls
are serialized by a lock, since a ZeroMQ socket is not thread-safe); one
receive thread per bridge reads the PULL socket and both sockets' monitor
events (link state).
"""

from __future__ import annotations

import logging
import threading
import time

import zmq

from ..._errors import GeneralError
from ..._security import AllowList, BridgeSecurity, KeySpec, KeySpecs, SocketGuard
from ..._transport import (
    BridgeEnd,
    DEFAULT_INTERVAL,
    DEFAULT_TIMEOUT,
    Listen,
    Monitor,
    MonitorSource,
    Part,
    PartlySent,
    Socket,
    ensure_released,
    listening_address,
    messages_keeping,
    open_pair,
    open_retrying,
    open_socket,
    register_closer,
    release_timeout,
    run_io_loop,
    send4,
    start_io_thread,
    tcp_url,
    wait_free,
)
from ..._warn_limiter import WarnLimiter
from ._attach_grace import ATTACH_GRACE_S, AttachGrace
from ._stats import StreamStats
from ._push_monitors import PushMonitors
from ._wire import WireError, decode, encode_header
from .frame import Frame
from .master import Master
from .slave import Slave

__all__ = ["ATTACH_GRACE_S", "TcpCore"]

_POLL_MS = 100  # how often a blocked sender looks at the stop flag
# How long an idle receive loop sleeps. stop() wakes it at once (disabling the PUSH
# monitor posts MONITOR_STOPPED to the monitor the loop polls), so this bounds only
# the summaries of rate-limited warnings. Each wake-up costs the GIL: 2 000 bridges
# polling every 0.1 s starved the rest of their process (creating 500 + 500 pairs
# took 55-90 s instead of 2.6 s, measured).
_IDLE_MS = 1000
_BATCH = 256  # messages received between two looks at the monitor sockets
_REBIND_S = 1.0  # how long a rebuilt server socket retries a port the old one still holds
_PAYLOAD = 3  # the part received as a zmq.Frame (zero-copy), the rest as bytes
_DEBUG = logging.DEBUG


class TcpCore(BridgeEnd, StreamStats, Master, Slave):
    """Carries a stream over TCP to a peer bridge (Rogue's ``TcpCore``).

    ``TcpCore(addr, port, server)``: a server binds ``addr`` (``'*'`` for all
    interfaces) on ports ``port`` and ``port + 1``; a client connects to them.
    Sending blocks while no peer is connected or the peer applies back-pressure;
    :meth:`stop` ends such a wait. ``flushTimeout`` (seconds) bounds how long
    frames already sent keep being delivered in the background after
    :meth:`close`.

    Beyond Rogue: :meth:`isConnected`, :meth:`waitReady` and the counters
    (:meth:`getTxFrameCount` ... :meth:`getLinkLossCount`, all in :meth:`stats`).
    ``heartbeatInterval`` and ``heartbeatTimeout`` (seconds, default 1 and 5;
    interval 0: off): a peer silent for the timeout (a pulled cable, a hung
    host) is declared lost, :meth:`isConnected` goes False with one warning,
    and the bridge reconnects by itself when the link returns (``rogue._transport.heartbeat``).

    Empty (0-byte) frames are legal and round-trip between rogue-bridge peers.
    C++ Rogue 6.15's receiver mis-parses them (and loses the frame after one),
    so do not send empty frames to a C++ Rogue peer.
    """

    def __init__(self, addr: str, port: int, server: bool, *, flushTimeout: float = 2.0,
                 allow: AllowList | None = None, serverSecretKey: KeySpec | None = None,
                 allowedClientKeys: KeySpecs | None = None, clientSecretKey: KeySpec | None = None,
                 serverPublicKey: KeySpec | None = None, heartbeatInterval: float = DEFAULT_INTERVAL,
                 heartbeatTimeout: float = DEFAULT_TIMEOUT) -> None:
        Master.__init__(self)
        Slave.__init__(self)
        self._server = server = bool(server)
        self._open_end(addr, port, f"TcpCore.{{addr}}.{'Server' if server else 'Client'}.{{port}}", "stream",
                       heartbeatInterval, heartbeatTimeout,
                       "the client of {url}" if server else "the server {url}", "far side")
        self._flush_ms = max(0, int(flushTimeout * 1000))
        base = self._port
        self._pull_url = tcp_url(self._addr, base if server else base + 1)
        self._push_url = tcp_url(self._addr, base + 1 if server else base)
        self._init_stats()
        self._created = time.monotonic()
        self._send_lock = threading.Lock()
        self._listen: dict[int, Listen] = {}  # a server's listening addresses, by socket type
        self._pull_closed = False

        # Opt-in CURVE / allow-list (README, "Security"); keys are checked here, before any socket.
        # Each side's check refuses the other side's options, naming them.
        if server:
            security = BridgeSecurity.for_server(self._name, allow=allow, serverSecretKey=serverSecretKey,
                                                 allowedClientKeys=allowedClientKeys, clientSecretKey=clientSecretKey,
                                                 serverPublicKey=serverPublicKey)
        else:
            security = BridgeSecurity.for_client(self._name, clientSecretKey=clientSecretKey,
                                                 serverPublicKey=serverPublicKey, allow=allow,
                                                 serverSecretKey=serverSecretKey, allowedClientKeys=allowedClientKeys)
        self._security = SocketGuard(security, self._log)

        def release(listening: list[Listen]) -> None:
            self._security.close()  # after the sockets: the policy forgets a closed socket
            wait_free(listening)

        self._pull: Socket | None
        self._push: Socket | None
        (self._pull, self._pull_mon), (self._push, push_mon) = open_pair(
            lambda: self._open(zmq.PULL, self._pull_url), lambda: self._open(zmq.PUSH, self._push_url), release)
        self._push_mons = PushMonitors(push_mon)
        self._pull_monitor = Monitor(self._pull_mon, "pull", self._log)
        self._push_monitor = Monitor(push_mon, "push", self._log)
        self._link.attach(self._pull_monitor, self._push_monitor, base + 1 if server else base, server,
                          client_of=(tcp_url(self._addr, base), base) if server else None)
        self._copy_threshold = self._push.copy_threshold
        self._bad = WarnLimiter(self._log, "dropped malformed message")
        self._slave_errors = WarnLimiter(self._log, "slave failed on a received frame", level=logging.ERROR)
        self._running = True
        self._rx = start_io_thread(self._name, "rx", self._rx_loop)
        register_closer(self)

    # -- sockets -------------------------------------------------------------------
    def _open(self, kind: int, url: str) -> tuple[Socket, MonitorSource]:
        """A configured PUSH or PULL socket bound (server) or connected (client) to ``url``, and its monitor.

        A PUSH socket queues nothing for a peer that is not there: sends block
        instead (``docs/wire.md``); PULL receives time out after ``_POLL_MS``.
        """
        # Opt-in CURVE / allow-list first; the monitor is attached before bind/connect (rogue._transport).
        sock, mon = open_socket(kind, url, self._server, self._name, self._addr, self._port, self._log,
                                self._security.prepare, heartbeat=self._hb,
                                rcvtimeo=None if kind == zmq.PUSH else _POLL_MS)
        if self._server:
            where = listening_address(sock)
            if where is not None:
                self._listen[kind] = where
        return sock, mon

    def _rebuild_push(self) -> None:
        """Replace the PUSH socket after a part-way failed send (the next message starts clean)."""
        self._rebuilds += 1
        self._log.warning("multipart send failed part-way; rebuilding the push socket %s", self._push_url)
        old = self._push
        assert old is not None
        old.disable_monitor()  # before its monitor socket may be closed (see _rx_loop)
        old.close(linger=0)
        self._push = None
        try:
            push, mon = open_retrying(lambda: self._open(zmq.PUSH, self._push_url), lambda: self._running, _REBIND_S)
        except GeneralError as exc:
            self._log.error("%s", exc)
            raise
        self._push = push
        self._push_mons.offer(mon)  # the rx thread polls it from its next turn

    # -- sending (the hot path) ----------------------------------------------------------
    def _acceptFrame(self, frame: Frame) -> None:
        """Send ``frame`` to the far side; blocks while no peer or back-pressure, until :meth:`stop`."""
        if not self._running:
            self._drop(frame)
            return
        h0, h1, h2 = encode_header(frame._flags, frame._channel, frame._error)
        data = frame._data()
        size = frame._payload
        big = size >= self._copy_threshold
        with self._send_lock:
            if not self._send(h0, h1, h2, data, not big):
                self._drop(frame)
                return
            self._tx_frames += 1
            self._tx_bytes += size
        if big and type(frame._buf) is bytearray:
            # libzmq still reads this buffer (zero-copy): later writes must copy, not change it.
            frame._buf = memoryview(frame._buf).toreadonly()
        if self._log.isEnabledFor(_DEBUG):
            self._log.debug("Sent frame: size=%d flags=0x%04x channel=%d error=%d", size, frame._flags, frame._channel, frame._error)

    def _send(self, h0: bytes, h1: bytes, h2: bytes, data: Part, copy: bool) -> bool:
        """Send one message (caller holds the send lock); False once the bridge stopped."""
        while True:
            push = self._push
            if push is None or not self._running:
                return False
            try:
                if send4(push, h0, h1, h2, data, copy):
                    return True
                # No peer, or its queue is full: wait, looking at the stop flag now and then.
                while not push.poll(_POLL_MS, zmq.POLLOUT):
                    if not self._running:
                        return False
            except PartlySent as exc:
                # libzmq rolled the partial message back; resend it whole on a fresh socket.
                if exc.errno == zmq.ETERM or not self._running:
                    return self._send_error(exc)
                self._rebuild_push()
            except zmq.ZMQError as exc:
                return self._send_error(exc)

    def _send_error(self, exc: zmq.ZMQError) -> bool:
        if self._running:
            self._log.warning("send failed: %s", exc)
        return False

    def _drop(self, frame: Frame) -> None:
        self._tx_dropped += 1
        if self._log.isEnabledFor(_DEBUG):
            self._log.debug("Dropped frame of %d bytes: bridge is stopped", frame._payload)

    # -- receiving ---------------------------------------------------------------------
    def _rx_loop(self) -> None:
        """Receive thread: frames to the slaves, monitor events to the link state."""
        pull, push_mons = self._pull, self._push_mons
        pull_monitor, push_monitor = self._pull_monitor, self._push_monitor
        assert pull is not None
        poller = zmq.Poller()
        for mon in (pull_monitor, push_monitor):
            poller.register(mon.pollable, zmq.POLLIN)
        grace = AttachGrace(self._created)  # the PULL socket is polled once a slave is attached or the grace is over
        poll_ms = grace.poll_ms

        def step() -> None:
            nonlocal poll_ms
            if not grace.reading:
                if grace.step(self._slaveCount() > 0, time.monotonic()):
                    if not self._slaveCount():
                        self._log.debug("No slave attached after %.1f s: received frames are dropped", ATTACH_GRACE_S)
                    poller.register(pull, zmq.POLLIN)
                    poll_ms = _IDLE_MS
                else:
                    poll_ms = grace.poll_ms
            new = push_mons.take()
            if new is not None:  # a sender rebuilt the PUSH socket
                old = push_monitor.pollable
                assert old is not None  # a stream bridge's monitors are sockets (no ZAP service reads them)
                poller.unregister(old)
                old.close(linger=0)
                push_monitor.replace(new)
                poller.register(new, zmq.POLLIN)
                self._link.update(self._running)
            ready = dict(poller.poll(poll_ms))
            if pull in ready:
                self._drain(pull)
            if pull_monitor.pollable in ready and pull_monitor.drain():
                self._link.update(self._running)
            if push_monitor.pollable in ready and self._push_events(push_monitor):
                self._link.update(self._running)
            self._bad.tick()
            self._slave_errors.tick()

        def finish() -> None:
            # libzmq sends monitor events with a blocking send: a monitor socket closed
            # while its socket still emits events would block libzmq's I/O thread (and
            # every bridge of the process). So the monitor is disabled first, by the
            # thread that owns the socket: here for PULL, in stop() for PUSH.
            self._close_pull()
            push_mons.release()
            self._link.set(False, self._running)

        run_io_loop(self, self._log, step, finish, pause=_POLL_MS / 1000)

    def _close_pull(self) -> None:
        """Close the PULL socket and its monitor (rx thread; once)."""
        if self._pull_closed:
            return
        self._pull_closed = True
        pull = self._pull
        assert pull is not None
        pull.disable_monitor()
        pull.close(linger=0)
        self._pull_mon.close(linger=0)

    def _drain(self, pull: Socket) -> None:
        """Deliver up to ``_BATCH`` waiting messages without blocking."""
        threshold = self._copy_threshold
        send = self._sendFrame
        self._link.loss.heard()
        # Headers as bytes, the payload (part 3) a zero-copy zmq.Frame.
        for parts in messages_keeping(pull, _BATCH, _PAYLOAD):
            try:
                flags, channel, error, payload = decode(parts)
            except WireError as exc:
                self._malformed += 1
                self._bad.warn(exc.reason)
                continue
            size = len(payload)
            frame = Frame._wrap(payload.buffer if size >= threshold else payload.bytes, flags, channel, error)
            self._rx_frames += 1
            self._rx_bytes += size
            if self._log.isEnabledFor(_DEBUG):
                self._log.debug("Received frame: size=%d flags=0x%04x channel=%d error=%d", size, flags, channel, error)
            try:
                send(frame)
            except Exception as exc:  # noqa: BLE001 - a failing slave must not stop the bridge
                self._slave_errors.warn(f"{type(exc).__name__}: {exc}", exc)
            if not self._running:
                return

    def _push_events(self, push_monitor: Monitor) -> bool:
        """Apply the PUSH socket's waiting monitor events; True when its peer count changed."""
        changed = push_monitor.drain()
        if changed and self._server and push_monitor.peers.peers == 2:
            self._log.warning("a second client connected to %s: frames go to one client each (round-robin)", self._push_url)
        return changed

    # -- lifecycle ---------------------------------------------------------------------
    def stop(self) -> None:
        """Stop the bridge and release its thread and sockets (idempotent).

        A server's listening ports are free when this returns: a new server
        may bind them at once, in this process or another. If they are still
        held after ``rogue._transport.listener.RELEASE_S`` (5) seconds, or a slave keeps
        the receive thread busy that long, it raises GeneralError once
        everything else is released.
        Frames already sent keep being delivered to a connected peer in the
        background for up to ``flushTimeout`` seconds; this call does not wait
        for them. Frames handed in afterwards are dropped (logged at debug).
        """
        if not self._begin_stop():
            return
        # Blocked senders notice the stop flag within one poll period.
        if self._send_lock.acquire(timeout=1.0):
            try:
                push, self._push = self._push, None
                if push is not None:
                    push.disable_monitor()  # before its monitor closes; MONITOR_STOPPED wakes the rx thread now
                    push.close(linger=self._flush_ms)  # libzmq flushes in the background
            finally:
                self._send_lock.release()
            self._push_mons.release()
        else:
            self._log.warning("a sender did not release the push socket within 1 s")
        busy = False
        if self._rx is not threading.current_thread():
            # A server's ports depend on this thread (it owns PULL): wait longer than one poll period.
            self._rx.join(release_timeout() if self._listen else 1.0)
            if self._rx.is_alive():  # a slave is stuck in _acceptFrame; the thread closes its sockets when it returns
                busy = True
                self._log.warning("receive thread still busy in a slave after stop()")
        else:  # stop() from a slave, in the rx thread: it owns the PULL socket, and ends its loop next
            self._close_pull()
        self._security.close()
        self._link.set(False, running=False)
        self._log.debug("Stopped")
        ensure_released(self._name, list(self._listen.values()),
                        "the receive thread is busy in a slave's _acceptFrame" if busy else "",
                        [self._listen[zmq.PULL]] if zmq.PULL in self._listen else None)
