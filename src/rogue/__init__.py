"""rogue-bridge: Rogue's stream and memory interfaces and TCP bridges in pure Python.

``import rogue`` gives :class:`GeneralError` and :class:`Logging`; the stream
graph is ``rogue.interfaces.stream``, the memory bus ``rogue.interfaces.memory``
and the SRPv3 protocol ``rogue.protocols.srp``, as in SLAC Rogue.
"""

from __future__ import annotations

from ._errors import GeneralError
from ._logging import Logging

__version__ = "0.1.0"

__all__ = ["GeneralError", "Logging", "__version__"]
