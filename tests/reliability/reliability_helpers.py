"""Helpers shared by the reliability tests: log counting, RSS, frame sinks (and conftest's wait_until)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import rogue.interfaces.stream as ris

from conftest import wait_until

__all__ = ["LogCounter", "Sink", "rss_bytes", "wait_until"]


def rss_bytes() -> int:
    """Resident set size of this process."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


class LogCounter(logging.Handler):
    """Counts records of the ``pyrogue`` loggers, by level; keeps the messages of errors."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: dict[int, int] = {}
        self.messages: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock2:
            self.counts[record.levelno] = self.counts.get(record.levelno, 0) + 1
            if record.levelno >= logging.ERROR or "loop error" in record.getMessage():
                self.messages.append(record.getMessage())

    def at_least(self, level: int) -> int:
        return sum(n for lv, n in self.counts.items() if lv >= level)

    def __enter__(self) -> "LogCounter":
        logging.getLogger("pyrogue").addHandler(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        logging.getLogger("pyrogue").removeHandler(self)


class Sink(ris.Slave):
    """Keeps received payloads (or only counts them) and wakes a waiter at a given count."""

    def __init__(self, keep: bool = True) -> None:
        super().__init__()
        self.keep = keep
        self.frames: list[bytes] = []
        self.count = 0
        self._cond = threading.Condition()

    def _acceptFrame(self, frame: Any) -> None:
        data = bytes(frame.getBa()) if self.keep else None
        with self._cond:
            if self.keep:
                self.frames.append(data)
            self.count += 1
            self._cond.notify_all()

    def wait_count(self, n: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self.count >= n, timeout)
