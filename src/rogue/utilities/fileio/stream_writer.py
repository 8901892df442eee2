"""``StreamWriter`` and its ``StreamWriterChannel`` slaves: frames to Rogue's data files, byte for byte.

``writer.getChannel(n)`` is a stream slave; every frame it receives becomes a
record (``_format``) in the writer's file. Same options and same bytes as C++
Rogue 6.15 (``fileio.json``), and safer where Rogue loses data: ``open()``
truncates (Rogue appends to what was there), a series' stale ``name.N`` of an
earlier recording is removed, a write error is one logged error with the file
cut back to its last complete record and closed (the frame is dropped and
counted, the sender goes on), and buffered records are written on ``close()``,
when the writer is garbage collected and at interpreter exit.
"""

from __future__ import annotations

import collections
import threading
import time
import weakref
from collections.abc import Callable

import rogue.interfaces.stream as ris

from ..._errors import GeneralError
from ..._logging import Logging
from ._format import header_struct
from ._sink import Sink

__all__ = ["StreamWriter", "StreamWriterChannel"]

_pack = header_struct.pack
_BW_STEP_S = 0.05  # bandwidth samples are taken at most this often


def _close(lock: threading.Lock, sink: Sink) -> None:
    with lock:
        sink.close()


class StreamWriter:
    """Writes the frames of its channels (``getChannel(n)``) to a data file (Rogue's ``StreamWriter``).

    ``open(path)`` starts a file (truncated), ``close()`` ends it. Options:
    ``setRaw`` (payloads only, no headers), ``setBufferSize(n)`` (gather up to
    n bytes per write; 0: a write per record), ``setMaxSize(n)`` (split into
    ``path.1``, ``path.2``, ...; a record never spans two files),
    ``setDropErrors`` (skip frames whose error is set). Empty frames are not
    written. Beyond Rogue: :meth:`flush`, :meth:`getFileCount`,
    :meth:`getCurrentFile`, :meth:`getErrorCount`, :meth:`getDropCount`.
    """

    def __init__(self) -> None:
        self._log = Logging.create("fileio.StreamWriter")
        self._lock = threading.Lock()
        self._acquire, self._release = self._lock.acquire, self._lock.release
        self._cond = threading.Condition(threading.Lock())
        self._waiters = 0
        self._sink = Sink(self._log)
        self._raw = False
        self._drop_errors = False
        self._frames = 0
        self._bytes = 0  # bytes handed to the sink since open() (the bandwidth's counter)
        # (time, bytes) samples, at most one per _BW_STEP_S: 64 of them span over 3 s, more than the 1 s window.
        self._bw: collections.deque[tuple[float, int]] = collections.deque(maxlen=64)
        self._bw_next = 0.0
        self._bw_skip = 0
        self._channels: dict[int, StreamWriterChannel] = {}
        self._is_open = False
        self._finalizer = weakref.finalize(self, _close, self._lock, self._sink)

    # -- files -----------------------------------------------------------------------------
    def open(self, file: str) -> None:
        """Close any open file and start writing ``file`` (``file.1`` with a max size), truncated."""
        with self._lock:
            self._is_open = False
            self._sink.open(str(file))
            self._frames = 0
            self._bytes = 0
            self._bw.clear()
            self._bw_next = 0.0
            for ch in self._channels.values():
                ch._count = 0
            self._is_open = True

    def close(self) -> None:
        """Write what is buffered and close the file."""
        with self._lock:
            self._is_open = False
            self._sink.close()
            self._bw.clear()

    def isOpen(self) -> bool:
        """True while a file is open (False after ``close()`` or a write error closed it)."""
        return self._is_open and self._sink.fd >= 0

    def flush(self) -> None:
        """Write the buffered records now (beyond Rogue; ``close()`` does it too)."""
        with self._lock:
            self._sink.flush()

    # -- options ---------------------------------------------------------------------------
    def setRaw(self, raw: bool) -> None:
        """Raw mode: write each payload alone, without the 8-byte header."""
        self._raw = bool(raw)

    def getRaw(self) -> bool:
        """True in raw mode."""
        return self._raw

    def setBufferSize(self, size: int) -> None:
        """Gather records in a buffer of ``size`` bytes (0: one write per record); flushes first."""
        size = int(size)
        if size < 0:
            raise GeneralError("StreamWriter::setBufferSize", f"buffer size {size} is negative")
        with self._lock:
            if size != self._sink.buf_size:
                self._sink.flush()
                self._sink.buf_size = size

    def setMaxSize(self, size: int) -> None:
        """Split the recording into files of at most ``size`` bytes (0: one file)."""
        size = int(size)
        if size < 0:
            raise GeneralError("StreamWriter::setMaxSize", f"max size {size} is negative")
        with self._lock:
            self._sink.limit = size

    def setDropErrors(self, drop: bool) -> None:
        """Do not write frames whose error field is non-zero."""
        self._drop_errors = bool(drop)

    def getChannel(self, channel: int) -> "StreamWriterChannel":
        """The slave for ``channel`` (created once): 0 writes each frame's own channel, n writes n."""
        channel = int(channel)
        if not 0 <= channel <= 0xFF:
            raise GeneralError("StreamWriter::getChannel", f"channel {channel} is out of range 0..255")
        with self._lock:
            ch = self._channels.get(channel)
            if ch is None:
                ch = self._channels[channel] = StreamWriterChannel(self, channel)
            return ch

    # -- counters ----------------------------------------------------------------------------
    def getTotalSize(self) -> int:
        """Bytes written since ``open()``, buffered ones included, over every file of a series."""
        with self._lock:
            return self._sink.total + self._sink.buffered

    def getCurrentSize(self) -> int:
        """Bytes of the current file, buffered ones included."""
        with self._lock:
            return self._sink.current + self._sink.buffered

    def getBandwidth(self) -> float:
        """Bytes per second written over the last second."""
        now = time.monotonic()
        with self._lock:
            bw = self._bw
            while len(bw) > 1 and bw[1][0] <= now - 1.0:
                bw.popleft()
            if not bw:
                return 0.0
            t0, b0 = bw[0]
            nbytes = self._bytes - b0
        dt = now - t0
        return float(nbytes) / dt if dt > 0 and nbytes else 0.0

    def getFrameCount(self) -> int:
        """Frames written since ``open()``, buffered ones included (not empty, dropped or lost ones)."""
        return self._frames - self._sink.lost

    def waitFrameCount(self, count: int, timeout: int = 0) -> bool:
        """Wait until ``count`` frames are written, at most ``timeout`` µs (0: for ever); True if they are."""
        return _wait(self._cond, self, lambda: self.getFrameCount() >= count, timeout)

    def getFileCount(self) -> int:
        """Files started since ``open()`` (1, or the series' length with a max size)."""
        return self._sink.files

    def getCurrentFile(self) -> str:
        """The path of the file being written (``path.N`` in a series); '' before ``open()``."""
        return self._sink.path

    def getErrorCount(self) -> int:
        """Failed writes since creation (each one closed the file)."""
        return self._sink.errors

    def getDropCount(self) -> int:
        """Frames not written since ``open()`` because a write error had closed the file."""
        return self._sink.dropped

    # -- the hot path (called by the channels) --------------------------------------------------
    def _writeFile(self, channel: int, frame: ris.Frame, port: "StreamWriterChannel") -> None:
        size = frame._payload
        fbuf = frame._buf
        data = fbuf if size == len(fbuf) else memoryview(fbuf)[:size]
        self._acquire()  # bound methods, no ``with``: half the cost of a lock on the hot path
        try:
            port._count += 1
            sink = self._sink
            if not size or (self._drop_errors and frame._error) or sink.fd < 0:
                if size and sink.failed and self._is_open:
                    sink.dropped += 1
            else:
                raw = self._raw
                rec = size if raw else size + 8
                if sink.limit:
                    sink.make_room(rec)
                    if sink.fd < 0:  # the next file of the series could not be opened
                        sink.dropped += 1
                        rec = 0
                if not rec:
                    pass
                elif sink.buffered + rec <= sink.buf_size:  # the common case: into the buffer
                    b = sink._buf
                    if not raw:
                        b += _pack(size + 4, frame._flags, frame._error, channel)
                    b += data
                    sink.buffered += rec
                    sink._records += 1
                elif raw:
                    sink.write(rec, data)
                else:
                    sink.write(rec, _pack(size + 4, frame._flags, frame._error, channel), data)
                if rec and sink.fd >= 0:
                    self._frames += 1
                    nbytes = self._bytes = self._bytes + rec
                    skip = self._bw_skip - 1
                    if skip <= 0 or rec >= 4096:  # the clock is read for one small frame in 16
                        skip = 16
                        now = time.monotonic()
                        if now >= self._bw_next:
                            self._bw.append((now, nbytes - rec))
                            self._bw_next = now + _BW_STEP_S
                    self._bw_skip = skip
        finally:
            self._release()
        if self._waiters or port._waiters:
            for cond in (self._cond, port._cond):
                with cond:
                    cond.notify_all()

    def __repr__(self) -> str:
        state = f"open {self._sink.path!r}" if self.isOpen() else "closed"
        return f"<StreamWriter {state} frames={self._frames}>"


