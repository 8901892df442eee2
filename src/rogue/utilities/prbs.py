"""``rogue.utilities.Prbs``: Rogue's PRBS frame generator and checker, bit-exact with C++ Rogue 6.15.

The frame layout (sequence word, length word, LFSR payload seeded with word 0)
is written and checked by :class:`rogue.utilities._prbs_frame.FrameFormat`.
This module holds the Rogue API around it: the stream Master and Slave, the
background generator, and Rogue's counters (the receiver checks the header, the
sequence and, with ``checkPayload``, every payload word).
"""

from __future__ import annotations

import operator
import threading
import time
from typing import Any

from .._errors import GeneralError
from .._logging import Logging
from .._transport import register_closer, unregister_closer
from ..interfaces.stream.frame import Frame
from ..interfaces.stream.master import Master
from ..interfaces.stream.slave import Slave
from ._prbs_frame import M32 as _M32
from ._prbs_frame import FrameFormat

__all__ = ["Prbs"]

_M64 = (1 << 64) - 1
_MAX_WIDTH = 512  # Rogue's MaxBytes * 8
_RATE_S = 1.0  # rates are recomputed when more than this has passed
_RX_WAIT_S = 0.01  # Rogue polls rxEnable every 10 ms
_JOIN_S = 5.0  # disable() waits this long for a generator blocked in a send


def _err(src: str, text: str) -> GeneralError:
    """Rogue's GeneralError: ``str()`` is ``"Prbs::<src>: General Error: <text>"``."""
    return GeneralError(f"Prbs::{src}", f"General Error: {text}")


class _Rate:
    """Frames/s and bytes/s of a counter pair, recomputed at most once a second (Rogue's ``updateTime``)."""

    __slots__ = ("last", "count", "nbytes", "rate", "bw")

    def __init__(self) -> None:
        self.last = time.monotonic()
        self.count = self.nbytes = 0
        self.rate = self.bw = 0.0

    def update(self, count: int, nbytes: int) -> None:
        now = time.monotonic()
        per = now - self.last
        if per > _RATE_S:
            self.rate = (count - self.count) / per
            self.bw = (nbytes - self.nbytes) / per
            self.last, self.count, self.nbytes = now, count, nbytes

    def reset(self) -> None:
        self.count = self.nbytes = 0


class _Closer:
    """Stops a Prbs's generator thread at interpreter exit (held by the Prbs, registered weakly)."""

    __slots__ = ("prbs", "__weakref__")

    def __init__(self, prbs: "Prbs") -> None:
        self.prbs = prbs

    def close(self) -> None:
        self.prbs._end_thread(1.0)


