"""Live status displays: a ``rich`` view on a terminal, plain lines otherwise.

A command describes its state as a :class:`Status`: rows of counters (a label,
then one cell per column), short notes (``errors 0``, ``connected yes``), the
progress of a bounded run (frames of ``--count``, seconds of ``--seconds``,
records of a file) and, while it waits for its far side, what it waits for.
:class:`Display` shows it with :mod:`rich.live` when its stream is a terminal,
laid out to fit 80 columns (the title and notes wrap, the table is four narrow
columns), and as plain lines when it is not (a pipe, a log file, a test): one
line per row and one for the rest, at most once per ``interval`` and only when
something changed, so the output stays readable and greppable.
"""

from __future__ import annotations

import collections
import sys
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import IO, Any, Callable, Sequence

__all__ = ["Display", "Progress", "RateMeter", "Status", "Traffic", "as_status", "fmt_bytes", "fmt_count", "fmt_rate",
           "fmt_seconds"]


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


def fmt_seconds(s: float) -> str:
    """``0.25`` -> ``0.2 s``, ``5.0`` -> ``5 s``, ``75`` -> ``75 s``, ``4000`` -> ``1h06m40s``."""
    if s >= 3600:
        return f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m{int(s % 60):02d}s"
    if s < 10:
        return f"{s:.1f}".rstrip("0").rstrip(".") + " s"
    return f"{s:.0f} s"


class RateMeter:
    """Rate of a growing counter over the last ``window`` seconds, and on average since :meth:`start`."""

    WINDOW_S = 1.0  # the live rate is over this long (a rate over one refresh jumps with every burst)
    MIN_WINDOW_S = 0.2  # a shorter span keeps the previous rate (a rate over 1 ms is noise)

    def __init__(self, clock: Callable[[], float] = time.monotonic, window: float = WINDOW_S) -> None:
        self._clock = clock
        self._window = window
        self._samples: collections.deque[tuple[float, float]] = collections.deque()
        self._t0 = clock()
        self._n0 = 0.0
        self._samples.append((self._t0, 0.0))
        self.rate = 0.0

    def start(self, total: float = 0.0) -> None:
        """Count from now (and from ``total``): where :meth:`average` starts."""
        self._t0, self._n0 = self._clock(), total
        self._samples.clear()
        self._samples.append((self._t0, total))
        self.rate = 0.0

    def sample(self, total: float) -> float:
        """Record the counter's current ``total``; return its rate over about the last ``window`` seconds."""
        now = self._clock()
        samples = self._samples
        while len(samples) > 1 and now - samples[1][0] >= self._window:
            samples.popleft()
        t, n = samples[0]
        if now - t >= self.MIN_WINDOW_S:
            self.rate = (total - n) / (now - t)
        if now - samples[-1][0] >= self.MIN_WINDOW_S / 2:
            samples.append((now, total))
        return self.rate

    def average(self, total: float) -> float:
        """The rate from :meth:`start` (or creation) to now: what a run's last line shows, however short."""
        dt = self._clock() - self._t0
        return (total - self._n0) / dt if dt > 0 else 0.0


class Traffic:
    """Frame and byte counters with their rates, as display rows ``[label, frames, frames/s, MB/s]``.

    Live rows show the rate over the last refresh; the ``final`` row the average
    since :meth:`start`, so a run shorter than a refresh still shows its rate.
    """

    COLUMNS = ["", "frames", "frames/s", "MB/s"]

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._meters: dict[str, tuple[RateMeter, RateMeter]] = {}
        self.t0 = clock()

    def start(self) -> None:
        """Count rates from now (when traffic can flow: the link is up, sending starts)."""
        self.t0 = self._clock()
        for fm, bm in self._meters.values():
            fm.start()
            bm.start()

    def elapsed(self) -> float:
        """Seconds since :meth:`start`."""
        return self._clock() - self.t0

    def rates(self, label: str, frames: float, nbytes: float, final: bool = False) -> tuple[float, float]:
        """``(frames/s, bytes/s)`` of the counters of ``label``."""
        if final:
            dt = self.elapsed()
            return (frames / dt, nbytes / dt) if dt > 0 else (0.0, 0.0)
        fm, bm = self._meters.setdefault(label, (RateMeter(self._clock), RateMeter(self._clock)))
        return fm.sample(frames), bm.sample(nbytes)

    def row(self, label: str, frames: int, nbytes: int, *extra: str, final: bool = False) -> list[str]:
        """One display row of ``label``'s counters."""
        fr, br = self.rates(label, frames, nbytes, final)
        return [label, fmt_count(frames), fmt_rate(fr), f"{br / 1e6:.2f}", *extra]


@dataclass
class Progress:
    """How far a bounded run is: ``done`` of ``total`` ``unit`` (total 0: no bound known)."""

    done: float
    total: float
    unit: str

    def text(self) -> str:
        """``345/1000 frames (34%)``, ``1.2 s of 5 s``."""
        if self.unit == "s":
            return f"{fmt_seconds(self.done)} of {fmt_seconds(self.total)}" if self.total else fmt_seconds(self.done)
        if not self.total:
            return f"{fmt_count(self.done)} {self.unit}"
        pct = min(100, int(100 * self.done / self.total))
        return f"{fmt_count(self.done)}/{fmt_count(self.total)} {self.unit} ({pct}%)"


