"""The options every subcommand spells the same way, and the parser that reports mistakes in one line.

* A bridge endpoint is always ``HOST:PORT`` (base port P; the bridge uses P and
  P+1), positional. For a server it is where it listens, ``*:P`` for every
  interface. :func:`add_endpoint` adds it.
* ``--timeout S``: how long to wait for the far side (and, for register access,
  for each transaction); one default everywhere (:data:`DEFAULT_TIMEOUT`), ``0``
  for no limit. :func:`add_timeout` adds it.
* ``--channel C`` always *selects* frames of channel C (what is received,
  recorded or played); the channel frames are *sent* on is ``--tx-channel C``.
* ``--count``, ``--seconds``: when a run ends; ``-v`` works before or after
  the subcommand.
* Old spellings (``--port``/``--addr`` of ``serve-*``, ``--channel`` of the
  senders) keep working for one release with a one-line note on stderr
  (:class:`Deprecated`).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any, NoReturn, Sequence

from ._common import Endpoint, UsageError, argtype, parse_endpoint, parse_port, parse_timeout

__all__ = ["DEFAULT_TIMEOUT", "Deprecated", "Parser", "add_endpoint", "add_timeout", "add_verbose", "listen_endpoint",
           "warn"]

DEFAULT_TIMEOUT = 5.0  #: seconds every command waits for its far side unless told otherwise
PROG = "rogue-bridge"


def warn(prog: str, text: str) -> None:
    """One warning line on stderr: ``rogue-bridge CMD: warning: TEXT``."""
    print(f"{prog}: warning: {text}", file=sys.stderr, flush=True)


class Parser(argparse.ArgumentParser):
    """argparse with usage errors on one line that names the subcommand (the usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        # "argument --size: bad --size '3x': ..." says the option twice: once is enough.
        message = re.sub(r"^argument (\S+): (bad \1 )", r"\2", message)
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


class Deprecated(argparse.Action):
    """An old spelling of an option: stores into ``dest`` as the new one does, with a one-line note on stderr."""

    def __init__(self, option_strings: Sequence[str], dest: str, instead: str = "", **kwargs: Any) -> None:
        kwargs.setdefault("help", argparse.SUPPRESS)
        super().__init__(option_strings, dest, **kwargs)
        self.instead = instead

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any,
                 option_string: str | None = None) -> None:
        warn(parser.prog, f"{option_string} is deprecated and goes away in the next release: {self.instead}")
        setattr(namespace, self.dest, values)
        namespace.deprecated_used = [*getattr(namespace, "deprecated_used", []), option_string]


def add_verbose(p: argparse.ArgumentParser) -> None:
    """``-v`` on a subcommand (counted with the ``-v`` given before it)."""
    p.add_argument("-v", "--verbose", dest="verbose_sub", action="count", default=0,
                   help="show more of the library's log messages, and tracebacks (each -v one level more: "
                   "warnings, info, debug; also before the subcommand; default: errors only)")


def add_endpoint(p: argparse.ArgumentParser, what: str, *, listen: bool = False, server_flag: bool = False) -> None:
    """The positional ``HOST:PORT``: ``what`` to connect to (or, ``listen``, where to listen)."""
    if listen:
        p.add_argument("endpoint", metavar="HOST:PORT", nargs="?", type=argtype(parse_endpoint),
                       help=f"where {what} listens: an interface address, or '*' for all (e.g. 127.0.0.1:8000, "
                       "*:8000); the bridge uses ports PORT and PORT+1")
        p.add_argument("--port", type=argtype(parse_port), action=Deprecated,
                       instead="give HOST:PORT, e.g. 127.0.0.1:8000")
        p.add_argument("--addr", action=Deprecated, instead="give HOST:PORT, e.g. '*:8000'")
        return
    extra = " (with --server: where to listen, '*' for all interfaces)" if server_flag else ""
    p.add_argument("endpoint", metavar="HOST:PORT", type=argtype(parse_endpoint),
                   help=f"{what} to connect to{extra}; the bridge uses ports PORT and PORT+1")


def listen_endpoint(args: argparse.Namespace) -> Endpoint:
    """The endpoint of a ``serve-*`` command: ``HOST:PORT``, or the deprecated ``--addr``/``--port``."""
    ep: Endpoint | None = args.endpoint
    port, addr = getattr(args, "port", None), getattr(args, "addr", None)
    if ep is not None:
        if port is not None or addr is not None:
            raise UsageError(f"give HOST:PORT ({ep}) or the deprecated --addr/--port, not both")
        return ep
    if port is None:
        raise UsageError("the address to listen on is missing: give HOST:PORT, e.g. 127.0.0.1:8000 or '*:8000'")
    return Endpoint(addr if addr is not None else "127.0.0.1", port)


def add_timeout(p: argparse.ArgumentParser) -> None:
    """``--timeout S``: seconds to wait for the far side, 0 for no limit (the same text in every subcommand)."""
    p.add_argument("--timeout", type=argtype(parse_timeout), default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"seconds to wait for the far side: a server to accept or answer, each register "
                   f"transaction, echoes, the last frames to leave (default {DEFAULT_TIMEOUT:g}; 0: no limit); a "
                   "listening end (--server) waits for its client until Ctrl-C or --seconds")
