"""Rogue's stream interface (``import rogue.interfaces.stream as ris``).

Frames flow from a :class:`Master` to its :class:`Slave` objects; ``>>``,
``<<`` and ``==`` connect them. :class:`Fifo`, :class:`RateDrop` and
:class:`Filter` sit in a chain; :class:`TcpServer` / :class:`TcpClient` carry a
stream between processes.
"""

from __future__ import annotations

from rogue import _exports

from .fifo import Fifo
from .filter import Filter
from .frame import Frame, FrameLock
from .master import Master
from .pool import Pool
from .rate_drop import RateDrop
from .slave import Slave
from .tcp import TcpClient, TcpCore, TcpServer

__all__ = ["Fifo", "Filter", "Frame", "FrameLock", "Master", "Pool", "RateDrop", "Slave", "TcpClient", "TcpCore", "TcpServer"]

_exports.publish(__name__, globals())  # every class above reports this module, as in C++ Rogue
