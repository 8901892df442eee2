"""``Fifo``: decouples a stream's producer from its consumers with a queue and a thread."""

from __future__ import annotations

import threading
from queue import SimpleQueue

from ..._errors import GeneralError
from ..._logging import Logging
from ..._transport import register_closer, unregister_closer
from .frame import Frame
from .master import Master
from .slave import Slave

__all__ = ["Fifo"]

_JOIN_TIMEOUT_S = 5.0  # a downstream slave stuck for longer than this is reported, not waited for
_EXIT_JOIN_TIMEOUT_S = 1.0  # at interpreter exit, wait less: the thread is a daemon anyway


class Fifo(Master, Slave):
    """A master+slave that queues frames and forwards them from its own thread.

    ``Fifo(maxDepth, trimSize, noCopy)``: ``_acceptFrame`` never blocks the
    upstream master. It queues the frame itself when ``noCopy`` is true, else a
    copy (same flags, channel and error) whose payload is cut to ``trimSize``
    bytes when ``trimSize`` is non-zero. When ``maxDepth`` > 0 and that many
    frames wait, new frames are dropped and counted (``dropCnt()``). The worker
    thread ``rogue-bridge:Fifo:worker`` hands queued frames to the slaves.

    Call ``stop()`` (or ``_stop()``) to end the thread; queued frames are then
    discarded. A Fifo left running does not hold up interpreter exit.
    """

    def __init__(self, maxDepth: int, trimSize: int, noCopy: bool) -> None:
        Master.__init__(self)
        Slave.__init__(self)
        maxDepth, trimSize = int(maxDepth), int(trimSize)
        if maxDepth < 0:
            raise GeneralError("Fifo", f"maxDepth {maxDepth} is negative")
        if trimSize < 0:
            raise GeneralError("Fifo", f"trimSize {trimSize} is negative")
        self._max_depth = maxDepth
        self._trim = trimSize
        self._no_copy = bool(noCopy)
        self._log = Logging.create("stream.Fifo")
        self._queue: SimpleQueue[Frame | None] = SimpleQueue()  # C-level put/get: no Python lock on the frame path
        self._drops = 0
        self._drop_lock = threading.Lock()  # taken only when dropping
        self._running = True
        self._stop_lock = threading.Lock()
        # Daemon: a Fifo the application forgot to stop must not hang interpreter
        # exit (non-daemon threads are joined before atexit handlers run); the
        # frames still queued then are lost, which is accepted. register_closer
        # stops it at exit anyway, so it does not keep feeding bridges that the
        # same exit handler is closing.
        self._thread = threading.Thread(target=self._run, name="rogue-bridge:Fifo:worker", daemon=True)
        self._thread.start()
        register_closer(self)

    # -- frame path ------------------------------------------------------------
    def _acceptFrame(self, frame: Frame) -> None:
        """Queue ``frame`` (or its trimmed copy) for the worker; drop it when full or stopped."""
        queue = self._queue
        depth = self._max_depth
        if (depth and queue.qsize() >= depth) or not self._running:
            with self._drop_lock:
                self._drops += 1
            return
        if not self._no_copy:
            n = frame._payload
            trim = self._trim
            if trim and trim < n:
                n = trim
            buf = frame._buf
            data = bytearray(buf) if n == len(buf) else bytearray(memoryview(buf)[:n])
            frame = Frame._wrap(data, frame._flags, frame._channel, frame._error)
        queue.put(frame)

    def _run(self) -> None:
        get = self._queue.get
        send = self._sendFrame
        log = self._log
        while True:
            frame = get()
            if frame is None or not self._running:  # None: put by stop() to wake the worker
                return
            try:
                send(frame)
            except Exception:  # noqa: BLE001 - one bad slave must not end the Fifo
                log.exception("Fifo: a slave raised while receiving a frame; the frame is lost")

    # -- counters ----------------------------------------------------------------
    def size(self) -> int:
        """Number of frames waiting in the queue."""
        return self._queue.qsize()

    def dropCnt(self) -> int:
        """Number of frames dropped because the queue was full (or the Fifo stopped)."""
        return self._drops

    def clearCnt(self) -> None:
        """Reset the drop counter."""
        with self._drop_lock:
            self._drops = 0

    # -- life cycle -----------------------------------------------------------------
    def _stop(self) -> None:
        """End the worker thread and discard queued frames (idempotent)."""
        self._shutdown(_JOIN_TIMEOUT_S)

    def _shutdown(self, timeout: float) -> None:
        """Stop once: wake the worker, wait up to ``timeout`` s for it, drop the backlog."""
        with self._stop_lock:
            if not self._running:
                return
            self._running = False
            self._queue.put(None)
        unregister_closer(self)
        thread = self._thread
        if thread is not threading.current_thread():  # a slave may stop us from the worker itself
            thread.join(timeout)
            if thread.is_alive():
                self._log.warning("Fifo: worker still inside a slave's _acceptFrame after %.1f s", timeout)
        # Frames queued after the worker's last get: release them now.
        self._queue = SimpleQueue()

    def stop(self) -> None:
        """End the worker thread and discard queued frames (idempotent)."""
        self._stop()

    def close(self) -> None:
        """Same as :meth:`stop` (called at interpreter exit for a Fifo left running)."""
        self._shutdown(_EXIT_JOIN_TIMEOUT_S)

    def __repr__(self) -> str:
        return f"<Fifo maxDepth={self._max_depth} trimSize={self._trim} noCopy={self._no_copy}>"
