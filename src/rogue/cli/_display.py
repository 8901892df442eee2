"""Live status displays: a ``rich`` table on a terminal, plain lines otherwise.

Commands describe their state as rows of cells; :class:`Display` shows them
with :mod:`rich.live` when stdout is a terminal and prints one plain line per
row every few seconds when it is not (a pipe, a log file, a test), so the
output stays readable and greppable.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import IO, TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from rich.console import Console
    from rich.live import Live
    from rich.table import Table

__all__ = ["Display", "RateMeter", "fmt_bytes", "fmt_count", "fmt_rate"]


def fmt_count(n: float) -> str:
    """``1234567`` -> ``1.23M`` (k, M, G: powers of 1000)."""
    for div, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= div:
            return f"{n / div:.2f}{unit}"
    return f"{n:.0f}" if float(n).is_integer() else f"{n:.1f}"


def fmt_rate(n: float, unit: str = "/s") -> str:
    """A per-second rate, e.g. ``12.3k/s``."""
    return f"{fmt_count(n)}{unit}"


def fmt_bytes(n: float) -> str:
    """A byte count in decimal units (``B``, ``kB``, ``MB``, ``GB``)."""
    for div, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return f"{n:.0f} B"


class RateMeter:
    """Rate of a growing counter between successive :meth:`sample` calls."""

    MIN_WINDOW_S = 0.2  # a shorter window keeps the previous rate (a rate over 1 ms is noise)

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._t = clock()
        self._n = 0.0
        self.rate = 0.0

    def sample(self, total: float) -> float:
        """Record the counter's current ``total``; return its rate since the previous sample."""
        now = self._clock()
        dt = now - self._t
        if dt >= self.MIN_WINDOW_S:
            self.rate = (total - self._n) / dt
            self._t, self._n = now, total
        return self.rate


class Display:
    """Shows a titled table of rows, live on a terminal, as plain lines elsewhere.

    ``update(rows)`` may be called often (each refresh of the command's loop);
    in plain mode a line per row is printed at most every ``interval`` seconds.
    ``print(text)`` writes a line above the live table (thread-safe).
    """

    def __init__(
        self,
        title: str,
        columns: Sequence[str],
        *,
        live: bool | None = None,
        interval: float = 1.0,
        stream: IO[str] | None = None,
    ) -> None:
        self.title = title
        self.columns = list(columns)
        self._stream = stream if stream is not None else sys.stdout
        self.live = self._stream.isatty() if live is None else live
        self.interval = interval
        self._next_plain = time.monotonic() + interval
        self._lock = threading.Lock()
        self._live: Live | None = None
        self._console: Console | None = None
        self._t0 = time.monotonic()
        self._last: list[list[str]] = []

    def __enter__(self) -> "Display":
        if self.live:
            from rich.console import Console
            from rich.live import Live

            self._console = Console(file=self._stream)
            self._live = live = Live(self._table([]), console=self._console, refresh_per_second=4, transient=False)
            live.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.__exit__(et, ev, tb)

    def _table(self, rows: Sequence[Sequence[str]]) -> Table:
        from rich.table import Table

        table = Table(title=self.title, title_justify="left")
        for i, col in enumerate(self.columns):
            table.add_column(col, justify="left" if i == 0 else "right")
        for row in rows:
            table.add_row(*row)
        return table

    def update(self, rows: Sequence[Sequence[str]], *, force: bool = False) -> None:
        """Show ``rows`` (each a list of cells matching ``columns``)."""
        if self._live is not None:
            self._live.update(self._table(rows))
            return
        now = time.monotonic()
        if not force and now < self._next_plain:
            return
        self._next_plain = now + self.interval
        cells_now = [list(r) for r in rows]
        if cells_now == self._last and not force:
            return  # an idle server does not fill its log with identical lines
        self._last = cells_now
        with self._lock:
            for row in cells_now:
                cells = " ".join(f"{c}={v}" for c, v in zip(self.columns[1:], row[1:]))
                self._stream.write(f"[{now - self._t0:6.1f}s] {row[0]}: {cells}\n")
            self._stream.flush()

    def print(self, text: str) -> None:
        """Write one line (above the live table on a terminal)."""
        if self._console is not None:
            self._console.print(text, markup=False, highlight=False)
            return
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()