@dataclass
class Status:
    """What a command shows: counter rows, notes, progress, and what it is waiting for (if it waits)."""

    rows: Sequence[Sequence[str]] = ()
    notes: Sequence[tuple[str, str]] = ()
    progress: Progress | None = None
    waiting: str = ""


def as_status(value: Status | Sequence[Sequence[str]]) -> Status:
    """A :class:`Status` from a Status or a bare list of rows."""
    return value if isinstance(value, Status) else Status(rows=value)


class Display:
    """Shows a titled :class:`Status`, live on a terminal, as plain lines elsewhere.

    ``update(status)`` may be called often (each refresh of the command's loop);
    in plain mode lines are printed at most every ``interval`` seconds, and only
    when they changed. ``print(text)`` writes a line above the live view
    (thread-safe). ``console`` (a ``rich.console.Console``) replaces the one
    made for ``stream`` (tests give one of a fixed width). ``quiet``: no plain
    lines at all (for a one-shot command whose output is data); ``transient``:
    the live view is erased at the end.
    """

    WAIT_SHOWN_AFTER_S = 0.25  # a plain "waiting for ..." line comes this soon, then every ``interval``

    def __init__(
        self,
        title: str,
        columns: Sequence[str],
        *,
        live: bool | None = None,
        interval: float = 1.0,
        stream: IO[str] | None = None,
        console: Any = None,
        quiet: bool = False,
        transient: bool = False,
    ) -> None:
        self.title = title
        self.columns = list(columns)
        self._stream = stream if stream is not None else sys.stdout
        if console is not None:
            live = True if live is None else live
        self.live = (self._stream.isatty() if live is None else live)
        self.quiet = quiet and not self.live
        self._transient = transient
        self.interval = interval
        self._next_plain = time.monotonic() + interval
        self._lock = threading.Lock()
        self._live: Any = None
        self._console = console
        self._t0 = time.monotonic()
        self._last: list[str] = []
        self._waiting_shown = ""

    def __enter__(self) -> "Display":
        if self.live:
            from rich.console import Console
            from rich.live import Live

            if self._console is None:
                self._console = Console(file=self._stream)
            self._live = Live(self.render(Status()), console=self._console, refresh_per_second=4,
                              transient=self._transient)
            self._live.__enter__()
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        live, self._live = self._live, None
        if live is not None:
            live.__exit__(et, ev, tb)

    # -- the terminal view ----------------------------------------------------------------------
    def render(self, status: Status) -> Any:
        """The rich renderable of ``status``: title, table, notes, progress bar or what is awaited."""
        from rich import box
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        parts: list[Any] = [Text(self.title, style="bold")]
        if status.rows:
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            for i, col in enumerate(self.columns):
                table.add_column(col, justify="left" if i == 0 else "right", no_wrap=i > 0, overflow="fold")
            for row in status.rows:
                table.add_row(*row)
            parts.append(table)
        if status.notes:
            parts.append(Text("  ".join(f"{k} {v}" for k, v in status.notes)))
        if status.waiting:
            parts.append(Text(status.waiting + ":"))
        p = status.progress
        if p is not None:
            total = p.total or None
            grid = Table.grid(padding=(0, 1))
            grid.add_column(width=30, no_wrap=True)
            grid.add_column(overflow="fold")
            grid.add_row(ProgressBar(total=total, completed=min(p.done, p.total) if total else 0, width=30),
                         Text(p.text()))
            parts.append(grid)
        return Group(*parts)

    # -- updates ------------------------------------------------------------------------------------
    def plain_lines(self, status: Status) -> list[str]:
        """The plain-text lines of ``status`` (without the time prefix)."""
        if status.waiting:  # the counters are still zero: the wait is the news
            p = status.progress
            return [f"{status.waiting}" + (f": {p.text()}" if p else "")]
        lines = []
        for row in status.rows:
            cells = " ".join(f"{c}={v}" for c, v in zip(self.columns[1:], row[1:]))
            lines.append(f"{row[0]}: {cells}")
        rest = [f"{k}={v}" for k, v in status.notes]
        if status.progress is not None:
            rest.append(f"progress={status.progress.text()}")
        if rest:
            lines.append(" ".join(rest))
        return lines

    def update(self, status: Status | Sequence[Sequence[str]], *, force: bool = False) -> None:
        """Show ``status`` (or bare rows, each a list of cells matching ``columns``)."""
        status = as_status(status)
        if self._live is not None:
            self._live.update(self.render(status))
            return
        now = time.monotonic()
        if status.waiting and status.waiting != self._waiting_shown and status.progress is not None \
                and status.progress.done >= self.WAIT_SHOWN_AFTER_S:
            self._waiting_shown = status.waiting  # a wait is told as soon as it is not a blink
            force = True
        if self.quiet or (not force and now < self._next_plain):
            return
        self._next_plain = now + self.interval
        lines = self.plain_lines(status)
        if lines == self._last and not force:
            return  # an idle server does not fill its log with identical lines
        self._last = lines
        with self._lock:
            for line in lines:
                self._stream.write(f"[{now - self._t0:6.1f}s] {line}\n")
            self._stream.flush()

    def print(self, text: str) -> None:
        """Write one line (above the live view on a terminal)."""
        if self._live is not None and self._console is not None:
            self._console.print(text, markup=False, highlight=False, soft_wrap=False)
            return
        with self._lock:
            self._stream.write(text + "\n")
            self._stream.flush()
