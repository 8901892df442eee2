"""``rogue.Logging``: Rogue's logging controls on top of the standard library.

Every Rogue object logs through an ordinary :class:`logging.Logger` whose name
starts with ``pyrogue.``. ``Logging.setLevel`` / ``Logging.setFilter`` set the
threshold of those loggers the way Rogue does (the lowest matching filter or the
global level wins). A filter applies to every logger of the standard logging
tree whose name starts with its prefix, the application's own included, created
before or after the filter: the prefix's own logger gets the level (so loggers
below it inherit it, as ``logging`` does), and a logger matched by the prefix
but not below it in the tree (``'pyrogue.stream.Tcp'`` matches
``'pyrogue.stream.TcpCore.x'``) gets its level set when it is created. The
global level alone applies to the library's loggers; the application's loggers
that no filter matches keep what the application gave them.

Handlers and formatters are configured the usual way; when the application has
configured none, rogue-bridge prints to ``stderr`` itself (the library never
calls :func:`logging.basicConfig`); ``setEmitStdout(False)`` stops that printing
and nothing else. The library's records carry the attributes of C++ Rogue's
forwarded records (``rogue_cpp``, ``rogue_logger``, ``rogue_component``,
``rogue_tid``, ``rogue_pid``, ``rogue_timestamp``). The library's loggers are Python loggers, so their records
reach the application's handlers from the start (``forwardPython()`` is True, as
after Rogue's ``setForwardPython(True)``); ``setForwardPython(False)`` keeps them
away from those handlers, as Rogue's C++ loggers are by default.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from typing import TYPE_CHECKING, Any, TextIO

__all__ = ["Logging", "get_logger"]

_PREFIX = "pyrogue."
_ROOT = "pyrogue"

logging.addLevelName(35, "THREAD")


if TYPE_CHECKING:
    _StreamHandler = logging.StreamHandler[TextIO]
else:  # logging.StreamHandler takes no type argument at run time before Python 3.11
    _StreamHandler = logging.StreamHandler


class _FallbackHandler(_StreamHandler):
    """Prints rogue records while the application has configured no handler.

    It plays the part of :data:`logging.lastResort`, without that handler's
    WARNING threshold, so a ``setFilter(..., Debug)`` shows debug lines even in a
    script that never touched :mod:`logging`. As soon as any other handler sees
    the record on its way up (root, ``pyrogue`` or a logger in between), it
    steps aside so nothing is printed twice. Silent after ``setEmitStdout(False)``.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)
        self.setFormatter(logging.Formatter("%(relativeCreated)d:%(name)s:%(levelname)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not Logging._emit or self._other_handler(record.name):
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
            logger = logger.parent
        return False


_fallback = _FallbackHandler()


class _RogueFields(logging.Filter):
    """Puts on every record of a library logger the attributes C++ Rogue puts on the records it forwards.

    ``rogue_cpp`` (True: a record of the core library, not of Python code
    above it), ``rogue_logger`` (the logger's name), ``rogue_component``
    (its first part after ``pyrogue.``, e.g. ``memory``), ``rogue_tid`` (the
    native thread id), ``rogue_pid`` and ``rogue_timestamp`` (``created``).
    pyrogue's system log copies them (``rogueCpp``, ...). Runs only for
    records that pass the level, in the logging thread.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        name = record.name
        rest = name[len(_PREFIX):] if name.startswith(_PREFIX) else name
        record.rogue_cpp = True
        record.rogue_logger = name
        record.rogue_component = rest.split(".", 1)[0]
        record.rogue_tid = threading.get_native_id()
        record.rogue_pid = os.getpid()
        record.rogue_timestamp = record.created
        return True


_fields = _RogueFields()


class Logging:
    """Rogue's logging levels and thresholds (``rogue.Logging``)."""

    Critical = 50
    Error = 40
    Thread = 35
    Warning = 30
    Info = 20
    Debug = 10

    _lock = threading.RLock()
    _level = Error
    _filters: list[tuple[str, int]] = []
    _emit = True
    _forward = True
    # The library's loggers (levels always Rogue's rule), and the others this class gave a level.
    _loggers: "weakref.WeakValueDictionary[str, logging.Logger]" = weakref.WeakValueDictionary()
    _managed: "weakref.WeakValueDictionary[str, logging.Logger]" = weakref.WeakValueDictionary()
    _hooked = False

    @staticmethod
    def normalizeName(name: str) -> str:
        """Return ``name`` with the ``pyrogue.`` prefix (added unless already there; ``'pyrogue'`` stays)."""
        return name if name.startswith(_PREFIX) or name == _ROOT else _PREFIX + name

    @classmethod
    def setLevel(cls, level: int) -> None:
        """Set the global threshold (default ``Error``) of every rogue logger and every filtered one."""
        with cls._lock:
            cls._level = int(level)
            cls._refresh()

    @classmethod
    def setFilter(cls, name: str, level: int) -> None:
        """Set the threshold of every logger whose normalized name starts with ``name``.

        Applies to loggers that exist and to those created later, the
        application's included. Where several filters match a logger, the
        lowest level wins; the global level too takes part in that minimum.
        """
        with cls._lock:
            cls._filters.append((cls.normalizeName(name), int(level)))
            cls._install_hook()
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
    def setEmitStdout(cls, enable: bool) -> None:
        """Let the library print its records itself when no handler takes them (default True); False silences it.

        The application's handlers are not touched: they get every record either way.
        """
        cls._emit = bool(enable)

    @classmethod
    def emitStdout(cls) -> bool:
        """Whether the library prints records itself (see :meth:`setEmitStdout`)."""
        return cls._emit

    @classmethod
    def setForwardPython(cls, enable: bool) -> None:
        """Whether the library's records reach the application's ``logging`` handlers (default True).

        False keeps them to the library's own printing (``emitStdout``), as
        Rogue's C++ loggers without forwarding.
        """
        with cls._lock:
            cls._forward = bool(enable)
            for logger in list(cls._loggers.values()):
                cls._route(logger)

    @classmethod
    def forwardPython(cls) -> bool:
        """Whether the library's records reach the application's handlers (see :meth:`setForwardPython`)."""
        return cls._forward

    def name(self: Any) -> str:
        """The full name of a logger (Rogue's ``log.name()``); ``Logging.name(obj._log)`` for a bridge's logger."""
        return str(self.name if isinstance(self, logging.Logger) else getattr(self, "_name", ""))

    @classmethod
    def reset(cls) -> None:
        """Forget every filter, restore the global level ``Error`` and the output defaults (for tests)."""
        with cls._lock:
            cls._level = cls.Error
            old = [prefix for prefix, _ in cls._filters]
            cls._filters = []
            cls._emit = True
            cls._forward = True
            for logger in list(cls._loggers.values()):
                cls._route(logger)
            for name in old:  # the prefixes' own loggers got a level from this class
                logger = logging.Logger.manager.loggerDict.get(name)  # type: ignore[assignment]
                if isinstance(logger, logging.Logger) and name not in cls._loggers:
                    cls._managed[name] = logger
            cls._refresh()

    @classmethod
    def create(cls, name: str) -> logging.Logger:
        """Return the standard logger ``pyrogue.<name>`` with its threshold set (a library logger)."""
        full = cls.normalizeName(name)
        logger = logging.getLogger(full)
        with cls._lock:
            level = cls.levelFor(full)
            if logger.level != level:  # setLevel clears the cache of every logger: not for an unchanged level
                logger.setLevel(level)
            cls._loggers[full] = logger
            cls._managed.pop(full, None)
            cls._route(logger)
            if _fields not in logger.filters:
                logger.addFilter(_fields)
        return logger

    # -- applying the rule to the logging tree -----------------------------------------------
    @classmethod
    def _matched(cls, name: str) -> bool:
        return any(name.startswith(prefix) for prefix, _ in cls._filters)

    @classmethod
    def _refresh(cls) -> None:
        """Give every logger concerned the level Rogue's rule says (lock held)."""
        manager = logging.Logger.manager
        for prefix, _ in cls._filters:
            if not prefix.endswith("."):  # "pyrogue." (from setFilter("")) has no logger of its own
                logger = logging.getLogger(prefix)
                if prefix not in cls._loggers:
                    cls._managed[prefix] = logger
        prefixes = {p for p, _ in cls._filters}
        names = sorted((n for n, lg in list(manager.loggerDict.items())
                        if isinstance(lg, logging.Logger) and (n == _ROOT or n.startswith(_PREFIX))), key=len)
        changed = False
        for name in names:  # parents (shorter names) first: children compare with what they inherit
            found = manager.loggerDict[name]
            assert isinstance(found, logging.Logger)
            if name in cls._loggers or name in prefixes:
                level = cls.levelFor(name)
                if found.level != level:
                    # setLevel would clear every logger's cache, once per logger (quadratic in loggers: 0.6 s
                    # for 3 000); the level is set here and the caches cleared once below.
                    found.level = level
                    changed = True
            elif cls._matched(name) or name in cls._managed:
                cls._adopt(found)  # reads effective levels (not cached): correct with caches not yet cleared
        if changed:
            root = logging.getLogger()
            root.setLevel(root.level)  # clears the cache of every logger (its only effect: the level is the same)

    @classmethod
    def _adopt(cls, logger: logging.Logger) -> None:
        """Give an application logger the level of Rogue's rule: inherited if it can be, else its own."""
        name = logger.name
        if not cls._matched(name):
            if cls._managed.pop(name, None) is not None:
                logger.setLevel(logging.NOTSET)  # ours, no filter any more: back to inheriting
            return
        want = cls.levelFor(name)
        logger.setLevel(logging.NOTSET)
        if logger.getEffectiveLevel() == want:
            cls._managed.pop(name, None)
        else:
            logger.setLevel(want)
            cls._managed[name] = logger

    @classmethod
    def _route(cls, logger: logging.Logger) -> None:
        """A library logger's records to the application's handlers (forward) or to the library's printer only."""
        logger.propagate = cls._forward
        if cls._forward:
            if _fallback in logger.handlers:
                logger.removeHandler(_fallback)
        elif _fallback not in logger.handlers:
            logger.addHandler(_fallback)

    @classmethod
    def _install_hook(cls) -> None:
        """Have loggers created from now on under a filter's prefix get their level (lock held)."""
        if cls._hooked:
            return
        cls._hooked = True
        manager = logging.Logger.manager
        original = manager.getLogger

        def get_logger(name: str) -> logging.Logger:
            known = isinstance(manager.loggerDict.get(name), logging.Logger)  # a PlaceHolder becomes one now
            logger = original(name)
            if not known and cls._filters and name.startswith(_PREFIX) and isinstance(logger, logging.Logger):
                with cls._lock:
                    if name not in cls._loggers:
                        cls._adopt(logger)
            return logger

        get_logger.__doc__ = original.__doc__
        manager.getLogger = get_logger  # type: ignore[method-assign]


def get_logger(name: str) -> logging.Logger:
    """Shorthand for :meth:`Logging.create`, used inside the library."""
    return Logging.create(name)


_root = logging.getLogger(_ROOT)
if not any(isinstance(h, _FallbackHandler) for h in _root.handlers):
    _root.addHandler(_fallback)
