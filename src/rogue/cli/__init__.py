"""The ``rogue-bridge`` command line: a loopback demo, test servers, a stream monitor, recording, register access.

``main(argv)`` parses the arguments, runs one subcommand and returns its exit
code. Every ending is one of four, whatever the subcommand:

* success, exit 0;
* a runtime failure (nothing answering, a port in use, a failed transaction
  or check): one line ``rogue-bridge CMD: error: ...`` on stderr, exit 1;
* a usage error (a bad value or option): one line naming the subcommand and
  the value, exit 2;
* Ctrl-C (SIGINT) or SIGTERM: the command stops cleanly (files complete,
  bridges closed, its summary printed), exit 130 or 143.

No traceback reaches the user unless ``-v`` is given (before or after the
subcommand). The commands use only the public rogue-bridge API. A subcommand
module has ``add_parsers(sub)``; :data:`COMMAND_MODULES` lists them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from typing import Sequence

__all__ = ["COMMAND_MODULES", "build_parser", "main"]

PROG = "rogue-bridge"

#: The modules whose ``add_parsers(sub)`` register subcommands, in ``--help`` order.
COMMAND_MODULES = ("demo", "stream", "memory", "keygen", "fileio", "remote")

#: Subcommands that run until stopped: they also show the library's warnings (a second client,
#: dropped messages), since nobody else would see them.
_SERVING = ("serve-stream", "serve-memory", "monitor")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    import importlib

    from rogue import Version, __version__

    from ._grammar import Parser, add_verbose

    parser = Parser(
        prog=PROG,
        description="Rogue stream and memory TCP bridges from the command line (wire-compatible with "
        "C++ Rogue). Endpoints are HOST:PORT with base port PORT; every bridge uses ports PORT and PORT+1.",
        epilog="Run 'rogue-bridge demo' for a self-contained loopback demonstration; "
        "'rogue-bridge COMMAND --help' for the options of each command. Exit codes: 0 success, 1 failure, "
        "2 usage error, 130 Ctrl-C, 143 SIGTERM.",
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__} (implements Rogue {Version.pythonVersion()}: its Python API and wire)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show more of the library's log messages, and tracebacks (each -v one level more: "
                        "warnings, info, debug; also after the subcommand; default: errors only)")
    parser.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").add_parsers(sub)
    for p in sub.choices.values():
        add_verbose(p)
    return parser


def _error(prog: str, text: str) -> None:
    print(f"{prog}: error: {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rogue-bridge`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    import rogue

    from ._common import EXIT_FAIL, EXIT_INTERRUPTED, EXIT_OK, CliError, StopSignal
    from ._logsetup import cli_log_handler

    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    verbose = args.verbose + getattr(args, "verbose_sub", 0) + int(args.traceback)
    prog = f"{PROG} {args.command}"
    # One-shot commands keep the library's default (errors only), so a failure is exactly one line.
    levels = [rogue.Logging.Error, rogue.Logging.Warning, rogue.Logging.Info, rogue.Logging.Debug]
    base = 1 if args.command in _SERVING else 0
    rogue.Logging.setLevel(levels[min(len(levels) - 1, base + verbose)])
    handler = cli_log_handler(prog, verbose)
    log = logging.getLogger("pyrogue")
    log.addHandler(handler)
    stop = args.stop = StopSignal()
    try:
        with stop:
            code = int(args.func(args))
        # A command stopped by a signal ends with 130/143, unless it has a failure to report.
        return stop.code if stop.signum and code == EXIT_OK else code
    except CliError as exc:
        _error(prog, str(exc))
        return exc.code
    except rogue.GeneralError as exc:
        if verbose:
            traceback.print_exc()
        _error(prog, str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:  # a second Ctrl-C while stopping
        _error(prog, "interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): nothing more to say, and
        # Python's flush at exit must not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAIL
    except Exception as exc:  # noqa: BLE001 - a one-line report; -v shows the rest
        if verbose:
            traceback.print_exc()
        _error(prog, f"{exc.__class__.__name__}: {exc}" + ("" if verbose else " (run with -v for the traceback)"))
        return EXIT_FAIL
    finally:
        log.removeHandler(handler)
