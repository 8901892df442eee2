"""Rate-limited warnings: a flood of bad messages costs a bounded number of log lines."""

from __future__ import annotations

import logging
import time

__all__ = ["WarnLimiter"]


class WarnLimiter:
    """Logs the first ``burst`` warnings, then at most one summary per ``period`` seconds.

    A flood of bad messages thus costs a bounded number of log lines. Used from
    one thread only (the bridge's receive thread), so it takes no lock.
    """

    def __init__(
        self, log: logging.Logger, what: str, burst: int = 10, period: float = 1.0, level: int = logging.WARNING
    ) -> None:
        self._log = log
        self._level = level
        self._what = what
        self._burst = burst
        self._period = period
        self._suppressed = 0
        self._last_reason = ""
        self._last_summary = time.monotonic()

    def warn(self, reason: str, exc_info: BaseException | None = None) -> None:
        """Report one event with its ``reason`` (and, while not suppressed, the exception's traceback)."""
        if self._burst > 0:
            self._burst -= 1
            self._log.log(self._level, "%s: %s", self._what, reason, exc_info=exc_info)
            return
        self._suppressed += 1
        self._last_reason = reason
        self.tick()

    def tick(self) -> None:
        """Log the summary of suppressed warnings if one is due (call it periodically)."""
        if self._suppressed:
            now = time.monotonic()
            if now - self._last_summary >= self._period:
                self._log.log(
                    self._level,
                    "%s: %d more in the last %.1f s (last: %s)",
                    self._what,
                    self._suppressed,
                    now - self._last_summary,
                    self._last_reason,
                )
                self._suppressed = 0
                self._last_summary = now
