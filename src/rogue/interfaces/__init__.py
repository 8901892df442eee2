"""Rogue's interfaces: ``stream`` (frames), ``memory`` (register transactions), and
the remote interface of a pyrogue tree, ``ZmqServer`` and ``ZmqClient``.

All are attributes after ``import rogue`` (or ``import rogue.interfaces``),
imported on first use, as in C++ Rogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _exports

__all__ = ["ZmqClient", "ZmqServer", "memory", "stream"]

if TYPE_CHECKING:
    from . import memory, stream

_SUBPACKAGES = ("memory", "stream")
#: Rogue's classes of this level, each in a module of its own: importable as
#: ``rogue.interfaces.<name>`` once the module exists (list the name in
#: ``__all__`` then), an AttributeError until it does.
_ATTRIBUTES = {"ZmqServer": "zmq_server", "ZmqClient": "zmq_client"}

_exports.lazy(__name__, globals(), _SUBPACKAGES, _ATTRIBUTES)
_exports.publish(__name__, globals(), _SUBPACKAGES)
