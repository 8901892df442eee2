"""Noticing a silent peer: ZMTP heartbeats and TCP options of every bridge socket.

A pulled cable or a hung host closes nothing, so over plain TCP a bridge would
wait for ever. Every bridge socket therefore gets ZeroMQ's ZMTP heartbeats
(PING/PONG commands, answered inside libzmq by any ZMTP 3.1 peer, C++ Rogue's
included: the wire format is unchanged) and a few TCP options. Who does what
follows from the one rule that no healthy link may be closed, and no frame
reordered, because a reader is slow:

* Every receiving socket (PULL, DEALER) PINGs its peer every ``interval``
  seconds; it sends nothing else, and libzmq sends its PINGs even while the
  application is not reading, so the far sender always hears from a live
  receiver, however slow.
* A receiving socket notices a dead link: its PINGs stay unacknowledged and the
  kernel drops the connection after ``timeout`` (``TCP_MAXRT``, i.e.
  ``TCP_USER_TIMEOUT``). It never times out on what it hears itself, since a
  reader that is behind does not read PONGs either (``HEARTBEAT_TIMEOUT=0``).
* A sending socket (PUSH, ROUTER) sends no PINGs: each PING the receiver sends
  carries a TTL (``HEARTBEAT_TTL`` = ``timeout + 3 * interval``), and the
  sender gives up when nothing came for that long. (A PONG to a PING of its own
  would cancel that TTL until the next PING, so it would miss a link that died
  just after a PONG; and timing out on its own PINGs would close a healthy link
  to a C++ Rogue receiver that is behind, since that one neither PINGs nor
  answers while it is not reading.) A sender whose peer never PINGs (C++ Rogue)
  still reports the link down through the receiving socket of the same bridge,
  and TCP keepalive closes its idle connection.
* The receiver always drops a dead connection before the sender does (by
  ``timeout + interval``; the sender, not before ``ttl - interval``), so what the sender's kernel
  still holds for the old connection is refused when the link returns, and
  never arrives after frames of the new connection (no reordering).
* ``CONNECT_TIMEOUT`` bounds a reconnect attempt whose SYN went nowhere, so a
  client reconnects within about a second of the link returning;
  ``RECONNECT_IVL`` stays libzmq's 100 ms.
* TCP keepalive (idle 10 s, then 3 probes 2 s apart) is the second line on
  connections that carry nothing, e.g. with heartbeats turned off.

``interval=0`` turns heartbeats off (C++ Rogue's behaviour: a silent peer is
never noticed). Values are seconds.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import zmq

from ._errors import GeneralError

__all__ = ["DEFAULT_INTERVAL", "DEFAULT_TIMEOUT", "Heartbeat", "LinkLoss"]

DEFAULT_INTERVAL = 1.0  #: seconds between two PINGs
DEFAULT_TIMEOUT = 5.0  #: seconds of silence after which a link is declared lost
KEEPALIVE_IDLE_S = 10
KEEPALIVE_INTVL_S = 2
KEEPALIVE_CNT = 3
_TTL_MAX_MS = 6_553_500  # HEARTBEAT_TTL travels in deciseconds, 16 bits


@dataclass(frozen=True)
class Heartbeat:
    """Heartbeat settings of one bridge: ``interval`` and ``timeout`` in seconds (``interval=0``: off)."""

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
        if interval and not interval * 2 <= timeout:
            raise GeneralError(name, f"heartbeatTimeout ({timeout:g} s) must be at least twice heartbeatInterval "
                                     f"({interval:g} s)")
        if interval and (interval < 0.01 or timeout + 3 * interval > _TTL_MAX_MS / 1000):
            raise GeneralError(name, "heartbeatInterval must be at least 0.01 s and heartbeatTimeout under 6500 s")
        return cls(interval, timeout)

    @property
    def on(self) -> bool:
        """True when heartbeats are enabled."""
        return self.interval > 0

    @property
    def ttl(self) -> float:
        """Seconds without a PING from the receiver after which a sending socket gives up."""
        return self.timeout + 3 * self.interval

    def detect_within(self) -> float:
        """The longest time from a link going silent to the bridge reporting it (seconds)."""
        return self.timeout + self.interval

    def apply(self, sock: zmq.Socket, sending: bool) -> None:
        """Set the options of a sending (PUSH/ROUTER) or receiving (PULL/DEALER) socket; before bind/connect."""
        sock.setsockopt(zmq.TCP_KEEPALIVE, 1)
        sock.setsockopt(zmq.TCP_KEEPALIVE_IDLE, KEEPALIVE_IDLE_S)
        sock.setsockopt(zmq.TCP_KEEPALIVE_INTVL, KEEPALIVE_INTVL_S)
        sock.setsockopt(zmq.TCP_KEEPALIVE_CNT, KEEPALIVE_CNT)
        if not self.on:
            return
        timeout_ms = max(1, round(self.timeout * 1000))
        # A SYN into a dead link is retried by the kernel for two minutes; give up and retry sooner.
        sock.setsockopt(zmq.CONNECT_TIMEOUT, max(1000, min(timeout_ms, 2000)))
        if sending:
            return  # it hears the receiver's PINGs and their TTL; it sends none (see the module text)
        sock.setsockopt(zmq.HEARTBEAT_IVL, max(1, round(self.interval * 1000)))
        sock.setsockopt(zmq.HEARTBEAT_TIMEOUT, 0)  # never on what it hears itself (see the module text)
        sock.setsockopt(zmq.HEARTBEAT_TTL, min(_TTL_MAX_MS, 100 * math.ceil(self.ttl * 10)))
        sock.setsockopt(zmq.TCP_MAXRT, timeout_ms)


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

    def up(self, connected: bool) -> None:
        """Record a change of the link state: a warning when lost, an info line when back."""
        now = time.monotonic()
        log = self._log
        if connected:
            self._up_at = self._heard = now
            if self.lost_at:
                log.info("link to %s is back after %.1f s: reconnected by itself", self.peer,
                         now - self.lost_at)
            self.lost_at = 0.0
            return
        if not self._up_at:
            return  # never connected: nothing was lost
        self.losses += 1
        self.lost_at = now
        self._up_at = 0.0
        silent = now - self._heard
        # A link that died in silence was quiet for about the whole timeout; one that closed
        # while traffic flowed was closed by the far side (a stop, a crash: its kernel said so).
        quiet = (self._hb.timeout if self._hb.on else KEEPALIVE_IDLE_S) / 2
        if silent < quiet:
            log.info("link to %s closed by the far side; link losses so far: %d",
                     self.peer, self.losses)
            return
        how = f"heartbeat timeout {self._hb.timeout:g} s" if self._hb.on else "heartbeats off, TCP keepalive"
        log.warning("link to %s lost: nothing received from it for %.1f s (%s); link losses so far: %d; "
                    "reconnecting by itself", self.peer, silent, how, self.losses)
