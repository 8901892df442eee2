"""Rogue's utilities (``import rogue.utilities``): ``Prbs``, the link tester, and ``fileio``, Rogue's data files.

``fileio`` is an attribute after ``import rogue.utilities`` (imported on first
use), as in C++ Rogue.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _exports

__all__ = ["Prbs", "fileio"]

if TYPE_CHECKING:
    from . import fileio
    from .prbs import Prbs

_exports.lazy(__name__, globals(), ("fileio",), attributes={"Prbs": "prbs"})  # numpy loads with them
_exports.publish(__name__, globals(), ("fileio",))
