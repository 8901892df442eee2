"""Opening and closing bridges for the commands, and the common wait-and-refresh loop."""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from ._common import CliError, Endpoint, StopSignal, bridge_error, resolve_host
from ._display import Display

__all__ = ["close_all", "open_bridge", "run_until"]

REFRESH_S = 0.25  # display refresh period
POLL_S = 0.05  # how often the loop looks at its end conditions


def open_bridge(factory: Callable[..., Any], ep: Endpoint, server: bool, **options: Any) -> Any:
    """Create a bridge (``factory(host, port, **options)``), turning failures into one-line errors."""
    resolve_host(ep.host)
    try:
        return factory(ep.host, ep.port, **options)
    except CliError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure here is the user's address or port
        raise bridge_error(exc, "listen on" if server else "connect to", ep) from None


def close_all(*objs: Any) -> None:
    """Stop/close each object (None skipped), in the order given, ignoring errors of one."""
    for obj in objs:
        if obj is None:
            continue
        for name in ("stop", "close", "_stop"):
            fn = getattr(obj, name, None)
            if fn is not None:
                try:
                    fn()
                except Exception:  # noqa: BLE001 - stopping must go on to the next object
                    pass
                break


def run_until(
    stop: StopSignal,
    display: Display,
    rows: Callable[[], Sequence[Sequence[str]]],
    *,
    seconds: float | None = None,
    until: Callable[[], bool] | None = None,
) -> str:
    """Refresh ``display`` until a signal (``"signal"``), ``seconds`` pass (``"time"``) or ``until()`` (``"done"``)."""
    deadline = None if seconds is None else time.monotonic() + seconds
    next_refresh = 0.0
    while True:
        now = time.monotonic()
        if now >= next_refresh:
            display.update(rows())
            next_refresh = now + REFRESH_S
        if until is not None and until():
            return "done"
        if deadline is not None and now >= deadline:
            return "time"
        wait = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - now))
        if stop.wait(wait):
            return "signal"