class Prbs(Master, Slave):
    """PRBS generator (a stream Master) and checker (a stream Slave) in one object, as in Rogue.

    Generate with ``genFrame(size)`` or, from a background thread, ``enable(size)``
    (paced by ``setTxPeriod(us)``) until ``disable()``; received frames are
    checked as they arrive. ``width`` 32..512 bits (multiples of 32), taps set
    with ``setTaps``. Counters are Rogue's: ``getRxErrors``, ``getRxCount``,
    ``getRxBytes``, rates and bandwidths, and the same on the tx side.
    """

    def __init__(self) -> None:
        Master.__init__(self)
        Slave.__init__(self)
        self._rx_log = Logging.create("prbs.rx")
        self._tx_log = Logging.create("prbs.tx")
        self._tx_lock = threading.RLock()  # one frame built and sent at a time, in sequence order
        self._rx_lock = threading.Lock()
        self._rx_cond = threading.Condition(threading.Lock())
        self._taps = bytes((1, 2, 6, 31))
        self._configure(32)
        self._rx_seq = self._rx_errors = self._rx_count = self._rx_bytes = 0
        self._tx_seq = self._tx_errors = self._tx_count = self._tx_bytes = 0
        self._rx_enable = True
        self._check_pl = True
        self._gen_pl = True
        self._send_count = False
        self._tx_period = 0
        self._tx_size = 0
        self._rx_rate = _Rate()
        self._tx_rate = _Rate()
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._thread_stop = threading.Event()
        self._stopped = False
        self._closer = _Closer(self)

    # -- configuration -------------------------------------------------------------
    def _configure(self, width: int) -> None:
        """Set the frame format of ``width`` and the taps (caller holds both locks or is __init__)."""
        self._width = width
        self._fmt = FrameFormat(width, self._taps)

    def setWidth(self, width: int) -> None:
        """Word width in bits: a multiple of 32 from 32 to 512 (Rogue also took 0; it is refused here)."""
        width = operator.index(width)
        if width <= 0 or width > _MAX_WIDTH or width % 32:
            raise _err("setWidth", "Invalid width.")
        with self._tx_lock, self._rx_lock:
            self._configure(width)

    def setTaps(self, taps: Any) -> None:
        """LFSR taps, one byte per tap (any bytes-like object, or a sequence of ints 0..255); default [1, 2, 6, 31].

        A tap repeated an even number of times cancels out (the feedback is an XOR). A tap at or
        above the width reads 0 here; C++ Rogue reads uninitialised memory there, so keep taps
        below the width for frames both can check.
        """
        try:
            raw = memoryview(taps).tobytes()  # Rogue takes the object's raw buffer bytes
        except TypeError:
            try:
                values = [operator.index(t) for t in taps]
            except TypeError:
                raise _err("setTapsPy", "Python Buffer Error") from None
            bad = [t for t in values if not 0 <= t <= 0xFF]
            if bad:
                raise GeneralError("Prbs::setTaps", f"tap {bad[0]} is out of range 0..255") from None
            raw = bytes(values)
        with self._tx_lock, self._rx_lock:
            self._taps = raw
            self._configure(self._width)

    def sendCount(self, state: bool) -> None:
        """Fill payload word i with i (2, 3, ...) instead of the LFSR (the checker then reports errors)."""
        with self._tx_lock:
            self._send_count = bool(state)

    def checkPayload(self, state: bool) -> None:
        """Check every received payload word (default True); off: header and sequence only."""
        self._check_pl = bool(state)

    def genPayload(self, state: bool) -> None:
        """Generate the payload (default True); off: only the two header words are written."""
        self._gen_pl = bool(state)

    def setRxEnable(self, state: bool) -> None:
        """Receive (default True); while off, an arriving frame waits, holding back its sender."""
        with self._rx_cond:
            self._rx_enable = bool(state)
            self._rx_cond.notify_all()

    def getRxEnable(self) -> bool:
        """Whether received frames are taken in."""
        return self._rx_enable

    def setTxPeriod(self, txPeriod: int) -> None:
        """Microseconds from one frame of :meth:`enable` to the next (0: as fast as the link takes them)."""
        txPeriod = operator.index(txPeriod)
        if not 0 <= txPeriod <= _M32:
            raise GeneralError("Prbs::setTxPeriod", f"period {txPeriod} us is out of range 0..{_M32}")
        self._tx_period = txPeriod

    def getTxPeriod(self) -> int:
        """The period set with :meth:`setTxPeriod`, in microseconds."""
        return self._tx_period

    # -- counters ----------------------------------------------------------------------
    def getRxErrors(self) -> int:
        """Received frames dropped by a check."""
        return self._rx_errors

    def getRxCount(self) -> int:
        """Received frames that passed every check."""
        return self._rx_count

    def getRxBytes(self) -> int:
        """Payload bytes of the frames counted by :meth:`getRxCount`."""
        return self._rx_bytes

    def getRxRate(self) -> float:
        """Received good frames per second (recomputed at most once a second)."""
        with self._rx_lock:
            self._rx_rate.update(self._rx_count, self._rx_bytes)
        return self._rx_rate.rate

    def getRxBw(self) -> float:
        """Received good bytes per second (recomputed at most once a second)."""
        with self._rx_lock:
            self._rx_rate.update(self._rx_count, self._rx_bytes)
        return self._rx_rate.bw

    def getTxErrors(self) -> int:
        """Frames the background generator failed to make (0 unless :meth:`enable` hit an error)."""
        return self._tx_errors

    def getTxCount(self) -> int:
        """Frames generated and sent."""
        return self._tx_count

    def getTxBytes(self) -> int:
        """Payload bytes of the frames counted by :meth:`getTxCount`."""
        return self._tx_bytes

    def getTxRate(self) -> float:
        """Sent frames per second (recomputed at most once a second)."""
        with self._tx_lock:
            self._tx_rate.update(self._tx_count, self._tx_bytes)
        return self._tx_rate.rate

    def getTxBw(self) -> float:
        """Sent bytes per second (recomputed at most once a second)."""
        with self._tx_lock:
            self._tx_rate.update(self._tx_count, self._tx_bytes)
        return self._tx_rate.bw

    def resetCount(self) -> None:
        """Zero the rx and tx error, frame and byte counters (the sequence numbers carry on)."""
        with self._tx_lock, self._rx_lock:
            self._tx_errors = self._tx_count = self._tx_bytes = 0
            self._rx_errors = self._rx_count = self._rx_bytes = 0
            # Rogue keeps the rate baselines, and the next rate comes out as ~4e9; restart them instead.
            self._tx_rate.reset()
            self._rx_rate.reset()

    # -- generating ------------------------------------------------------------------------
    def genFrame(self, size: int) -> None:
        """Make one PRBS frame of ``size`` bytes (a multiple of the word, at least 3 words) and send it."""
        size = operator.index(size)
        with self._tx_lock:
            fmt = self._fmt
            if not fmt.valid_size(size):
                raise _err("genFrame", "Invalid frame size")
            seq = self._tx_seq
            frame = self._reqFrame(size, True)
            frame.setPayload(size)
            fmt.fill(frame._writable(), seq, size, self._gen_pl, self._send_count)
            self._sendFrame(frame)
            self._tx_seq = (seq + 1) & _M32
            self._tx_count = (self._tx_count + 1) & _M32
            self._tx_bytes = (self._tx_bytes + size) & _M64
            self._tx_rate.update(self._tx_count, self._tx_bytes)

    # -- background generation -----------------------------------------------------------
    def enable(self, size: int) -> None:
        """Generate ``size``-byte frames from a background thread until :meth:`disable` (no-op if running)."""
        size = operator.index(size)
        if not self._fmt.valid_size(size):
            raise _err("enable", "Invalid frame size")
        with self._thread_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._tx_size = size
            self._thread_stop = threading.Event()
            self._thread = threading.Thread(
                target=self._run, args=(self._thread_stop,), name="rogue-bridge:Prbs:tx", daemon=True
            )
            register_closer(self._closer)
            self._thread.start()

    def _run(self, stop: threading.Event) -> None:
        deadline = time.monotonic()
        while not stop.is_set():
            period = self._tx_period / 1e6
            if period > 0:
                now = time.monotonic()
                if deadline > now and stop.wait(deadline - now):
                    break
                # Pace against the schedule, but after a blocked send start a new one (no burst).
                deadline = max(deadline + period, time.monotonic() - period)
            try:
                self.genFrame(self._tx_size)
            except Exception as exc:  # noqa: BLE001 - reported and counted, never a dead silent thread
                with self._tx_lock:
                    self._tx_errors = (self._tx_errors + 1) & _M32
                self._tx_log.error("Prbs: generating a %d-byte frame failed (%s); background generation stopped",
                                   self._tx_size, exc)
                break

    def disable(self) -> None:
        """Stop the background generator and wait for its thread (it ends after a send that is blocked)."""
        self._end_thread(_JOIN_S)

    def _end_thread(self, timeout: float) -> None:
        with self._thread_lock:
            thread, self._thread = self._thread, None
            if thread is None:
                return
            self._thread_stop.set()
        unregister_closer(self._closer)
        if thread is not threading.current_thread():
            thread.join(timeout)
            if thread.is_alive():
                self._tx_log.warning("Prbs: the generator is still blocked sending a frame after %.1f s; "
                                     "it ends when that send returns", timeout)

    def _stop(self) -> None:
        """Stop the generator and release a receiver waiting for ``setRxEnable(True)`` (idempotent)."""
        self._end_thread(_JOIN_S)
        with self._rx_cond:
            self._stopped = True
            self._rx_cond.notify_all()

    def stop(self) -> None:
        """Same as :meth:`_stop`."""
        self._stop()

    # -- checking ----------------------------------------------------------------------------
    def _acceptFrame(self, frame: Frame) -> None:
        """Check one received frame and count it (Rogue's rules; see the module docstring)."""
        if not self._rx_enable:
            with self._rx_cond:
                while not self._rx_enable and not self._stopped:
                    self._rx_cond.wait(_RX_WAIT_S)
        with frame.lock(), self._rx_lock:
            self._check(frame)

    def _check(self, frame: Frame) -> None:
        size, buf, fmt = frame._payload, frame._buf, self._fmt
        log = self._rx_log
        if frame._error:
            log.warning("Frame error field is set: 0x%x", frame._error)
            self._rx_errors = (self._rx_errors + 1) & _M32
            return
        if size % fmt.wb or size < fmt.min_size:
            log.warning("Size violation size=%d, count=%d", size, self._rx_count)
            self._rx_errors = (self._rx_errors + 1) & _M32
            return
        seq, nwords = fmt.header(buf)
        exp_seq = self._rx_seq
        self._rx_seq = (seq + 1) & _M32
        exp_size = ((nwords + 1) * fmt.wb) & _M32
        if exp_size != size or (seq != 0 and exp_seq != 0 and seq != exp_seq):
            log.warning("Bad header. expSize=%d gotSize=%d expSeq=%d gotSeq=%d nxtSeq=%d count=%d",
                        exp_size, size, exp_seq, seq, self._rx_seq, self._rx_count)
            self._rx_errors = (self._rx_errors + 1) & _M32
            return
        if self._check_pl:
            seed = fmt.seed(buf, seq)
            pos = fmt.first_bad_word(buf, seed, size)
            if pos >= 0:
                if log.isEnabledFor(Logging.Warning):
                    log.warning(fmt.bad_word_text(buf, seed, pos, size, self._rx_count))
                self._rx_errors = (self._rx_errors + 1) & _M32
                return
        self._rx_count = (self._rx_count + 1) & _M32
        self._rx_bytes = (self._rx_bytes + size) & _M64
        self._rx_rate.update(self._rx_count, self._rx_bytes)

    def __repr__(self) -> str:
        return f"<Prbs width={self._width} taps={list(self._taps)}>"

