"""The stream bridge's PUSH monitor sockets: handed from a sender to the receive thread, closed once by the last user.

A sender that rebuilds the PUSH socket (after a part-way failed send) gets a
new monitor with it, which the receive thread polls from then on. Monitor
sockets close only after their socket's monitor was disabled, and only once
both the receive thread (which polls them) and ``stop()`` (which closes the
PUSH socket) are done with them: libzmq's I/O thread blocks on a monitor
whose reader is gone.
"""

from __future__ import annotations

import threading
from ..._transport import MonitorSource

__all__ = ["PushMonitors"]


class PushMonitors:
    """The current PUSH monitor (read by the receive thread) and one handed over after a rebuild."""

    def __init__(self, current: MonitorSource) -> None:
        self.current = current
        self._new: MonitorSource | None = None
        self._users = 2  # the receive thread and stop(); the last one closes the monitors
        self._lock = threading.Lock()

    def offer(self, mon: MonitorSource) -> None:
        """A sender rebuilt the PUSH socket: ``mon`` is its monitor (a previous one never taken is closed)."""
        with self._lock:
            old, self._new = self._new, mon
        if old is not None:  # never picked up by the receive thread; its socket is closed
            old.close(linger=0)

    def take(self) -> MonitorSource | None:
        """The monitor handed over since the last call, now current (receive thread); None if none.

        The caller stops polling the previous one and closes it.
        """
        if self._new is None:
            return None
        with self._lock:
            new, self._new = self._new, None
        if new is not None:
            self.current = new
        return new

    def release(self) -> None:
        """One user is done (the receive thread, and ``stop()``, once each); the last closes the monitors."""
        with self._lock:
            self._users -= 1
            if self._users:
                return
            mons = (self.current, self._new)
            self._new = None
        for mon in mons:
            if mon is not None:
                mon.close(linger=0)
