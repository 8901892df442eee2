"""A bridge end's link state, from its two sockets' monitors: one class for every bridge end.

A bridge end (stream or memory, client or server) has a receiving and a
sending socket; its link is up while both have a peer whose handshake
succeeded (:class:`~.monitor.Monitor` counts them). :class:`Link` holds that
state for its readers (``isConnected()``, ``waitReady()``), logs each change
once, counts losses (:class:`~.heartbeat.LinkLoss`) and, when the link was
lost in silence, drops the sending socket's connections at once
(:meth:`~.heartbeat.Heartbeat.drop`). A server names its client in those
lines (its address, from the receiving socket's connection, or what the ZAP
policy saw).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from .heartbeat import Heartbeat, LinkLoss, peer_address
from .monitor import Monitor

__all__ = ["Link"]


class Link:
    """Whether a bridge end's far side is connected on both sockets; written by its I/O thread, read by anyone.

    ``peer`` names the far side in the loss warnings, ``label`` in the
    "connected"/"disconnected" lines. :meth:`attach` gives it the two
    sockets' monitors once they exist; :meth:`update` then follows them.
    """

    __slots__ = ("connected", "loss", "_log", "_hb", "_label", "_cond", "_receiving", "_sending", "_drop_port",
                 "_local", "_client_of", "_client_ip")

    def __init__(self, log: logging.Logger, heartbeat: Heartbeat, peer: str, label: str) -> None:
        self.connected = False
        self.loss = LinkLoss(log, heartbeat, peer)
        self._log = log
        self._hb = heartbeat
        self._label = label
        self._cond = threading.Condition()
        self._receiving: Monitor | None = None
        self._sending: Monitor | None = None
        self._drop_port = 0
        self._local = False
        self._client_of: tuple[str, int] | None = None
        self._client_ip: Callable[[], str] | None = None

    def attach(self, receiving: Monitor, sending: Monitor, drop_port: int, local: bool, *,
               client_of: tuple[str, int] | None = None, client_ip: Callable[[], str] | None = None) -> None:
        """Follow these monitors. A link lost in silence drops the sending connections to ``drop_port``.

        ``drop_port`` is the sending socket's local port when ``local`` (a
        server), else the remote one. ``client_of`` (a server: the URL and the
        port its receiving socket listens on) names the client on each
        connection; ``client_ip()`` when its address is not known otherwise.
        """
        self._receiving, self._sending = receiving, sending
        self._drop_port, self._local = drop_port, local
        self._client_of, self._client_ip = client_of, client_ip

    def update(self, running: bool) -> bool:
        """Recompute the state from both monitors' peers (see :meth:`set`); True when it changed."""
        receiving, sending = self._receiving, self._sending
        assert receiving is not None and sending is not None
        return self.set(receiving.peers.peers > 0 and sending.peers.peers > 0, running)

    def set(self, up: bool, running: bool = True) -> bool:
        """Record the state; True when it changed.

        While ``running`` a change is logged and counted (a loss warns once),
        and a link lost in silence has its sending connections dropped; a
        change while stopping is only recorded.
        """
        with self._cond:
            if up == self.connected:
                return False
            self.connected = up
            self._cond.notify_all()
        if not running:
            return True
        if up and self._client_of is not None:
            self.loss.peer = self._client_name(*self._client_of)
        self._log.info("%s %s", self._label, "connected" if up else "disconnected")
        if self.loss.up(up) and self._sending is not None:
            self._hb.drop(self._sending.peers.fds, self._drop_port, self._local)
        return True

    def _client_name(self, url: str, port: int) -> str:
        receiving = self._receiving
        who = peer_address(receiving.peers.fds, port) if receiving is not None else ""
        if not who and self._client_ip is not None:
            who = self._client_ip()
        return f"the client {who} of {url}" if who else f"the client of {url}"

    def wait(self, timeout: float, running: Callable[[], bool]) -> bool:
        """Wait up to ``timeout`` seconds for the link (or for ``running()`` to turn False); True once it is up."""
        with self._cond:
            self._cond.wait_for(lambda: self.connected or not running(), timeout)
            return self.connected
