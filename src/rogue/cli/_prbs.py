"""``send --prbs`` and ``monitor --prbs``: Rogue-compatible PRBS frames on the command line.

The frames are made and checked by :class:`rogue.utilities.Prbs` itself, so a
C++ Rogue ``Prbs`` (or a firmware checker with the same width and taps) can
verify what ``send --prbs`` sends, and ``monitor --prbs`` verifies what they send.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import rogue
import rogue.interfaces.stream as ris

from ._common import Pacer, SenderThread, UsageError, parse_count
from ._display import Traffic

if TYPE_CHECKING:  # Prbs (and numpy with it) loads when a command makes one, not for every command's parser
    from rogue.utilities import Prbs

__all__ = ["PrbsSender", "add_prbs_options", "make_prbs", "prbs_notes", "prbs_row"]

_MAX_LAG_S = 0.5  # a paced sender this far behind schedule starts a new schedule


def parse_taps(text: str) -> list[int]:
    """``1,2,6,31``: LFSR tap bit indices, 0..255 each."""
    taps = [parse_count(t, "PRBS tap") for t in text.replace(" ", "").split(",") if t]
    bad = [t for t in taps if t > 0xFF]
    if bad:
        raise UsageError(f"bad PRBS tap {bad[0]}: taps are bit indices 0..255")
    return taps


def parse_width(text: str) -> int:
    """A PRBS word width in bits: 32..512, a multiple of 32."""
    value = parse_count(text, "--prbs-width")
    if not (32 <= value <= 512 and value % 32 == 0):
        raise UsageError(f"bad --prbs-width {text!r}: must be a multiple of 32 from 32 to 512")
    return value


def add_prbs_options(p: argparse.ArgumentParser) -> None:
    """``--prbs``, ``--prbs-width``, ``--prbs-taps``."""
    from ._common import argtype

    p.add_argument("--prbs", action="store_true",
                   help="Rogue's PRBS frames (as rogue.utilities.Prbs and firmware checkers make and check them): "
                   "send sends them, monitor checks every frame and exits 1 if any failed")
    p.add_argument("--prbs-width", type=argtype(parse_width), default=32, metavar="BITS",
                   help="PRBS word width: 32..512, a multiple of 32 (default 32, as Rogue)")
    p.add_argument("--prbs-taps", type=argtype(parse_taps), default=[1, 2, 6, 31], metavar="T,T,...",
                   help="PRBS LFSR taps, bit indices (default 1,2,6,31, as Rogue)")


def make_prbs(args: argparse.Namespace, size: int | None = None) -> Prbs:
    """A Prbs with the command's width and taps; ``size`` (when sending) must suit the width."""
    prbs = rogue.utilities.Prbs()
    try:
        prbs.setWidth(args.prbs_width)
    except rogue.GeneralError:
        raise UsageError(f"bad --prbs-width {args.prbs_width}: must be a multiple of 32 from 32 to 512") from None
    prbs.setTaps(bytes(args.prbs_taps))
    if size is not None:
        wb = args.prbs_width // 8
        if size % wb or size < 3 * wb:
            raise UsageError(f"bad --size {size} for --prbs: must be a multiple of {wb} bytes "
                           f"(the {args.prbs_width}-bit word) and at least {3 * wb}")
    return prbs


def prbs_row(traffic: Traffic, prbs: Prbs, final: bool = False) -> list[str]:
    """The PRBS checker's good frames and bytes as a display row (``Traffic.COLUMNS``)."""
    return traffic.row("prbs ok", prbs.getRxCount(), prbs.getRxBytes(), final=final)


def prbs_notes(prbs: Prbs) -> list[tuple[str, str]]:
    """The PRBS checker's error count as a display note (``prbs errors=N`` in plain lines)."""
    return [("prbs errors", str(prbs.getRxErrors()))]


class _Channel(ris.Master, ris.Slave):
    """Forwards frames with their channel set (Rogue's Prbs always sends channel 0)."""

    def __init__(self, channel: int) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self._channel = channel

    def _acceptFrame(self, frame: ris.Frame) -> None:
        frame.setChannel(self._channel)
        self._sendFrame(frame)


class PrbsSender(SenderThread):
    """Calls ``prbs.genFrame(size)`` ``count`` times (0: until ``stop()``) at ``rate`` frames/s from a thread.

    Same interface as the CLI's test-frame ``Generator``: ``start``, ``stop``,
    ``join``, ``done`` and ``error``.
    """

    def __init__(self, prbs: Prbs, size: int, rate: float, count: int, channel: int = 0) -> None:
        self.prbs = prbs
        self.head: Any = prbs
        if channel:
            self.head = _Channel(channel)
            prbs >> self.head
        self._size, self._rate, self._count = size, rate, count
        self._init_thread("rogue-bridge:cli.send:prbs")

    def __rshift__(self, other: Any) -> Any:
        """``sender >> bridge``: the frames go to ``other``."""
        return self.head >> other

    def _loop(self) -> None:
        size, rate, count, stop, gen = self._size, self._rate, self._count, self._halt, self.prbs.genFrame
        pacer, seq = Pacer(rate, stop, _MAX_LAG_S), 0
        while not stop.is_set() and (count == 0 or seq < count):
            if not pacer.wait(seq):
                break
            gen(size)
            seq += 1
