"""The library's log messages as the command line shows them: one line each, tracebacks only with ``-v``.

Without ``-v`` a record reads ``rogue-bridge CMD: warning: TEXT``, its first
line only; with ``-v`` it carries the logger's name and time, and an
exception's traceback. Installed on the ``pyrogue`` logger for the run of one
command (the library's own stderr printing then steps aside).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, TextIO

__all__ = ["cli_log_handler"]


class _Formatter(logging.Formatter):
    def __init__(self, prog: str, verbose: bool) -> None:
        super().__init__("%(relativeCreated)d:%(name)s:%(levelname)s: %(message)s")
        self._prog, self._verbose = prog, verbose

    def format(self, record: logging.LogRecord) -> str:
        if self._verbose:
            return super().format(record)
        text = record.getMessage().splitlines()[0] if record.getMessage() else ""
        return f"{self._prog}: {record.levelname.lower()}: {text}"


if TYPE_CHECKING:
    _StreamHandler = logging.StreamHandler[TextIO]
else:  # logging.StreamHandler takes no type argument at run time before Python 3.11
    _StreamHandler = logging.StreamHandler


class _Handler(_StreamHandler):
    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr  # follow redirection (pytest's capsys, contextlib.redirect_stderr)
        super().emit(record)


def cli_log_handler(prog: str, verbose: int) -> logging.Handler:
    """A handler printing the library's records for command ``prog`` (``-v`` given ``verbose`` times)."""
    handler = _Handler(sys.stderr)
    handler.setFormatter(_Formatter(prog, verbose > 0))
    return handler
