"""``SrpV3Emulation``: the hardware side of SRPv3, answering from a sparse memory."""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterator

from ..._logging import Logging
from ..._transport import register_closer, unregister_closer
from ...interfaces.stream.frame import Frame
from ...interfaces.stream.master import Master
from ...interfaces.stream.slave import Slave
from ._wire import (
    HEADER_LEN,
    OP_POST,
    OP_READ,
    pack_response_into,
    parse_request,
    response_length,
)

__all__ = ["SrpV3Emulation"]

_PAGE = 0x1000
_ZEROS = memoryview(bytes(_PAGE))
_WARN_PERIOD_S = 1.0  # at most one "dropped" warning per second; the rest are counted


def _spans(address: int, size: int) -> Iterator[tuple[int, int, int, int]]:
    """``(page index, offset in page, offset in buffer, length)`` of each page that ``size`` bytes at ``address`` touch."""
    pos = 0
    while pos < size:
        index, off = divmod(address + pos, _PAGE)
        n = min(_PAGE - off, size - pos)
        yield index, off, pos, n
        pos += n


class SrpV3Emulation(Master, Slave):
    """Emulated SRPv3 hardware: a stream master + slave answering requests from memory.

    Request frames (from an ``SrpV3``, usually via ``srp == emulation``) are
    queued and handled in arrival order on a worker thread. Memory is sparse,
    in 4 KiB pages allocated on the first write; never-written bytes read as
    zeros. Malformed requests are dropped with a (rate-limited) warning and
    counted (``getDropCount()``). ``stop()`` ends the worker.
    """

    def __init__(self) -> None:
        Master.__init__(self)
        Slave.__init__(self)
        self._log = Logging.create("SrpV3Emulation")
        self._pages: dict[int, bytearray] = {}
        self._queue: queue.SimpleQueue[Frame | None] = queue.SimpleQueue()
        self._running = True
        self._stop_lock = threading.Lock()
        self._drop_count = 0
        self._suppressed = 0
        self._next_warn = 0.0
        self._warn_period = _WARN_PERIOD_S
        self._thread = threading.Thread(target=self._run, name="rogue-bridge:SrpV3Emulation:worker", daemon=True)
        self._thread.start()
        register_closer(self)

    # -- stream slave side ---------------------------------------------------------
    def _acceptFrame(self, frame: Frame) -> None:
        """Queue a request frame for the worker (never blocks the sender)."""
        if self._running:
            self._queue.put(frame)

    # -- worker --------------------------------------------------------------------
    def _run(self) -> None:
        get = self._queue.get
        while True:
            frame = get()
            if frame is None or not self._running:
                return
            try:
                self._process(frame)
            except Exception:  # noqa: BLE001 - one bad downstream call must not end the hardware
                self._log.exception("SrpV3Emulation: failed to handle a request frame")

    def _process(self, frame: Frame) -> None:
        """Handle one request: store write data, send the response (none for a post)."""
        if frame._error:
            self._drop(f"errored frame, error=0x{frame._error:x}")
            return
        data = frame._data()
        req = parse_request(data, frame._payload)
        if isinstance(req, str):
            self._drop(req)
            return
        opcode, _tran_id, address, size = req
        if opcode != OP_READ:
            self._write(address, memoryview(data)[HEADER_LEN : HEADER_LEN + size])
            if opcode == OP_POST:
                return
        length = response_length(size)
        resp = self._reqFrame(length, True)
        buf = resp._writable()
        pack_response_into(buf, data, size, 0)  # the request header echoed, tail status 0
        self._read(address, memoryview(buf)[HEADER_LEN : HEADER_LEN + size])
        resp.setPayload(length)
        self._sendFrame(resp)

    def _drop(self, why: str) -> None:
        """Count a malformed request and warn, at most once per second."""
        self._drop_count += 1
        now = time.monotonic()
        if now < self._next_warn:
            self._suppressed += 1
            return
        self._next_warn = now + self._warn_period
        more, self._suppressed = self._suppressed, 0
        if more:
            self._log.warning("SrpV3Emulation: dropped request: %s (%d more dropped since the last warning)", why, more)
        else:
            self._log.warning("SrpV3Emulation: dropped request: %s", why)

    # -- sparse memory (worker thread only) ----------------------------------------------
    def _write(self, address: int, src: memoryview) -> None:
        pages = self._pages
        for index, off, pos, n in _spans(address, len(src)):
            page = pages.get(index)
            if page is None:
                page = pages[index] = bytearray(_PAGE)
            page[off : off + n] = src[pos : pos + n]

    def _read(self, address: int, dst: memoryview) -> None:
        pages = self._pages
        for index, off, pos, n in _spans(address, len(dst)):
            page = pages.get(index)
            # A page never written reads as zeros and is not allocated for a read.
            dst[pos : pos + n] = _ZEROS[:n] if page is None else memoryview(page)[off : off + n]

    # -- status and control ------------------------------------------------------------
    def getDropCount(self) -> int:
        """Malformed requests dropped so far."""
        return self._drop_count

    def getPageCount(self) -> int:
        """4 KiB memory pages allocated so far (one per page written)."""
        return len(self._pages)

    def stop(self) -> None:
        """Stop the worker thread and join it; frames still queued are discarded. Idempotent."""
        with self._stop_lock:
            if not self._running and not self._thread.is_alive():
                return
            self._running = False
            self._queue.put(None)
        if threading.current_thread() is not self._thread:
            self._thread.join()
        unregister_closer(self)
        Master._stop(self)

    def _stop(self) -> None:
        """Rogue's name for :meth:`stop`."""
        self.stop()

    def close(self) -> None:
        """Same as :meth:`stop` (called at interpreter exit if still running)."""
        self.stop()