def _wait(cond: threading.Condition, owner: StreamWriter | StreamWriterChannel, done: Callable[[], bool],
          timeout_us: int) -> bool:
    """Wait on ``cond`` until ``done()``; ``timeout_us`` 0 waits for ever."""
    end = None if not timeout_us else time.monotonic() + int(timeout_us) / 1e6
    with cond:
        owner._waiters += 1
        try:
            while not done():
                left = 0.1 if end is None else min(0.1, end - time.monotonic())
                if left <= 0:
                    return False
                cond.wait(left)  # also re-checks now and then: a count may grow without a notify
            return True
        finally:
            owner._waiters -= 1


class StreamWriterChannel(ris.Slave):
    """A stream slave writing into its :class:`StreamWriter` (from ``writer.getChannel(n)``).

    The payload is read without taking the frame's lock (Rogue takes it): a
    frame is handed over whole, and the lock would cost as much as the write of
    a small frame. A slave that goes on changing frames it has passed on from
    another thread must copy them first.
    """

    def __init__(self, writer: StreamWriter, channel: int) -> None:
        super().__init__()
        self._writer = writer
        self._channel = int(channel)
        self._count = 0
        self._waiters = 0
        self._cond = threading.Condition(threading.Lock())

    def _acceptFrame(self, frame: ris.Frame) -> None:
        """Write ``frame`` as a record (channel: the frame's own for channel 0, else this one's)."""
        self._writer._writeFile(self._channel or frame._channel, frame, self)

    def getFrameCount(self) -> int:
        """Frames received since the writer's ``open()`` (written or not)."""
        return self._count

    def setFrameCount(self, count: int) -> None:
        """Set the received-frame counter."""
        with self._writer._lock:
            self._count = int(count)

    def waitFrameCount(self, count: int, timeout: int = 0) -> bool:
        """Wait until ``count`` frames were received, at most ``timeout`` µs (0: for ever)."""
        return _wait(self._cond, self, lambda: self._count >= count, timeout)

    def __repr__(self) -> str:
        return f"<StreamWriterChannel {self._channel} frames={self._count}>"
