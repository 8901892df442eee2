"""C++ Rogue's register models as pure functions: values <-> raw register bits, with Rogue's rules.

``NUMERIC`` maps the numeric model ids to their :class:`NumCodec`; String,
Bytes and PyFunc use the functions of ``_other``; ``_smallfloat`` holds the
bit-exact float conversions. No I/O, no clock, no locks.
"""

from __future__ import annotations

from ._base import Reject, fmt_f, rogue_error, u32
from ._numeric import NUMERIC, NumCodec, round_half_away
from ._other import buffer_raw, raw_bytes, string_raw, string_value

__all__ = ["NUMERIC", "NumCodec", "Reject", "buffer_raw", "fmt_f", "raw_bytes", "rogue_error", "round_half_away",
           "string_raw", "string_value", "u32"]
