"""The file end of a ``StreamWriter``: descriptors, buffering, splitting into ``name.1``, ``name.2``...

``_Sink`` knows nothing of frames: it writes records (header + payload, or the
payload alone in raw mode) given as buffers. The caller holds the writer's
lock. A failed write (disk full, permissions, I/O error) is one logged error:
the file is cut back to its last complete record, closed, and the sink counts
what it could not write from then on.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

__all__ = ["Sink"]

_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
_MODE = 0o666  # Rogue's permissions, less the umask
_IOV_MAX = 512


class Sink:
    """Writes whole records to ``base`` (or ``base.1``, ``base.2``, ... with a size limit)."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self.fd = -1
        self.base = ""
        self.path = ""
        self.index = 0  # 0: unsplit; else the number of the current file of the series
        self.files = 0  # files opened since open()
        self.limit = 0  # maxSize (0: none)
        self.buf_size = 0
        self._buf = bytearray()
        self.buffered = 0  # bytes waiting in the buffer
        self._records = 0  # records waiting in the buffer
        self.total = 0  # bytes written to the files since open()
        self.current = 0  # bytes written to the current file
        self.errors = 0  # failed writes (each closes the file)
        self.dropped = 0  # records not written because a failure closed the file
        self.lost = 0  # of those, records already counted as written (they were in the buffer)
        self.failed = False  # a write failed since open()

    # -- files ---------------------------------------------------------------------------
    def open(self, base: str) -> None:
        """Start a new recording at ``base`` (``base.1`` with a size limit): truncated, counters reset."""
        self.close()
        self.base = base
        self.total = self.current = self.buffered = 0
        self.files = 0
        self.failed = False
        self.dropped = self.lost = 0
        if self.limit > 0:
            self.index = 1
            self._remove_stale(2)
            self._open_file(f"{base}.1")
        else:
            self.index = 0
            self._open_file(base)

    def _open_file(self, path: str) -> None:
        from ..._errors import GeneralError

        try:
            self.fd = os.open(path, _FLAGS, _MODE)
        except OSError as exc:
            self.fd = -1
            raise GeneralError("StreamWriter::open", f"Failed to open data file: {path}: {exc.strerror}") from None
        self.path = path
        self.current = 0
        self.files += 1

    def _remove_stale(self, first: int) -> None:
        """Remove ``base.N``, ``base.N+1``, ... left by an earlier, longer recording of the same name.

        A reader of a series goes on from ``.1`` while the next number exists,
        so leftovers would be read as part of the new recording.
        """
        k = first
        while os.path.exists(f"{self.base}.{k}"):
            try:
                os.remove(f"{self.base}.{k}")
                self._log.info("removed %s.%d of an earlier recording of the same name", self.base, k)
            except OSError as exc:
                self._log.warning("could not remove %s.%d of an earlier recording: %s", self.base, k, exc.strerror)
                return
            k += 1

    def close(self) -> None:
        """Write what is buffered and close the file."""
        if self.fd < 0:
            self._drop_buffer()
            return
        self.flush()
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            try:
                os.close(fd)
            except OSError as exc:  # e.g. a deferred write error of a network file system
                self.errors += 1
                self._log.error("closing %s failed: %s", self.path, exc.strerror)

    @property
    def is_open(self) -> bool:
        return self.fd >= 0

    # -- writing -----------------------------------------------------------------------------
    def make_room(self, size: int) -> None:
        """Before a record of ``size`` bytes: start the next file of the series when it would pass the limit."""
        from ..._errors import GeneralError

        if size > self.limit:
            self.dropped += 1
            raise GeneralError("StreamWriter::checkSize", "Frame size is larger than file size limit")
        if size + self.buffered + self.current > self.limit:
            self.flush()
            old = self.fd
            if old < 0:
                return
            self.index += 1
            try:
                # The next file replaces the current one in ``fd`` with no closed moment between them: a reader
                # of isOpen() in another thread (a recorder's status) must not see a rotation as the end.
                self._open_file(f"{self.base}.{self.index}")
            except GeneralError as exc:
                self.errors += 1
                self.failed = True
                self._log.error("%s; the recording stops here, later frames are not recorded", exc.msg)
            finally:
                os.close(old)

    def write(self, size: int, *pieces: ReadableBuffer) -> None:
        """Write one record of ``size`` bytes given as ``pieces`` (kept by reference while buffered)."""
        if self.fd < 0:
            self.dropped += 1
            return
        bs = self.buf_size
        if bs:
            if size + self.buffered > bs:
                self.flush()
                if self.fd < 0:
                    self.dropped += 1
                    return
            if size <= bs:
                buf = self._buf
                for p in pieces:
                    buf += p
                self.buffered += size
                self._records += 1
                return
        self._write_out(list(pieces), size)

    def flush(self) -> None:
        """Write the buffered records now."""
        if not self.buffered:
            return
        n, self.buffered = self.buffered, 0
        records, self._records = self._records, 0
        buf = self._buf
        if self.fd < 0:
            self.dropped += records
            self.lost += records
            buf.clear()
            return
        if not self._write_out([buf], n):
            self.dropped += records - 1  # _fail counted one
            self.lost += records
        buf.clear()

    def _drop_buffer(self) -> None:
        self.dropped += self._records
        self.lost += self._records
        self._buf.clear()
        self.buffered = self._records = 0

    def _write_out(self, pieces: list[ReadableBuffer], size: int) -> bool:
        """``writev`` until every byte is written; on failure cut back, close and log once."""
        fd = self.fd
        try:
            done = os.writev(fd, pieces) if len(pieces) <= _IOV_MAX else self._write_each(fd, pieces)
            while done < size:  # a short write (disk nearly full, a signal): go on from where it stopped
                n = os.writev(fd, _skip(pieces, done)[:_IOV_MAX])
                if n == 0:
                    raise OSError(0, "the device accepted no more bytes")
                done += n
        except OSError as exc:
            self._fail(exc)
            return False
        self.current += size
        self.total += size
        return True

    @staticmethod
    def _write_each(fd: int, pieces: list[ReadableBuffer]) -> int:
        done = 0
        for k in range(0, len(pieces), _IOV_MAX):
            done += os.writev(fd, pieces[k:k + _IOV_MAX])
        return done

    def _fail(self, exc: OSError) -> None:
        """A write failed: keep the file's complete records, close it, say so once."""
        self.errors += 1
        self.failed = True
        self.dropped += 1
        fd, self.fd = self.fd, -1
        try:
            os.ftruncate(fd, self.current)  # a record written in part would read as a cut record
        except OSError:
            pass
        try:
            os.close(fd)
        except OSError:
            pass
        self._drop_buffer()
        self._log.error("Write to %s failed: %s; file closed after %d bytes, later frames are not recorded",
                        self.path, exc.strerror or exc, self.current)


def _skip(pieces: list[ReadableBuffer], n: int) -> list[ReadableBuffer]:
    """``pieces`` without their first ``n`` bytes."""
    out: list[ReadableBuffer] = []
    for p in pieces:
        mv = memoryview(p)
        if n >= mv.nbytes:
            n -= mv.nbytes
            continue
        out.append(mv[n:] if n else mv)
        n = 0
    return out
