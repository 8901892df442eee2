"""SLAC Register Protocol v3 (``import rogue.protocols.srp as rps``).

:class:`SrpV3` turns memory transactions into SRPv3 request frames and matches
the response frames; :class:`SrpV3Emulation` is the hardware side, answering
requests from a sparse memory. Connect them with ``srp == emulation``.
"""

from __future__ import annotations

from rogue import _exports

from .emulation import SrpV3Emulation
from .srpv3 import SrpV3

__all__ = ["SrpV3", "SrpV3Emulation"]

_exports.publish(__name__, globals())  # every class above reports this module, as in C++ Rogue
