"""Noticing a silent peer: the TCP options of every bridge socket, and what a bridge does on a loss.

A pulled cable or a hung host closes nothing, so over plain TCP a bridge would
wait for ever. The bridges therefore have the kernel check the link: TCP
keepalive probes on a quiet connection every ``interval`` seconds (whole
seconds, at least 1), answered by the far kernel whatever the far program is
doing, so the wire format is unchanged and any peer (C++ Rogue included)
answers without any code. The rule behind each choice: no healthy link may be
closed, and no frame reordered, because a reader is slow.

* A receiving socket (PULL, DEALER) sends nothing but those probes; with
  ``TCP_MAXRT`` (``TCP_USER_TIMEOUT``) = ``timeout`` the kernel drops the
  connection once nothing came from the far kernel for ``timeout`` seconds
  (noticed within ``timeout + interval``). A slow reader is no silence: the
  far kernel keeps answering.
* A sending socket (PUSH, ROUTER) gets keepalive only (no user timeout: one
  would drop a healthy connection whose reader is behind, since a closed
  receive window lasting that long counts as a failure). When the receiving
  socket of the same bridge reports a silent loss, the bridge drops the
  sender's connections at once (:meth:`Heartbeat.drop`: an abortive close,
  ``SO_LINGER`` 0, so the kernel discards what they still held instead of
  delivering it later), so none of their old frames can arrive after frames
  of the next connection (no reordering), and no more frames are queued to
  a dead connection.
* ``CONNECT_TIMEOUT`` bounds a reconnect attempt whose SYN went nowhere, so a
  client reconnects within a second or two of the link returning;
  ``RECONNECT_IVL`` stays libzmq's 100 ms.
* TCP keepalive also runs on the sending sockets (probes every ``interval``,
  given up after ``timeout``): an idle connection whose peer never talks back
  is dropped by itself.
* ZMTP heartbeats (``HEARTBEAT_IVL`` and friends) are not used: with libzmq
  4.3.5 a receiving socket with ``HEARTBEAT_IVL`` whose reader is behind (full
  receive queue) aborts the whole process when its peer closes the connection
  (``Assertion failed: !_io_error (src/stream_engine_base.cpp:310)``,
  measured), and a timeout on a sending socket closes a healthy link to a
  reader that is behind (measured: frames then lost and interleaved). A far
  *process* that is stopped but whose host runs is therefore not a lost link
  (its kernel answers): its reader is behind, senders feel back-pressure.

``interval=0`` turns all of this off (C++ Rogue's behaviour: a silent peer is
never noticed). Values are seconds.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import struct
import time
from dataclasses import dataclass
from typing import Iterator

import zmq

from .._errors import GeneralError

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_TIMEOUT", "Heartbeat", "LinkLoss", "peer_address", "zmtp_heartbeat"]

DEFAULT_INTERVAL = 1.0  #: seconds between two keepalive probes on a quiet connection
DEFAULT_TIMEOUT = 5.0  #: seconds of silence after which a link is declared lost
_MAX_S = 3600.0


@dataclass(frozen=True)
class Heartbeat:
    """Link checking of one bridge: ``interval`` and ``timeout`` in seconds (``interval=0``: off)."""

    interval: float = DEFAULT_INTERVAL
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def checked(cls, name: str, interval: float, timeout: float) -> "Heartbeat":
        """Validated settings; GeneralError naming ``name`` when they make no sense."""
        try:
            interval, timeout = float(interval), float(timeout)
        except (TypeError, ValueError):
            raise GeneralError(name, "heartbeatInterval and heartbeatTimeout must be numbers of seconds") from None
        if not (math.isfinite(interval) and math.isfinite(timeout)) or interval < 0 or timeout < 0:
            raise GeneralError(name, "heartbeatInterval and heartbeatTimeout must be finite and not negative")
        if interval and not (0.5 <= timeout <= _MAX_S and interval <= timeout):
            raise GeneralError(name, f"heartbeatTimeout ({timeout:g} s) must be 0.5 to {_MAX_S} s and at least "
                                     f"heartbeatInterval ({interval:g} s)")
        return cls(interval, timeout)

    @property
    def on(self) -> bool:
        """True when the link is checked."""
        return self.interval > 0

    @property
    def probe_s(self) -> int:
        """Seconds between keepalive probes (the kernel counts whole seconds)."""
        return max(1, math.ceil(self.interval))

    def detect_within(self) -> float:
        """The longest time from a link going silent to the bridge reporting it (seconds)."""
        return self.timeout + self.probe_s

    def apply(self, sock: zmq.Socket[bytes], sending: bool) -> None:
        """Set the options of a sending (PUSH/ROUTER) or receiving (PULL/DEALER) socket; before bind/connect."""
        if not self.on:
            return
        probe = self.probe_s
        timeout_ms = max(1, round(self.timeout * 1000))
        sock.setsockopt(zmq.TCP_KEEPALIVE, 1)
        sock.setsockopt(zmq.TCP_KEEPALIVE_IDLE, probe)
        sock.setsockopt(zmq.TCP_KEEPALIVE_INTVL, probe)
        sock.setsockopt(zmq.TCP_KEEPALIVE_CNT, max(1, math.ceil(self.timeout / probe)))
        # A SYN into a dead link is retried by the kernel for two minutes; give up and retry sooner.
        sock.setsockopt(zmq.CONNECT_TIMEOUT, max(1000, min(timeout_ms, 2000)))
        if not sending:
            sock.setsockopt(zmq.TCP_MAXRT, timeout_ms)

    def drop(self, fds: "set[int] | list[int]", port: int, local: bool) -> int:
        """Abort the sending connections ``fds`` (from monitor events) of a link lost in silence; how many.

        Each descriptor is checked to still be a TCP socket on ``port`` (the local
        port when ``local``, else the remote one) before it is touched, since a
        descriptor closed meanwhile may have been reused. ``SO_LINGER`` 0 makes
        the close abortive (what the kernel still holds is discarded, never
        delivered late); ``shutdown(SHUT_RD)`` makes libzmq read the end now and
        close the connection (a client then reconnects by itself), with a RST.
        """
        if not self.on:
            return 0
        done = 0
        for s in _dup_sockets(fds):
            try:
                if s.type != socket.SOCK_STREAM or s.family not in (socket.AF_INET, socket.AF_INET6):
                    continue
                where = s.getsockname() if local else s.getpeername()
                if where[1] != port:
                    continue
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RD)
                done += 1
            except OSError:
                pass
        return done


def zmtp_heartbeat(sock: zmq.Socket[bytes], interval_ms: int, timeout_ms: int, handshake_ms: int | None = None) -> None:
    """ZMTP heartbeats on a server's sending or request-only socket, and a bound on its handshakes (before bind).

    Not for the bridges' link checking (see above: a receiving socket whose
    reader is behind must not get them); the ZAP service gives them to an
    exclusive server socket, so a vanished client frees its slot.
    ``interval_ms`` 0: no heartbeats. ``handshake_ms``: a connection that
    stalls mid-handshake is dropped after this (libzmq's default: 30 s).
    """
    if interval_ms > 0:
        sock.setsockopt(zmq.HEARTBEAT_IVL, interval_ms)
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, timeout_ms)
    if handshake_ms is not None:
        sock.setsockopt(zmq.HANDSHAKE_IVL, handshake_ms)


def _dup_sockets(fds: "set[int] | list[int]") -> Iterator[socket.socket]:
    """Each of ``fds`` still open, as a socket object over a duplicate descriptor (closed after its turn)."""
    for fd in list(fds):
        try:
            dup = os.dup(fd)
        except OSError:
            continue
        try:
            s = socket.socket(fileno=dup)
        except OSError:
            os.close(dup)
            continue
        with s:
            yield s


def peer_address(fds: "set[int] | list[int]", local_port: int) -> str:
    """The far address of the first of ``fds`` (accepted connections, from monitor events) on ``local_port``; "" if none.

    Monitor events of a bound socket name the listener, not the peer; a
    server uses this to name its client in the link-loss warning.
    """
    for s in _dup_sockets(fds):
        try:
            if s.type == socket.SOCK_STREAM and s.getsockname()[1] == local_port:
                host, port = s.getpeername()[:2]
                return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        except OSError:
            pass
    return ""


class LinkLoss:
    """Counts losses of a bridge's link and writes the one warning and one info line each gets.

    ``up(True/False)`` is called by the thread that follows the link state;
    ``heard()`` whenever something arrived from the peer (cheap: one clock read).
    """

    def __init__(self, log: logging.Logger, heartbeat: Heartbeat, peer: str) -> None:
        self._log = log
        self._hb = heartbeat
        self.peer = peer
        self.losses = 0
        self.lost_at = 0.0  # monotonic time the link was lost (0: up, or never connected)
        self._up_at = 0.0
        self._heard = 0.0

    def heard(self, now: float | None = None) -> None:
        """Note that the peer was heard from (a message arrived)."""
        self._heard = time.monotonic() if now is None else now

    def up(self, connected: bool) -> bool:
        """Record a change of the link state: a warning when lost, an info line when back.

        True when the link was lost in silence (a dead link or host, not a close).
        """
        now = time.monotonic()
        log = self._log
        if connected:
            self._up_at = self._heard = now
            if self.lost_at:
                log.info("link to %s is back after %.1f s: reconnected by itself", self.peer,
                         now - self.lost_at)
            self.lost_at = 0.0
            return False
        if not self._up_at:
            return False  # never connected: nothing was lost
        self.losses += 1
        self.lost_at = now
        self._up_at = 0.0
        silent = now - self._heard
        # A link that died in silence was quiet for about the whole timeout; one that closed
        # while traffic flowed was closed by the far side (a stop, a crash: its kernel said so).
        if not self._hb.on or silent < self._hb.timeout / 2:
            log.info("link to %s closed by the far side; link losses so far: %d",
                     self.peer, self.losses)
            return False
        how = f"heartbeat timeout {self._hb.timeout:g} s"
        log.warning("link to %s lost: nothing received from it for %.1f s (%s); link losses so far: %d; "
                    "reconnecting by itself", self.peer, silent, how, self.losses)
        return True
