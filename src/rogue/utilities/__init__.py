"""Rogue's utilities (``import rogue.utilities``): ``Prbs``, the link tester, and ``fileio``, Rogue's data files."""

from __future__ import annotations

from rogue.utilities import fileio
from rogue.utilities.prbs import Prbs

__all__ = ["Prbs", "fileio"]
