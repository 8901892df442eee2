"""``rogue.Logging``: Rogue's logging controls on top of the standard library.

Every Rogue object logs through an ordinary :class:`logging.Logger` whose name
starts with ``pyrogue.``. ``Logging.setLevel`` / ``Logging.setFilter`` set the
threshold of those loggers the way Rogue does (the lowest matching filter or the
global level wins). Handlers and formatters are configured the usual way; when
the application has configured none, rogue-bridge prints to ``stderr`` itself
(the library never calls :func:`logging.basicConfig`).
"""

from __future__ import annotations

import logging
import sys
import threading
import weakref

__all__ = ["Logging", "get_logger"]

_PREFIX = "pyrogue."

logging.addLevelName(35, "THREAD")


class _FallbackHandler(logging.StreamHandler):
    """Prints rogue records while the application has configured no handler.

    It plays the part of :data:`logging.lastResort`, without that handler's
    WARNING threshold, so a ``setFilter(..., Debug)`` shows debug lines even in a
    script that never touched :mod:`logging`. As soon as any other handler sees
    the record on its way up (root, ``pyrogue`` or a logger in between), it
    steps aside so nothing is printed twice.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(relativeCreated)d:%(name)s:%(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if self._other_handler(record.name):
            return
        self.stream = sys.stderr  # follow redirection (pytest's capsys, contextlib.redirect_stderr)
        super().emit(record)

    def _other_handler(self, name: str) -> bool:
        """True when a handler other than this one will see a record of logger ``name``."""
        logger: logging.Logger | None = logging.getLogger(name)
        while logger is not None:
            if any(h is not self for h in logger.handlers):
                return True
            if not logger.propagate:
                return False
            logger = logger.parent  # type: ignore[assignment]
        return False


class Logging:
    """Rogue's logging levels and thresholds (``rogue.Logging``)."""

    Critical = 50
    Error = 40
    Thread = 35
    Warning = 30
    Info = 20
    Debug = 10

    _lock = threading.Lock()
    _level = Error
    _filters: list[tuple[str, int]] = []
    _loggers: "weakref.WeakValueDictionary[str, logging.Logger]" = weakref.WeakValueDictionary()

    @staticmethod
    def normalizeName(name: str) -> str:
        """Return ``name`` with the ``pyrogue.`` prefix (added unless already there)."""
        return name if name.startswith(_PREFIX) else _PREFIX + name

    @classmethod
    def setLevel(cls, level: int) -> None:
        """Set the global threshold of every rogue logger (default ``Error``)."""
        with cls._lock:
            cls._level = int(level)
            cls._refresh()

    @classmethod
    def setFilter(cls, name: str, level: int) -> None:
        """Set the threshold of every logger whose normalized name starts with ``name``.

        Applies to loggers that exist and to those created later. Where several
        filters match a logger, the lowest level wins; the global level too
        takes part in that minimum.
        """
        with cls._lock:
            cls._filters.append((cls.normalizeName(name), int(level)))
            cls._refresh()

    @classmethod
    def levelFor(cls, name: str) -> int:
        """The threshold Rogue's rules give to the logger ``name``."""
        name = cls.normalizeName(name)
        level = cls._level
        for prefix, flevel in cls._filters:
            if flevel < level and name.startswith(prefix):
                level = flevel
        return level

    @classmethod
    def reset(cls) -> None:
        """Forget every filter and restore the global level ``Error`` (for tests)."""
        with cls._lock:
            cls._level = cls.Error
            cls._filters = []
            cls._refresh()

    @classmethod
    def create(cls, name: str) -> logging.Logger:
        """Return the standard logger ``pyrogue.<name>`` with its threshold set."""
        full = cls.normalizeName(name)
        logger = logging.getLogger(full)
        with cls._lock:
            logger.setLevel(cls.levelFor(full))
            cls._loggers[full] = logger
        return logger

    @classmethod
    def _refresh(cls) -> None:
        for name, logger in list(cls._loggers.items()):
            logger.setLevel(cls.levelFor(name))


def get_logger(name: str) -> logging.Logger:
    """Shorthand for :meth:`Logging.create`, used inside the library."""
    return Logging.create(name)


_root = logging.getLogger("pyrogue")
if not any(isinstance(h, _FallbackHandler) for h in _root.handlers):
    _root.addHandler(_FallbackHandler())
