"""``FileReader``: pyrogue's data-file reader, without pyrogue, over memory-mapped files.

The API is pyrogue's (``pyrogue.utilities.fileio.FileReader``), so an analysis
script moves over by changing its import. ``records()`` yields ``(header,
data)`` (``(header, batch_header, data)`` with ``batched=True``) with the
header fields pyrogue gives (``header.size`` is the payload in bytes);
``data`` is a numpy ``int8`` array as in pyrogue, but a view into the
memory-mapped file, not a copy (``data.copy()`` keeps it past the file). Beyond
pyrogue: :meth:`index` (numpy arrays of every record, no Python loop per
record), ``records(channel=...)`` and a cut last record logged once with its
offset instead of ended silently.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Iterable, Iterator

import numpy as np

from ..._errors import GeneralError
from ._batch import BatchError, BatchHeader, split_batch
from ._format import HEADER_SIZE, RecordIndex, RogueHeader, scan, scan_chunks
from .stream_reader import map_file

__all__ = ["BatchHeader", "FileReader", "FileReaderException", "RogueHeader"]

_header = RogueHeader._make


class FileReaderException(GeneralError):
    """A data file cannot be read (pyrogue's ``FileReaderException``; also a ``rogue.GeneralError``)."""


class FileReader:
    """Reads Rogue data files record by record (pyrogue's ``FileReader``).

    ``files``: one path or a list of paths, read in that order. ``configChan``:
    the channel whose records are YAML configuration/status text, merged into
    :attr:`configDict` instead of being yielded (needs PyYAML). ``log``: a
    :class:`logging.Logger` (default ``pyrogue.FileReader``). ``batched``: each
    data record holds sub-frames, each yielded on its own with its
    :class:`BatchHeader` (see ``_batch``). ``dtype`` (beyond pyrogue): the
    payload arrays' dtype, ``numpy.int8`` by default as in pyrogue.
    """

    def __init__(self, files: str | os.PathLike[str] | list[Any], configChan: int | None = None,
                 log: logging.Logger | None = None, batched: bool = False, *, dtype: Any = np.int8) -> None:
        self._configChan = configChan
        self._batched = bool(batched)
        self._config: dict[str, Any] = {}
        self._currCount = 0
        self._totCount = 0
        self._dtype = np.dtype(dtype)
        self._log = log if log is not None else logging.getLogger("pyrogue.FileReader")
        self._fileList = [os.fspath(f) for f in files] if isinstance(files, (list, tuple)) else [os.fspath(files)]
        for fn in self._fileList:
            if not os.path.isfile(fn) or not os.access(fn, os.R_OK):
                why = "no such file" if not os.path.exists(fn) else "not a readable file"
                raise FileReaderException(f"Failed to read file {fn}: {why}")

    # -- pyrogue's API ---------------------------------------------------------------------
    def records(self, channel: int | Iterable[int] | None = None) -> Iterator[tuple[Any, ...]]:
        """Yield ``(header, data)`` for every data record of every file, in order.

        ``header`` is a :class:`RogueHeader` (``size``: payload bytes, as in
        pyrogue; ``flags``, ``error``, ``channel``), ``data`` the payload as a
        numpy view. With ``batched=True``: ``(header, batch_header, data)`` for
        every sub-frame, ``header`` the record's (shared by its sub-frames),
        ``data`` the sub-frame's bytes; a record that does not split into
        sub-frames raises :class:`FileReaderException` after the sub-frames
        before the fault. ``channel`` (beyond pyrogue): yield only records of
        this channel (or these channels); configuration records are processed
        either way.
        """
        self._config = {}
        self._currCount = 0
        self._totCount = 0
        cfg = self._configChan
        want: set[int] | None = None
        if channel is not None:
            want = {int(channel)} if isinstance(channel, (int, np.integer)) else {int(c) for c in channel}
        for fn in self._fileList:
            self._currCount = 0
            self._log.debug("Processing data records from %s", fn)
            buf = self._map(fn)
            data = np.frombuffer(buf, dtype=np.uint8) if len(buf) else np.zeros(0, dtype=np.uint8)
            one_byte = self._dtype.itemsize == 1
            if one_byte and self._dtype != np.uint8:
                data = data.view(self._dtype)
            skipped, first_skip, idx = 0, -1, None
            for idx in scan_chunks(buf, fn):  # the index is built a piece at a time: memory stays flat
                if idx.skipped:
                    skipped += idx.skipped
                    first_skip = idx.skipped_first if first_skip < 0 else first_skip
                for o, s, f, e, c in zip(idx.offset.tolist(), idx.size.tolist(), idx.flags.tolist(),
                                         idx.error.tolist(), idx.channel.tolist()):
                    if c == cfg:
                        self._updateConfig(self._parse_config(fn, buf, o, s))
                        continue
                    if want is not None and c not in want:
                        continue
                    self._currCount += 1
                    self._totCount += 1
                    start = o + HEADER_SIZE
                    if self._batched:
                        yield from self._sub_frames(fn, buf, data, _header((s, f, e, c)), start, start + s)
                        continue
                    payload = data[start:start + s]
                    yield _header((s, f, e, c)), payload if one_byte else self._cast(fn, o, payload)
            self._report(fn, idx, skipped, first_skip)
            self._log.debug("Processed %d data records from %s", self._currCount, fn)
        self._log.debug("Processed a total of %d data records", self._totCount)

    @property
    def currCount(self) -> int:
        """Data records yielded from the current file."""
        return self._currCount

    @property
    def totCount(self) -> int:
        """Data records yielded from all files."""
        return self._totCount

    @property
    def configDict(self) -> dict[str, Any]:
        """The configuration/status read from ``configChan`` records so far."""
        return self._config

    def configValue(self, path: str) -> Any:
        """The configuration value at ``path`` (``'a.b.c'``)."""
        obj: Any = self._config
        for a in path.split("."):
            if isinstance(obj, dict) and a in obj:
                obj = obj[a]
            else:
                raise FileReaderException(f"Failed to find path {path}")
        return obj

    def __enter__(self) -> "FileReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- beyond pyrogue ------------------------------------------------------------------------
    def index(self, file: int | str = 0) -> RecordIndex:
        """Numpy arrays of every complete record of one file (by position in ``files`` or by name).

        ``offset``, ``size`` (payload bytes, as ``header.size``), ``flags``,
        ``error``, ``channel`` (see :class:`RecordIndex`;
        ``.select(channel=...)`` filters). Config records are included: select
        them out with ``select`` when needed. One entry per record, also with
        ``batched=True``.
        """
        fn = self._fileList[file] if isinstance(file, int) else os.fspath(file)
        return self._open(fn)[1]

    def data(self, file: int | str = 0) -> np.ndarray:
        """The whole file as a read-only numpy ``uint8`` array (memory-mapped): slice it with the index."""
        fn = self._fileList[file] if isinstance(file, int) else os.fspath(file)
        buf = self._open(fn)[0]
        return np.frombuffer(buf, dtype=np.uint8) if len(buf) else np.zeros(0, dtype=np.uint8)

    def close(self) -> None:
        """Nothing to release: a file's mapping is unmapped when the last array viewing it is gone."""

    # -- internals ------------------------------------------------------------------------------
    def _map(self, fn: str) -> Any:
        try:
            return map_file(fn)
        except OSError as exc:
            raise FileReaderException(f"Failed to read file {fn}: {exc.strerror}") from None

    def _open(self, fn: str) -> tuple[Any, RecordIndex]:
        buf = self._map(fn)
        return buf, scan(buf, name=fn)

    def _report(self, fn: str, idx: RecordIndex | None, skipped: int, first_skip: int) -> None:
        if idx is None:
            return
        if idx.length == 0:
            self._log.warning("%s is empty: no records", fn)
        if skipped:
            self._log.warning("%s: skipped %d record headers with a size below 4 (first at offset %d)",
                              fn, skipped, first_skip)
        if idx.problem is not None:
            self._log.warning("File under run reading %s: %s", fn, idx.problem.message)

    def _sub_frames(self, fn: str, buf: Any, data: np.ndarray, header: RogueHeader, start: int,
                    end: int) -> Iterator[tuple[RogueHeader, BatchHeader, np.ndarray]]:
        one_byte = self._dtype.itemsize == 1
        try:
            for bhead, lo, hi in split_batch(buf, start, end):
                sub = data[lo:hi]
                yield header, bhead, sub if one_byte else self._cast(fn, start - HEADER_SIZE, sub)
        except BatchError as exc:
            raise FileReaderException(f"{fn}: record at offset {start - HEADER_SIZE}: {exc}") from None

    def _cast(self, fn: str, offset: int, payload: np.ndarray) -> np.ndarray:
        try:
            return payload.view(self._dtype)
        except ValueError:
            raise FileReaderException(f"record at offset {offset} of {fn}: {payload.nbytes} bytes are not a "
                                      f"whole number of {self._dtype} items") from None

    def _parse_config(self, fn: str, buf: Any, offset: int, size: int) -> Any:
        try:
            import yaml
        except ImportError:
            raise FileReaderException(f"{fn} has configuration records (channel {self._configChan}) and reading "
                                      "them needs PyYAML: pip install pyyaml (or pass configChan=None)") from None
        text = bytes(buf[offset + HEADER_SIZE:offset + HEADER_SIZE + size]).decode("utf-8", errors="replace")
        try:
            return yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise FileReaderException(f"Failed to read config from {fn} (record at offset {offset}): {exc}") from None

    def _updateConfig(self, new: Any) -> None:
        """Merge one config record, as pyrogue does (``a.b`` keys become nested dicts)."""
        if not isinstance(new, dict):
            if new is not None:
                self._log.warning("configuration record is not a mapping (%s): ignored", type(new).__name__)
            return
        for k, v in new.items():
            if isinstance(k, str) and "." in k:
                d = self._config
                parts = k.split(".")
                for part in parts[:-1]:
                    if not isinstance(d.get(part), dict):
                        d[part] = {}
                    d = d[part]
                d[parts[-1]] = v
            elif k in self._config and isinstance(self._config[k], dict) and isinstance(v, dict):
                self._config[k].update(v)
            else:
                self._config[k] = v
