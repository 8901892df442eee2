"""``StreamReader``: replays a data file (or a ``name.1``, ``name.2``, ... series) as stream frames.

As C++ Rogue 6.15 (``fileio.json``): each record becomes a frame with its
flags, error and channel; records of size 1..4 (no payload) are skipped; a
size of 0 ends reading; a record cut short by the end of the file is sent with
error 0x1 and no payload, and ends reading. Unlike Rogue, a file name without
a ``.`` is fine, a cut record or a zero size is logged once with its offset,
a file whose very first record is cut (a text file, another format) sends
nothing, as ``FileReader`` does, and ``close()`` stops within one record.
"""

from __future__ import annotations

import mmap
import os
import threading

import rogue.interfaces.stream as ris

from ..._errors import GeneralError
from ..._logging import Logging
from ._format import HEADER_SIZE, decode_header, scan_chunks

__all__ = ["StreamReader", "map_file", "series"]


def series(path: str) -> list[str]:
    """The files Rogue reads for ``path``: ``x.1``, ``x.2``, ... while they exist when it ends in ``.1``."""
    if not path.endswith(".1"):
        return [path]
    base = path[:-2]
    out = [path]
    k = 2
    while os.path.exists(f"{base}.{k}"):
        out.append(f"{base}.{k}")
        k += 1
    return out


def map_file(path: str) -> mmap.mmap | bytes:
    """The file's bytes, memory-mapped read-only (``b''`` for an empty file)."""
    with open(path, "rb") as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return b""
        return mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)


class StreamReader(ris.Master):
    """Sends the records of a data file as frames, from a background thread (Rogue's ``StreamReader``)."""

    def __init__(self) -> None:
        super().__init__()
        self._log = Logging.create("fileio.StreamReader")
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._run = threading.Event()
        self._active = threading.Event()
        self._file = ""  # the file being read ('' when none)
        self._frames = 0
        self._bytes = 0
        self._problems: list[str] = []

    def open(self, file: str) -> None:
        """Start sending the records of ``file`` (and ``.2``, ``.3``, ... when it ends in ``.1``)."""
        file = str(file)
        self.close()
        try:
            with open(file, "rb"):
                pass
        except OSError as exc:
            raise GeneralError("StreamReader::open", f"Failed to open data file: {file}: {exc.strerror}") from None
        with self._lock:
            self._frames = self._bytes = 0
            self._problems = []
            self._file = file
            self._run.set()
            self._active.set()
            self._thread = threading.Thread(target=self._main, args=(file,), daemon=True,
                                            name="rogue-bridge:StreamReader:read")
            self._thread.start()

    def close(self) -> None:
        """Stop reading (within one record) and close the file."""
        self._run.clear()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(2.0)
            if t.is_alive():
                self._log.warning("a slave holds the reader's thread; waiting for it to return")
                t.join()
        self._thread = None

    def closeWait(self) -> None:
        """Wait until every record was sent, then close."""
        while self._active.is_set():
            t = self._thread
            if t is None:
                break
            t.join(0.1)
        self.close()

    def isActive(self) -> bool:
        """True while records are being sent."""
        return self._active.is_set()

    def isOpen(self) -> bool:
        """True while a file is open."""
        return bool(self._file)

    # -- beyond Rogue ----------------------------------------------------------------------
    def getFrameCount(self) -> int:
        """Frames sent since ``open()``."""
        return self._frames

    def getByteCount(self) -> int:
        """Payload bytes sent since ``open()``."""
        return self._bytes

    def getProblems(self) -> list[str]:
        """What ended reading early (a cut record, a zero size), one line each, since ``open()``."""
        return list(self._problems)

    # -- the thread ------------------------------------------------------------------------------
    def _main(self, first: str) -> None:
        try:
            for path in series(first):
                if not self._run.is_set() or not self._send_file(path):
                    break
        except Exception as exc:  # noqa: BLE001 - reported, never a dead thread with a traceback
            self._problem(f"reading {self._file} failed: {type(exc).__name__}: {exc}")
        finally:
            self._file = ""
            self._active.clear()

    def _problem(self, text: str) -> None:
        self._problems.append(text)
        self._log.warning("%s", text)

    def _send_file(self, path: str) -> bool:
        """Send one file's records; False when reading must stop (a cut record or a zero size)."""
        try:
            buf = map_file(path)
        except OSError as exc:
            self._problem(f"cannot read {path}: {exc.strerror}")
            return False
        self._file = path
        view = memoryview(buf)
        try:
            req, send, run = self._reqFrame, self._sendFrame, self._run
            skipped, first_skip = 0, -1
            for idx in scan_chunks(buf, path):
                if idx.skipped:
                    skipped += idx.skipped
                    first_skip = idx.skipped_first if first_skip < 0 else first_skip
                for o, n, f, e, c in zip(idx.offset.tolist(), idx.size.tolist(), idx.flags.tolist(),
                                         idx.error.tolist(), idx.channel.tolist()):
                    if not run.is_set():
                        return False
                    if n <= 0:
                        continue  # an empty record: Rogue sends nothing for it
                    frame = req(n, True)
                    frame.write(view[o + HEADER_SIZE:o + HEADER_SIZE + n])
                    frame.setFlags(f)
                    frame.setError(e)
                    frame.setChannel(c)
                    send(frame)
                    self._frames += 1
                    self._bytes += n
            if skipped:
                self._log.warning("%s: skipped %d record headers with a size below 4 (first at offset %d)",
                                  path, skipped, first_skip)
            p = idx.problem
            if p is None:
                return True
            if p.kind == "truncated header" and idx.length - p.offset < 4:
                # Rogue ends such a file quietly (its size word is incomplete) and reads on.
                self._log.warning("%s: %s; going on with the next file", path, p.message)
                return True
            if p.kind == "truncated record" and p.offset == 0:
                # Not one complete record: a text file or another format, not a cut recording. FileReader and
                # rogue-bridge play give nothing for it; Rogue's error-0x1 frame would invent one.
                self._problem(f"{path}: not a Rogue data file ({p.message}); nothing sent")
                return False
            self._problem(f"{path}: {p.message}")
            if p.kind == "truncated record" and run.is_set():
                h = decode_header(view, p.offset)
                frame = req(0, True)
                frame.setFlags(h.flags)
                frame.setChannel(h.channel)
                frame.setError(0x1)  # Rogue's mark of a short read; the partial payload is not delivered
                send(frame)
                self._frames += 1
            return False
        finally:
            view.release()
            del view
            if isinstance(buf, mmap.mmap):
                try:
                    buf.close()
                except BufferError:  # a slave kept a view; the mapping goes with it
                    pass
