"""The counters part of the stream bridge's API (:class:`StreamStats`, mixed into ``TcpCore``).

No sockets here: the receive thread counts what it receives, senders what
they send; the link state is the bridge's ``rogue._transport.Link``.
"""

from __future__ import annotations

from ..._transport import Link

__all__ = ["StreamStats"]


class StreamStats:
    """Counters of a stream bridge and :meth:`waitReady` (mixed into ``TcpCore``).

    The receive thread sets the rx counters, senders the tx counters; reading
    them needs no lock (each is one int written by one thread).
    """

    _link: Link
    _running: bool

    def _init_stats(self) -> None:
        self._tx_frames = self._tx_bytes = self._tx_dropped = 0
        self._rx_frames = self._rx_bytes = self._malformed = 0
        self._rebuilds = 0

    def waitReady(self, timeout: float = 10.0) -> bool:
        """Wait up to ``timeout`` seconds for the far side; True once it is connected."""
        return self._link.wait(timeout, lambda: self._running)

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
        return self._link.loss.losses

    def stats(self) -> dict[str, int | bool]:
        """All counters and the link state in one dict (for monitoring)."""
        return {
            "connected": self._link.connected,
            "txFrames": self._tx_frames,
            "txBytes": self._tx_bytes,
            "txDropped": self._tx_dropped,
            "rxFrames": self._rx_frames,
            "rxBytes": self._rx_bytes,
            "malformed": self._malformed,
            "pushRebuilds": self._rebuilds,
            "linkLosses": self._link.loss.losses,
        }
