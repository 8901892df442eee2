"""The life of a bridge end: its opening, its I/O thread's loop skeleton and the start of ``stop()`` (every bridge class).

:class:`BridgeEnd` is what every bridge end (stream or memory, server or
client) opens with: its address, port, name, logger, link checking and
:class:`~.link.Link`. :func:`start_io_thread` starts the one thread a bridge
end reads its sockets in; its loop is :func:`run_io_loop`: call the bridge's
``step`` until it stops, survive anything but the end of the ZeroMQ context
(logged, and paused so an error that repeats cannot spin), then always run
its ``finish`` (which closes the sockets the thread owns, monitors first).
:class:`StopAliases` gives every bridge Rogue's names for stopping it and the
common start of ``stop()``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import zmq

from .._logging import Logging
from .context import tcp_url, unregister_closer
from .heartbeat import Heartbeat
from .link import Link

__all__ = ["BridgeEnd", "StopAliases", "run_io_loop", "start_io_thread"]


def start_io_thread(name: str, role: str, target: Callable[[], None]) -> threading.Thread:
    """Start the daemon thread ``rogue-bridge:<name>:<role>`` running ``target``."""
    thread = threading.Thread(target=target, name=f"rogue-bridge:{name}:{role}", daemon=True)
    thread.start()
    return thread


def run_io_loop(bridge: StopAliases, log: logging.Logger, step: Callable[[], None], finish: Callable[[], None],
                what: str = "receive loop", pause: float = 0.0) -> None:
    """Run ``step()`` while ``bridge`` runs, then ``finish()``, whatever happened (the body of every I/O thread).

    An exception from ``step`` is logged with its traceback and the loop goes
    on (after ``pause`` seconds); ``zmq.ContextTerminated`` ends it.
    """
    try:
        while bridge._running:
            try:
                step()
            except zmq.ContextTerminated:
                break
            except Exception:  # noqa: BLE001 - the I/O thread must outlive anything
                log.exception("%s error (continuing)", what)
                if pause:
                    time.sleep(pause)  # an error that repeats must not spin or flood the log
    finally:
        finish()


class StopAliases:
    """Rogue's names for stopping a bridge (``close()``, ``_stop()``), its repr and the start of ``stop()``, for every bridge class."""

    _name: str
    _link: Link
    _state_lock: threading.Lock
    _closed: bool
    _running: bool
    stop: Callable[[], None]  # each bridge's own (an annotation only: nothing here shadows it)

    def _begin_stop(self) -> bool:
        """The common start of every ``stop()``: mark the bridge closed; False if it already was."""
        with self._state_lock:
            if self._closed:
                return False
            self._closed = True
            self._running = False
        unregister_closer(self)
        return True

    def close(self) -> None:
        """Stop the bridge (Rogue's name); same as :meth:`stop`."""
        self.stop()

    def _stop(self) -> None:
        """Stop the bridge (Rogue's name); same as :meth:`stop`."""
        self.stop()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._name} {'connected' if self._link.connected else 'not connected'}>"


class BridgeEnd(StopAliases):
    """The opening every bridge end shares, once: address, port, name, logger, link checking, link state.

    A bridge's ``__init__`` calls :meth:`_open_end` first, before any socket
    exists (a bad heartbeat option raises then), and gives :attr:`_link` its
    sockets' monitors once they are open.
    """

    _addr: str
    _port: int
    _log: logging.Logger
    _hb: Heartbeat

    def _open_end(self, addr: str, port: int, name: str, area: str, heartbeatInterval: float,
                  heartbeatTimeout: float, peer: str, label: str) -> None:
        """Set the bridge end's identity and link state.

        ``name``, ``peer`` (the far side in loss warnings) and ``label`` (in
        "connected" lines) are templates of ``{addr}``, ``{port}`` and ``{url}``
        (``tcp://addr:port``); the logger is ``<area>.<name>``.
        """
        self._addr = addr = str(addr)
        self._port = port = int(port)
        fields = {"addr": addr, "port": port, "url": tcp_url(addr, port)}
        self._name = name.format(**fields)
        self._log = Logging.create(f"{area}.{self._name}")
        self._hb = Heartbeat.checked(self._name, heartbeatInterval, heartbeatTimeout)
        self._link = Link(self._log, self._hb, peer.format(**fields), label.format(**fields))
        self._state_lock = threading.Lock()
        self._closed = False
        self._running = False

    def isConnected(self) -> bool:
        """True while the far side is connected on both ports (from ZeroMQ socket events)."""
        return self._link.connected
