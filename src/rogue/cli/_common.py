"""The pieces every subcommand shares: endpoints, numbers, errors, signals, paced senders.

The grammar of the command line lives here (and in ``_numbers``, ``_exits``),
so a new subcommand adopts it by importing from this module: ``HOST:PORT``
endpoints (``*`` for all interfaces where a server listens), numbers with
``0x`` and unit suffixes, :class:`CliError` / :class:`UsageError` for the one
line a failure ends with, :class:`StopSignal` for Ctrl-C. Everything here is
pure (no sockets), so it is unit-tested directly.
"""

from __future__ import annotations

import argparse
import signal
import socket
import threading
import time
from dataclasses import dataclass
from types import FrameType, TracebackType
from typing import Any, Callable

from .. import _ports
from ._exits import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TERMINATED,
    EXIT_USAGE,
    CliError,
    UsageError,
    exit_code_of_signal,
)
from ._numbers import parse_count, parse_hex, parse_rate, parse_seconds, parse_size, parse_timeout

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_TERMINATED",
    "EXIT_USAGE",
    "CliError",
    "Endpoint",
    "GenSpec",
    "Pacer",
    "SenderThread",
    "StopSignal",
    "UsageError",
    "argtype",
    "bridge_error",
    "exit_code_of_signal",
    "free_port_pair",
    "parse_count",
    "parse_endpoint",
    "parse_gen_spec",
    "parse_hex",
    "parse_port",
    "parse_rate",
    "parse_seconds",
    "parse_size",
    "parse_timeout",
    "resolve_host",
    "stop_of",
]


@dataclass(frozen=True)
class Endpoint:
    """A bridge address: host (or interface, ``*`` for all) and base port P (P and P+1 used)."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def _port(text: str, prefix: str) -> int:
    try:
        port = int(text.strip(), 10)
    except ValueError:
        raise UsageError(f"{prefix}: the port must be a number") from None
    if not 1 <= port <= 65534:
        # The bridges use P and P+1, so P must leave room for P+1.
        raise UsageError(f"{prefix}: the port must be 1..65534 (the bridge uses P and P+1)")
    return port


def parse_port(text: str) -> int:
    """A base port P in 1..65534 (the bridges also use P+1)."""
    return _port(text, f"bad port {text!r}")


def parse_endpoint(text: str) -> Endpoint:
    """``HOST:PORT`` (``[v6addr]:PORT`` for IPv6) as an :class:`Endpoint`."""
    text = text.strip()
    if text.startswith("["):
        host, sep, rest = text[1:].partition("]")
        if not sep or not rest.startswith(":"):
            raise UsageError(f"bad address {text!r}: expected [IPV6]:PORT")
        port_text = rest[1:]
    else:
        host, sep, port_text = text.rpartition(":")
        if not sep:
            raise UsageError(f"bad address {text!r}: expected HOST:PORT, e.g. 127.0.0.1:8000")
        if ":" in host:
            raise UsageError(f"bad address {text!r}: write an IPv6 address in brackets, e.g. [::1]:8000")
    if not host:
        raise UsageError(f"bad address {text!r}: the host is missing (expected HOST:PORT)")
    return Endpoint(host, _port(port_text, f"bad address {text!r}"))


def resolve_host(host: str) -> None:
    """Fail with a one-line :class:`CliError` when ``host`` does not resolve."""
    if host == "*":
        return
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CliError(f"unknown host {host!r}: {getattr(exc, 'strerror', None) or exc}") from None


@dataclass(frozen=True)
class GenSpec:
    """``SIZE@RATE`` of ``serve-stream --generate``: frame size in bytes, frames/s (0 = flat out)."""

    size: int
    rate: float


def parse_gen_spec(text: str) -> GenSpec:
    """``SIZE@RATE`` (e.g. ``1k@100``); ``SIZE`` alone sends as fast as possible."""
    size_text, sep, rate_text = text.partition("@")
    if sep and not rate_text:
        raise UsageError(f"bad --generate {text!r}: expected SIZE@RATE, e.g. 4k@100")
    return GenSpec(parse_size(size_text, "--generate size"), parse_rate(rate_text, "--generate rate") if sep else 0.0)


def argtype(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Adapt a ``parse_*`` function to argparse (its CliError becomes argparse's usage error)."""

    def convert(text: str) -> Any:
        try:
            return parse(text)
        except CliError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__.removeprefix("parse_")
    return convert


