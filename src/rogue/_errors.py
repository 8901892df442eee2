"""The library's error type."""

from __future__ import annotations


class GeneralError(Exception):
    """The error raised by rogue-bridge (as ``rogue.GeneralError`` in Rogue).

    ``GeneralError(src, msg)`` names the object or function that failed and
    what went wrong; ``str(err)`` is ``"src: msg"``. A single argument is taken
    as the whole message.
    """

    def __init__(self, src: str, msg: str | None = None) -> None:
        if msg is None:
            src, msg = "", src
        self.src = src
        self.msg = msg
        super().__init__(f"{src}: {msg}" if src else msg)
