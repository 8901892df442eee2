"""Numbers on the command line: byte sizes, counts, rates, seconds, hex values.

One grammar for every subcommand: a whole number may be written in decimal or
with ``0x`` (hex), with ``_`` between digits; a *size* (bytes) takes a unit
suffix as GNU tools do, ``k``/``K``/``Ki``, ``M``/``Mi``, ``G``/``Gi`` for
powers of 1024 (``4k`` = ``4Ki`` = 4096) and ``kB``, ``MB``, ``GB`` for powers
of 1000; a *count* takes ``k``, ``M``, ``G`` as powers of 1000 (``10k`` frames).
Register addresses and values are hex with or without ``0x``.

Every parser raises :class:`~rogue.cli._exits.UsageError` (exit code 2) with
the bad text quoted, so a mistake is one line that names the value.
"""

from __future__ import annotations

import math
import re

from ._exits import UsageError

__all__ = ["parse_count", "parse_hex", "parse_rate", "parse_seconds", "parse_size", "parse_timeout", "parse_whole_seconds"]

_BINARY = {"": 1, "k": 1 << 10, "ki": 1 << 10, "kib": 1 << 10, "m": 1 << 20, "mi": 1 << 20, "mib": 1 << 20,
           "g": 1 << 30, "gi": 1 << 30, "gib": 1 << 30, "kb": 10**3, "mb": 10**6, "gb": 10**9, "b": 1}
_DECIMAL = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9}
_NUMBER = re.compile(r"(0x[0-9a-f]+|[0-9]+)([a-z]*)")


def _usage(text: str) -> UsageError:
    return UsageError(text)


def _whole(text: str, units: dict[str, int], what: str, example: str) -> int:
    t = text.strip().lower().replace("_", "")
    m = _NUMBER.fullmatch(t)
    if m is None or m.group(2) not in units or (m.group(1).startswith("0x") and m.group(2)):
        raise _usage(f"bad {what} {text!r}: expected {example}")
    return int(m.group(1), 0) * units[m.group(2)]


def parse_size(text: str, what: str = "size") -> int:
    """A byte count: ``1024``, ``0x400``, ``4k`` (= ``4Ki`` = 4096), ``1M``, ``4kB`` (= 4000)."""
    return _whole(text, _BINARY, what, "a byte count such as 1024, 0x400, 4k (4096) or 4kB (4000)")


def parse_count(text: str, what: str = "count") -> int:
    """A non-negative whole number: ``12``, ``0x10``, ``10k`` (10000), ``2M``."""
    return _whole(text, _DECIMAL, what, "a whole number such as 100, 0x40 or 10k")


def parse_hex(text: str, what: str = "value", limit_bits: int = 64) -> int:
    """A non-negative hex number, ``0x`` optional, ``_`` allowed as separator."""
    t = text.strip().lower().replace("_", "")
    if t.startswith("0x"):
        t = t[2:]
    try:
        if not t or t.startswith(("-", "+")):
            raise ValueError
        value = int(t, 16)
    except ValueError:
        raise _usage(f"bad {what} {text!r}: expected a hex number such as 0x1000") from None
    if value >> limit_bits:
        raise _usage(f"bad {what} {text!r}: more than {limit_bits} bits")
    return value


def parse_rate(text: str, what: str = "rate") -> float:
    """A rate in Hz (``0`` = as fast as possible), optional suffix ``k`` (x1000) or ``M``."""
    t = text.strip().lower().removesuffix("hz")
    mult = 1.0
    if t[-1:] in ("k", "m"):
        mult, t = (1e3 if t[-1] == "k" else 1e6), t[:-1]
    try:
        value = float(t) * mult
    except ValueError:
        raise _usage(f"bad {what} {text!r}: expected frames per second such as 100 or 2k") from None
    if not value >= 0 or value == math.inf:
        raise _usage(f"bad {what} {text!r}: must be a finite number >= 0")
    return value


def parse_seconds(text: str, what: str = "seconds") -> float:
    """A positive, finite number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise _usage(f"bad {what} {text!r}: expected a number of seconds") from None
    if not 0 < value < math.inf:
        raise _usage(f"bad {what} {text!r}: must be a positive number of seconds")
    return value


def parse_timeout(text: str, what: str = "--timeout", zero: str = "no limit") -> float:
    """Seconds to wait, 0 or more (``zero`` says what 0 means)."""
    try:
        value = float(text)
    except ValueError:
        raise _usage(f"bad {what} {text!r}: expected a number of seconds (0: {zero})") from None
    if not 0 <= value < math.inf:
        raise _usage(f"bad {what} {text!r}: must be 0 ({zero}) or a positive number of seconds")
    return value


def parse_whole_seconds(text: str, what: str = "seconds") -> float:
    """A whole number of seconds, 0 or more (the kernel's keepalive timers count whole seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise _usage(f"bad {what} {text!r}: expected a whole number of seconds") from None
    if not (0 <= value < math.inf and value.is_integer()):
        raise _usage(f"bad {what} {text!r}: must be a whole number of seconds, 0 or more")
    return value