def free_port_pair() -> int:
    """A base port P with P and P+1 both free on 127.0.0.1, below the ephemeral range (for the demo)."""
    try:
        return _ports.free_port_pair()
    except OSError as exc:
        raise CliError(str(exc.strerror or exc)) from None


def bridge_error(exc: BaseException, what: str, ep: Endpoint) -> CliError:
    """Turn a bridge's construction error into one line that says what to do."""
    text = str(exc) or exc.__class__.__name__
    low = text.lower()
    if "in use" in low or "eaddrinuse" in low:
        return CliError(f"cannot {what} {ep} (ports {ep.port} and {ep.port + 1}): port in use")
    if "assign requested address" in low or "no such device" in low:
        return CliError(f"cannot {what} {ep}: {ep.host!r} is not an address of this machine")
    return CliError(f"cannot {what} {ep}: {text}")


class StopSignal:
    """Turns SIGINT (Ctrl-C) and SIGTERM into an event the main loop waits on.

    Inside ``with StopSignal() as stop:`` a signal sets ``stop.event`` instead of
    raising ``KeyboardInterrupt`` in the middle of some call, so the command can
    stop its bridges in order and exit with its own code. A second Ctrl-C while
    stopping raises ``KeyboardInterrupt`` as usual, as an escape hatch.
    """

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signum = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "StopSignal":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.event.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.signum = signum
        self.event.set()

    @property
    def code(self) -> int:
        """The exit code after a clean stop on the signal received (130 for Ctrl-C, 143 for SIGTERM)."""
        return exit_code_of_signal(self.signum)

    @property
    def stopped(self) -> bool:
        """True once a stop signal arrived (or :meth:`set` was called)."""
        return self.event.is_set()

    def set(self) -> None:
        """Ask the loop to stop (as a signal would)."""
        self.event.set()

    def wait(self, timeout: float | None) -> bool:
        """Wait up to ``timeout`` seconds for a stop; True if stopped."""
        return self.event.wait(timeout)

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()


def stop_of(args: argparse.Namespace) -> StopSignal:
    """The command's :class:`StopSignal` (``main`` installs one for the whole run of a subcommand)."""
    stop = getattr(args, "stop", None)
    if stop is None:
        stop = args.stop = StopSignal()
    return stop


class Pacer:
    """Paces a sending loop at ``rate`` items per second (0: unpaced) until ``stop`` is set.

    The schedule runs from the start time, not the previous item, so the
    average rate holds even when single sleeps overshoot; a loop more than
    ``max_lag`` seconds behind (a send blocked while no peer was connected)
    starts a new schedule instead of bursting out the backlog.
    """

    __slots__ = ("_rate", "_stop", "_max_lag", "_t0")

    def __init__(self, rate: float, stop: threading.Event, max_lag: float = 0.5) -> None:
        self._rate = rate
        self._stop = stop
        self._max_lag = max_lag
        self._t0 = time.monotonic()

    def wait(self, seq: int) -> bool:
        """Sleep until item ``seq`` is due; False if ``stop`` was set meanwhile."""
        rate = self._rate
        if not rate:
            return True
        delay = self._t0 + seq / rate - time.monotonic()
        if delay > 0:
            return not self._stop.wait(delay)
        if delay < -self._max_lag:
            self._t0 = time.monotonic() - seq / rate
        return True


class SenderThread:
    """``start``, ``stop``, ``join``, ``done`` and ``error`` of a CLI sender whose thread runs ``_loop()``.

    An exception in ``_loop`` (unless after ``stop()``) becomes ``error``, for
    the command to report; ``done`` is set when the thread ends.
    """

    def _init_thread(self, name: str) -> None:
        self.error: str | None = None
        self.done = threading.Event()
        self._halt = threading.Event()  # not _stop: Rogue's Master has a _stop() method
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _loop(self) -> None:
        raise NotImplementedError

    def start(self) -> "SenderThread":
        """Start sending."""
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:  # noqa: BLE001 - reported by the command, not a traceback
            if not self._halt.is_set():
                self.error = str(exc) or exc.__class__.__name__
        finally:
            self.done.set()

    def stop(self) -> None:
        """Ask the thread to stop after the frame it is sending (``join`` waits for it)."""
        self._halt.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; True if it did."""
        if self._thread.ident is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()
