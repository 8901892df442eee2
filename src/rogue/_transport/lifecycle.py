"""The life of a bridge end: its I/O thread's loop skeleton and the start of ``stop()`` (every bridge class).

:func:`start_io_thread` starts the one thread a bridge end reads its sockets
in; its loop is :func:`run_io_loop`: call the bridge's ``step`` until it
stops, survive anything but the end of the ZeroMQ context (logged, and paused
so an error that repeats cannot spin), then always run its ``finish`` (which
closes the sockets the thread owns, monitors first). :class:`StopAliases`
gives every bridge Rogue's names for stopping it and the common start of
``stop()``.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import zmq

from .context import unregister_closer

__all__ = ["StopAliases", "run_io_loop", "start_io_thread"]


def start_io_thread(name: str, role: str, target: Callable[[], None]) -> threading.Thread:
    """Start the daemon thread ``rogue-bridge:<name>:<role>`` running ``target``."""
    thread = threading.Thread(target=target, name=f"rogue-bridge:{name}:{role}", daemon=True)
    thread.start()
    return thread


def run_io_loop(bridge: "StopAliases", log: logging.Logger, step: Callable[[], None], finish: Callable[[], None],
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
    _connected: bool
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
        return f"<{type(self).__name__} {self._name} {'connected' if self._connected else 'not connected'}>"
