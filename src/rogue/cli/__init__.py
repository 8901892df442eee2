"""The ``rogue-bridge`` command line: a loopback demo, test servers, a stream monitor, register access.

``main(argv)`` parses the arguments, runs one subcommand and returns its exit
code; a user's mistake (a bad address, a port in use, nothing answering, a
failed transaction) ends as one line on stderr and a non-zero code, never as a
traceback. The commands use only the public rogue-bridge API.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn, Sequence

__all__ = ["build_parser", "main"]

PROG = "rogue-bridge"


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line (the usage itself is one ``--help`` away)."""

    def error(self, message: str) -> "NoReturn":
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    from rogue import Version, __version__

    from . import demo, keygen, memory, stream
    from . import fileio as fileio_cmds

    parser = _Parser(
        prog=PROG,
        description="Rogue stream and memory TCP bridges from the command line (wire-compatible with "
        "C++ Rogue). Addresses are HOST:PORT with base port P; every bridge uses ports P and P+1.",
        epilog="Run 'rogue-bridge demo' for a self-contained loopback demonstration; "
        "'rogue-bridge COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--version", action="version",
                        version=f"%(prog)s {__version__} (implements Rogue {Version.pythonVersion()}: its Python API and wire)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="show more of the library's log messages (each -v one level more: warnings, info, debug)")
    parser.add_argument("--traceback", action="store_true", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo.add_parsers(sub)
    stream.add_parsers(sub)
    memory.add_parsers(sub)
    keygen.add_parsers(sub)
    fileio_cmds.add_parsers(sub)
    return parser


def _error(text: str) -> None:
    print(f"{PROG}: error: {text}", file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``rogue-bridge`` with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    import rogue

    from ._common import EXIT_FAIL, EXIT_INTERRUPTED, CliError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    # One-shot commands keep the library's default (errors only), so a failure is
    # exactly one line; servers and the monitor also show warnings (a second
    # client, dropped messages) since nobody else would see them.
    levels = [rogue.Logging.Error, rogue.Logging.Warning, rogue.Logging.Info, rogue.Logging.Debug]
    base = 1 if args.command in ("serve-stream", "serve-memory", "monitor") else 0
    rogue.Logging.setLevel(levels[min(len(levels) - 1, base + args.verbose)])
    try:
        return int(args.func(args))
    except CliError as exc:
        _error(str(exc))
        return exc.code
    except rogue.GeneralError as exc:
        if args.traceback:
            raise
        _error(str(exc))
        return EXIT_FAIL
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): nothing more to say, and
        # Python's flush at exit must not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAIL
    except Exception as exc:  # noqa: BLE001 - a one-line report; --traceback shows the rest
        if args.traceback:
            raise
        _error(f"{exc.__class__.__name__}: {exc} (run with --traceback for details)")
        return EXIT_FAIL
