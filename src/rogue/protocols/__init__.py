"""Rogue's protocols (``srp``: SLAC Register Protocol v3), an attribute after ``import rogue``, as in C++ Rogue."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .. import _exports

__all__ = ["srp"]

if TYPE_CHECKING:
    from . import srp

_exports.lazy(__name__, globals(), ("srp",))
