"""Rogue's protocols (``srp``: SLAC Register Protocol v3)."""
