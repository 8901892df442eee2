"""Rogue utilities: PRBS generator and checker."""

from rogue.utilities.prbs import Prbs

__all__ = ["Prbs"]
