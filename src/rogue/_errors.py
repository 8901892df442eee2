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


class OptionError(GeneralError):
    """A bad security option of a bridge (a :class:`GeneralError`, so callers need not know it).

    ``option`` is the keyword at fault (``'allow'``, ``'serverSecretKey'``, ...);
    ``kind`` says how: ``'side'`` (an option of the other side: a client's on a
    server or the reverse), ``'pair'`` (one CURVE key given without its partner)
    or ``'value'`` (not a valid address or key; the text never contains a key).
    The command line maps these to its own flags.
    """

    def __init__(self, src: str, msg: str, *, option: str, kind: str) -> None:
        super().__init__(src, msg)
        self.option = option
        self.kind = kind
