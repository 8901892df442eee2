"""The link-state and counter part of the stream bridge's API (:class:`LinkStatus`, mixed into ``TcpCore``).

No sockets here: the receive thread records the link state it derives from
monitor events (``rogue._transport.monitor``) and the counters.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["LinkStatus"]


class LinkStatus:
    """Link state and counters of a bridge (mixed into ``TcpCore``).

    The receive thread sets the link state and the rx counters, senders the tx
    counters; reading them needs no lock (each is one int written by one thread).
    """

    _loss: Any  # the bridge's rogue._transport.LinkLoss (link losses)

    def _init_status(self) -> None:
        self._running = False
        self._link = threading.Condition()
        self._connected = False
        self._tx_frames = self._tx_bytes = self._tx_dropped = 0
        self._rx_frames = self._rx_bytes = self._malformed = 0
        self._rebuilds = 0

    def _set_connected(self, up: bool) -> bool:
        """Record the link state; True when it changed."""
        with self._link:
            if up == self._connected:
                return False
            self._connected = up
            self._link.notify_all()
        return True

    def isConnected(self) -> bool:
        """True while the far side is connected on both ports (from ZeroMQ socket events)."""
        return self._connected

    def waitReady(self, timeout: float = 10.0) -> bool:
        """Wait up to ``timeout`` seconds for the far side; True once it is connected."""
        with self._link:
            self._link.wait_for(lambda: self._connected or not self._running, timeout)
            return self._connected

    def getTxFrameCount(self) -> int:
        """Frames sent to the far side."""
        return self._tx_frames

    def getTxByteCount(self) -> int:
        """Payload bytes sent to the far side."""
        return self._tx_bytes

    def getTxDropCount(self) -> int:
        """Frames handed in that were not sent because the bridge was stopped."""
        return self._tx_dropped

    def getRxFrameCount(self) -> int:
        """Frames received from the far side and given to the slaves."""
        return self._rx_frames

    def getRxByteCount(self) -> int:
        """Payload bytes received from the far side."""
        return self._rx_bytes

    def getMalformedCount(self) -> int:
        """Received messages dropped as malformed (wrong part count or header sizes)."""
        return self._malformed

    def getLinkLossCount(self) -> int:
        """Times the link was lost after being up (a silent peer, or one that closed)."""
        return self._loss.losses

    def stats(self) -> dict[str, Any]:
        """All counters and the link state in one dict (for monitoring)."""
        return {
            "connected": self._connected,
            "txFrames": self._tx_frames,
            "txBytes": self._tx_bytes,
            "txDropped": self._tx_dropped,
            "rxFrames": self._rx_frames,
            "rxBytes": self._rx_bytes,
            "malformed": self._malformed,
            "pushRebuilds": self._rebuilds,
            "linkLosses": self._loss.losses,
        }
