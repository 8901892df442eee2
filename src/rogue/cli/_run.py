"""Opening and closing bridges for the commands, waiting for the far side, and the common run loop.

Every wait and run loop here watches the command's :class:`StopSignal`, so
Ctrl-C (or SIGTERM) ends it within :data:`POLL_S`, and refreshes its
:class:`Display`, so the user sees what the command waits for and how far it is.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

from ._common import CliError, Endpoint, StopSignal, UsageError, bridge_error, resolve_host
from ._display import Display, Progress, Status, as_status

__all__ = ["await_stream_peer", "close_all", "open_bridge", "run_until", "timeout_text", "wait_for", "wait_in_thread"]

REFRESH_S = 0.25  # display refresh period
POLL_S = 0.05  # how often the loop looks at its end conditions

StatusFn = Callable[[], "Status | Sequence[Sequence[str]]"]


def open_bridge(factory: Callable[..., Any], ep: Endpoint, server: bool, **options: Any) -> Any:
    """Create a bridge (``factory(host, port, **options)``), turning failures into one-line errors."""
    if ep.host == "*" and not server:
        raise UsageError(f"bad address {str(ep)!r}: '*' (every interface) is where a server listens; "
                         "give the host to connect to")
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
    status: StatusFn,
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
            display.update(status())
            next_refresh = now + REFRESH_S
        if until is not None and until():
            return "done"
        if deadline is not None and now >= deadline:
            return "time"
        wait = POLL_S if deadline is None else max(0.0, min(POLL_S, deadline - now))
        if stop.wait(wait):
            return "signal"


def wait_for(
    stop: StopSignal,
    display: Display,
    ready: Callable[[], bool],
    what: str,
    timeout: float,
    *,
    status: StatusFn | None = None,
) -> str:
    """Wait until ``ready()``, showing "waiting for WHAT: 1.2 s of 5 s"; ``"ready"``, ``"signal"`` or ``"timeout"``.

    ``timeout`` 0 waits without a limit. ``status`` gives the rows shown
    meanwhile (the counters, still at zero).
    """
    t0 = time.monotonic()
    hint = "; Ctrl-C to stop" if not timeout else ""

    def waiting() -> Status:
        base = as_status(status()) if status is not None else Status()
        return Status(rows=base.rows, notes=base.notes, waiting=f"waiting for {what}{hint}",
                      progress=Progress(time.monotonic() - t0, timeout, "s"))

    why = run_until(stop, display, waiting, seconds=timeout or None, until=ready)
    return {"done": "ready", "time": "timeout"}.get(why, why)


def timeout_text(timeout: float) -> str:
    """``within 5 s`` (for the one line a wait that ran out ends with)."""
    return f"within {timeout:g} s"


class wait_in_thread:  # noqa: N801 - used like a function
    """Run a blocking ``call()`` (e.g. ``client.waitReady(timeout)``) in a thread; ``done()``, ``result``.

    For waits that cannot watch a stop event themselves: the command waits on
    :meth:`done` with :func:`wait_for` and, on a signal, closes what ``call``
    waits on so the thread returns.
    """

    def __init__(self, call: Callable[[], Any], name: str = "rogue-bridge:cli:wait") -> None:
        self.result: Any = None
        self.error: BaseException | None = None
        self._done = threading.Event()

        def run() -> None:
            try:
                self.result = call()
            except BaseException as exc:  # noqa: BLE001 - handed to the command
                self.error = exc
            finally:
                self._done.set()

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        self._thread.start()

    def done(self) -> bool:
        """True once ``call`` returned (or raised)."""
        return self._done.is_set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread; True if it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()


def await_stream_peer(
    stop: StopSignal,
    display: Display,
    bridge: Any,
    ep: Endpoint,
    *,
    server: bool,
    timeout: float,
    status: StatusFn | None = None,
    seconds: float | None = None,
    ready: Callable[[], bool] | None = None,
) -> str:
    """Wait until a stream bridge's far side is there; ``"ready"`` or ``"signal"``; CliError when it never came.

    A client waits ``timeout`` seconds (0: no limit) for its server; a
    listening end (``server``) waits for a client without a limit. ``seconds``
    (the command's whole run) bounds both.
    """
    limit = 0.0 if server else timeout
    if seconds is not None:
        limit = min(limit, seconds) if limit else seconds
    what = f"a stream client to connect to {ep}" if server else f"the stream server at {ep} to accept"
    why = wait_for(stop, display, ready or bridge.isConnected, what, limit, status=status)
    if why == "timeout":
        peer = "no stream client connected" if server else "no stream server accepted"
        raise CliError(f"nothing answering at {ep}: {peer} {timeout_text(limit)}")
    return why
