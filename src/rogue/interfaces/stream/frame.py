"""``Frame``: one unit of stream data with its metadata.

A frame is one contiguous buffer plus a payload count: a writable ``bytearray``
for frames a master fills, or the read-only buffer a bridge received (bytes, or
a zero-copy ZeroMQ buffer), which is copied into a ``bytearray`` the first time
somebody writes to it (copy on write). Metadata: 16-bit flags (first user in
bits 7:0, last user in bits 15:8), 8-bit channel and 8-bit error.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Union

from ..._errors import GeneralError
from ..._held_lock import HeldLock

if TYPE_CHECKING:
    import numpy as np
    from _typeshed import ReadableBuffer, WriteableBuffer

#: What a frame's payload lives in: its own bytearray, or received bytes or memory (copied on first write).
FrameBuffer = Union[bytearray, bytes, memoryview]

__all__ = ["Frame", "FrameLock"]

class FrameLock(HeldLock):
    """A held frame lock, as ``Frame.lock()`` returns it (Rogue's ``FrameLock``).

    Locked when made; a context manager (released at the end of the ``with``
    block), also ``unlock()`` / ``lock()``; one dropped while still held is
    released then, as Rogue's destructor does. Reentrant, per thread.
    """

    __slots__ = ()


def _as_bytes_view(buf: ReadableBuffer) -> memoryview:
    """A flat unsigned-byte view of any buffer (copying only a non-contiguous one)."""
    mv = memoryview(buf)
    if mv.format == "B" and mv.ndim == 1 and mv.c_contiguous:
        return mv
    if mv.c_contiguous:
        try:
            return mv.cast("B")
        except TypeError:  # e.g. a non-native byte order format
            pass
    return memoryview(mv.tobytes())


def _u8(src: str, name: str, value: int, limit: int = 0xFF) -> int:
    value = int(value)
    if not 0 <= value <= limit:
        raise GeneralError(src, f"{name} {value} is out of range 0..{limit}")
    return value


class Frame:
    """A stream frame: payload bytes in one buffer, flags, channel and error.

    Frames are made by a master's ``_reqFrame(size, zeroCopyEn)`` (or by a
    bridge receiving one), not by users. ``getSize()`` is the capacity,
    ``getPayload()`` the number of valid bytes.
    """

    __slots__ = ("_buf", "_payload", "_flags", "_channel", "_error", "_rlock", "__weakref__")

    def __init__(self, size: int = 0) -> None:
        self._buf: FrameBuffer = bytearray(size)
        self._payload = 0
        self._flags = 0
        self._channel = 0
        self._error = 0
        self._rlock: threading.RLock | None = None

    @classmethod
    def _wrap(cls, buf: FrameBuffer, flags: int = 0, channel: int = 0, error: int = 0) -> "Frame":
        """A frame whose payload is exactly ``buf`` (not copied; copied on first write).

        ``buf`` is any object with the buffer protocol: received ``bytes``, a
        ``memoryview`` of a ZeroMQ frame, or a ``bytearray`` the frame may own.
        """
        f = cls.__new__(cls)
        f._buf = buf
        f._payload = len(buf)
        f._flags = flags
        f._channel = channel
        f._error = error
        f._rlock = None
        return f

    def _view(self) -> memoryview:
        """A read-only-or-not view of the payload, without copying (for bridges)."""
        buf = self._buf
        if self._payload == len(buf):
            return memoryview(buf)
        return memoryview(buf)[: self._payload]

    def _data(self) -> FrameBuffer:
        """The payload as a buffer object, without copying when it is the whole buffer."""
        buf = self._buf
        if self._payload == len(buf):
            return buf
        return memoryview(buf)[: self._payload]

    def _writable(self) -> bytearray:
        buf = self._buf
        if type(buf) is not bytearray:
            buf = self._buf = bytearray(buf)
        return buf

    # -- locking -----------------------------------------------------------
    def lock(self) -> FrameLock:
        """Lock the frame (``with frame.lock(): ...``) against other threads."""
        return FrameLock.of(self)

    # -- sizes -------------------------------------------------------------
    def getSize(self) -> int:
        """Capacity in bytes."""
        return len(self._buf)

    def getAvailable(self) -> int:
        """Capacity left beyond the payload."""
        return len(self._buf) - self._payload

    def getPayload(self) -> int:
        """Number of valid payload bytes."""
        return self._payload

    def setPayload(self, size: int) -> None:
        """Set the payload size; it may not exceed the capacity."""
        size = int(size)
        if size < 0 or size > len(self._buf):
            raise GeneralError("Frame.setPayload", f"payload size {size} is outside the frame capacity {len(self._buf)}")
        self._payload = size

    def minPayload(self, size: int) -> None:
        """Grow the payload to at least ``size`` bytes (never shrinks it)."""
        if size > self._payload:
            self.setPayload(size)

    def adjustPayload(self, value: int) -> None:
        """Add ``value`` (which may be negative) to the payload size."""
        size = self._payload + int(value)
        if size < 0:
            raise GeneralError("Frame.adjustPayload", f"adjustment {value} makes payload {self._payload} negative")
        self.setPayload(size)

    def isEmpty(self) -> bool:
        """True when the payload is 0 bytes."""
        return self._payload == 0

    def clear(self) -> None:
        """Drop the payload (capacity and metadata stay)."""
        self._payload = 0

    # -- data ----------------------------------------------------------------
    def write(self, buf: ReadableBuffer, offset: int = 0) -> None:
        """Copy ``buf`` (any buffer) into the frame at ``offset``; grows the payload to its end."""
        mv = _as_bytes_view(buf)
        end = offset + mv.nbytes
        if offset < 0 or end > len(self._buf):
            raise GeneralError(
                "Frame.write",
                f"writing {mv.nbytes} bytes at offset {offset} exceeds the frame capacity {len(self._buf)}",
            )
        if mv.nbytes:
            self._writable()[offset:end] = mv
        if end > self._payload:
            self._payload = end

    def read(self, buf: WriteableBuffer, offset: int = 0) -> None:
        """Fill the writable buffer ``buf`` with payload bytes starting at ``offset``."""
        dst = memoryview(buf)
        # A non-contiguous destination would be filled through a temporary copy
        # and the bytes silently lost, so refuse it as well as a read-only one.
        if dst.readonly or not dst.c_contiguous:
            raise GeneralError(
                "Frame.read",
                f"the destination buffer must be writable and C-contiguous "
                f"(readonly={dst.readonly}, c_contiguous={dst.c_contiguous})",
            )
        mv = _as_bytes_view(dst)
        end = offset + mv.nbytes
        if offset < 0 or end > self._payload:
            raise GeneralError(
                "Frame.read", f"reading {mv.nbytes} bytes at offset {offset} exceeds the payload size {self._payload}"
            )
        mv[:] = memoryview(self._buf)[offset:end]

    def _span(self, src: str, offset: int, count: int) -> tuple[int, int]:
        if count == 0:
            count = self._payload - offset
        end = offset + count
        if offset < 0 or count < 0 or end > self._payload:
            raise GeneralError(src, f"reading {count} bytes at offset {offset} exceeds the payload size {self._payload}")
        return offset, end

    def getBa(self, offset: int = 0, count: int = 0) -> bytearray:
        """A ``bytearray`` copy of the payload (``count`` 0 means to the end)."""
        start, end = self._span("Frame.getBa", offset, count)
        return bytearray(memoryview(self._buf)[start:end])

    def getBytes(self, offset: int = 0, count: int = 0) -> bytes:
        """A ``bytes`` copy of the payload (``count`` 0 means to the end)."""
        start, end = self._span("Frame.getBytes", offset, count)
        return bytes(memoryview(self._buf)[start:end])

    def getMemoryview(self) -> memoryview:
        """A ``memoryview`` of a copy of the payload."""
        return memoryview(self.getBa())

    def getNumpy(self, offset: int = 0, count: int = 0) -> "np.ndarray":
        """A ``numpy.uint8`` array copy of the payload (``count`` 0 means to the end)."""
        import numpy as np

        start, end = self._span("Frame.getNumpy", offset, count)
        copy: np.ndarray = np.frombuffer(self._buf, dtype=np.uint8, count=end - start, offset=start).copy()
        return copy

    def putNumpy(self, arr: "np.ndarray", offset: int = 0) -> None:
        """Write the bytes of a numpy array (any dtype, contiguous or not) at ``offset``."""
        import numpy as np

        self.write(np.ascontiguousarray(arr).data, offset)

    # -- metadata ------------------------------------------------------------
    def getFlags(self) -> int:
        """The 16-bit flags."""
        return self._flags

    def setFlags(self, flags: int) -> None:
        """Set the 16-bit flags."""
        self._flags = _u8("Frame.setFlags", "flags", flags, 0xFFFF)

    def getFirstUser(self) -> int:
        """First-user field: flags bits 7:0."""
        return self._flags & 0xFF

    def setFirstUser(self, value: int) -> None:
        """Set flags bits 7:0."""
        self._flags = (self._flags & 0xFF00) | _u8("Frame.setFirstUser", "firstUser", value)

    def getLastUser(self) -> int:
        """Last-user field: flags bits 15:8."""
        return self._flags >> 8

    def setLastUser(self, value: int) -> None:
        """Set flags bits 15:8."""
        self._flags = (self._flags & 0x00FF) | (_u8("Frame.setLastUser", "lastUser", value) << 8)

    def getChannel(self) -> int:
        """The 8-bit channel."""
        return self._channel

    def setChannel(self, channel: int) -> None:
        """Set the 8-bit channel."""
        self._channel = _u8("Frame.setChannel", "channel", channel)

    def getError(self) -> int:
        """The 8-bit error (0: no error)."""
        return self._error

    def setError(self, error: int) -> None:
        """Set the 8-bit error."""
        self._error = _u8("Frame.setError", "error", error)

    def _debug(self) -> None:
        """Print the frame's sizes and metadata to stdout (Rogue's ``Frame._debug``; one buffer here)."""
        size, payload = len(self._buf), self._payload
        print(f"Frame Info. BufferCount: 1, Size: {size}, Available: {size - payload}, Payload: {payload}, "
              f"Channel: {self._channel}, Error: 0x{self._error:x}, Flags: 0x{self._flags:x}")
        print(f"   Buffer 0: Size: {size}, Payload: {payload}, HeadRoom: 0, TailRoom: 0")

    def __len__(self) -> int:
        return self._payload

    def __repr__(self) -> str:
        return (
            f"<Frame payload={self._payload} size={len(self._buf)} flags=0x{self._flags:04x} "
            f"channel={self._channel} error={self._error}>"
        )
