"""``SrpV3``: memory transactions to SRPv3 request frames, and responses back."""

from __future__ import annotations

import logging
from typing import Any

from ..._errors import GeneralError
from ..._logging import Logging
from ...interfaces.memory.slave import Slave as MemorySlave
from ...interfaces.memory.transaction import Transaction
from ...interfaces.stream.frame import Frame
from ...interfaces.stream.master import Master as StreamMaster
from ...interfaces.stream.slave import Slave as StreamSlave
from ...interfaces.memory._types import POST
from ._wire import (
    DEFAULT_HW_TIMEOUT,
    HEADER_LEN,
    MAX_SIZE,
    MIN_SIZE,
    OP_READ,
    OPCODE_OF_TYPE,
    TAIL_LEN,
    check_response,
    pack_request_into,
    request_length,
    unpack_header,
    word0,
)

__all__ = ["SrpV3"]

_DEBUG = logging.DEBUG
_RESP_MIN = HEADER_LEN + TAIL_LEN


class SrpV3(StreamMaster, StreamSlave, MemorySlave):
    """SRPv3 protocol bridge: a memory slave (4..4096 bytes) and a stream master + slave.

    Each transaction from a memory master becomes a request frame sent to the
    stream slaves (the link or an ``SrpV3Emulation``); response frames coming
    back are matched to their transaction by id, in any order, and checked as
    ``docs/srpv3.md`` says. A Post completes once its frame is sent. Connect the
    memory side with ``master >> srp`` and the stream side with ``srp == link``.
    """

    def __init__(self) -> None:
        StreamMaster.__init__(self)
        StreamSlave.__init__(self)
        MemorySlave.__init__(self, MIN_SIZE, MAX_SIZE)
        self._log = Logging.create("SrpV3")
        self._hw_timeout = DEFAULT_HW_TIMEOUT
        self._word0 = self._words0(DEFAULT_HW_TIMEOUT)

    @staticmethod
    def _words0(timeout: int) -> dict[int, int]:
        # Header word 0 per rim type, precomputed so a transaction does one dict lookup.
        return {t: word0(op, timeout) for t, op in OPCODE_OF_TYPE.items()}

    def _setHardwareTimeout(self, val: int) -> None:
        """Set the hardware timeout count sent in bits 31:24 of header word 0 (default 0x0A)."""
        val = int(val)
        if not 0 <= val <= 0xFF:
            raise GeneralError("SrpV3._setHardwareTimeout", f"hardware timeout {val} is out of range 0..255")
        self._hw_timeout = val
        self._word0 = self._words0(val)

    # -- memory side: one transaction -> one request frame (hot path) -------------------------
    def _doTransaction(self, tran: Transaction) -> None:
        """Check alignment and size, send the request frame, keep the transaction in flight."""
        address = tran.address()
        size = tran.size()
        ttype = tran.type()
        mn = MIN_SIZE
        if address % mn:
            tran.error(f"Transaction address 0x{address:x} is not aligned to min size {mn}")
            return
        if size % mn or size < mn:
            tran.error(f"Transaction size 0x{size:x} is not aligned to min size {mn}")
            return
        if size > MAX_SIZE:
            tran.error(f"Transaction size 0x{size:x} exceeds max size {MAX_SIZE}")
            return
        w0 = self._word0.get(ttype)
        if w0 is None:
            tran.error(f"Transaction type {ttype} is not supported by SrpV3")
            return
        tid = tran.id()
        opcode = OPCODE_OF_TYPE[ttype]
        length = request_length(opcode, size)
        frame = self._reqFrame(length, True)
        buf = frame._writable()
        pack_request_into(buf, w0, tid, address, size)
        if opcode != OP_READ:
            buf[HEADER_LEN:length] = tran._data()
        frame.setPayload(length)
        if self._log.isEnabledFor(_DEBUG):
            self._log.debug("Send frame for id=%d, addr 0x%08x, size=%d, type=%d", tid, address, size, ttype)
        if ttype == POST:  # no response will come; done once the frame is out
            self._sendFrame(frame)
            tran.done()
            return
        # Registered before sending, so a response arriving at once finds it.
        self._addTransaction(tran)
        try:
            self._sendFrame(frame)
        except BaseException:
            self._getTransaction(tid)  # not in flight after all; the master fails it
            raise

    # -- stream side: one response frame -> one finished transaction (hot path) ----------------
    def _acceptFrame(self, frame: Frame) -> None:
        """Match a response frame to its transaction by id, check it, and finish the transaction."""
        log = self._log
        if frame._error:
            log.warning("SrpV3: dropped errored response frame, error=0x%x", frame._error)
            return
        n = frame._payload
        if n < _RESP_MIN:
            log.warning("SrpV3: dropped undersized response frame of %d bytes", n)
            return
        buf = frame._buf
        words = unpack_header(buf)
        tid = words[1]
        tran = self._getTransaction(tid)
        if tran is None:
            log.warning("SrpV3: dropped response frame for unknown transaction id=%d", tid)
            return
        if tran.expired():
            log.warning("SrpV3: response for transaction id=%d arrived after it expired", tid)
            tran.error(
                f"Transaction expired: Id={tid} (increase root->timeout value if this ID matches a previous "
                "timeout message)"
            )
            return
        size = tran.size()
        ttype = tran.type()
        bad = check_response(words, buf, n, self._word0[ttype], tran.address(), size)
        if bad is not None:
            text, detail = bad
            log.warning("SrpV3: %s", detail)
            tran.error(text)
            return
        if log.isEnabledFor(_DEBUG):
            log.debug("Got response for id=%d, size=%d", tid, size)
        if OPCODE_OF_TYPE[ttype] == OP_READ:
            tran._complete(memoryview(buf)[HEADER_LEN : HEADER_LEN + size], "")
        else:
            tran.done()

    # -- connection and control ---------------------------------------------------------------
    def __lshift__(self, other: Any) -> Any:
        """``srp << master``: a memory master attaches this slave, a stream master sends to it."""
        if hasattr(other, "_setSlave") or hasattr(other, "_getMemoryMaster"):
            return MemorySlave.__lshift__(self, other)
        return StreamSlave.__lshift__(self, other)

    def _stop(self) -> None:
        """Stop (SrpV3 holds no thread or socket; transactions in flight end by their timeout)."""
        StreamMaster._stop(self)
        MemorySlave._stop(self)

    def stop(self) -> None:
        """Same as :meth:`_stop`."""
        self._stop()
