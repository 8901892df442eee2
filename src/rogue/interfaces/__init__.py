"""Rogue's interfaces: ``stream`` (frames) and ``memory`` (register transactions)."""
