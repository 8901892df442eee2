"""Rogue's utilities (``import rogue.utilities``): ``fileio``, Rogue's data files."""

from __future__ import annotations

from rogue.utilities import fileio

__all__ = ["fileio"]
