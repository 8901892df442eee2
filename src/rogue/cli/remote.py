"""``tree``, ``get`` and ``set``: look at and poke a served pyrogue tree through its string port (P+2).

The string port of a pyrogue ``ZmqServer`` (C++ Rogue's or rogue-bridge's)
takes the JSON ``{"attr": ..., "path": ..., "args": [...]}``: the server finds
the node at ``path`` (``root`` names the root, whatever its name), calls its
``attr`` with ``args`` (or reads it, when not callable) and answers ``str()``
of the result, ``"None"`` when there is no such node, or ``"EXCEPTION: ..."``.
So these commands need neither pyrogue nor pickle on this side:

* ``tree``: ``getYaml()`` of the root (or of ``--path``), the values of every
  variable of the tree as YAML (``--read`` reads the hardware first);
* ``get``: ``getDisp()`` of a variable (``--cached``: ``valueDisp()``, no hardware access);
* ``set``: ``setDisp(VALUE)``, then the variable's ``valueDisp()``.
"""

from __future__ import annotations

import argparse
import functools
import socket
from typing import Any, Callable

from .._errors import GeneralError
from .._logging import Logging
from ..interfaces._zmq_common import BridgeSecurity, string_request
from ..interfaces._zmq_request import Requester
from ._common import EXIT_OK, EXIT_USAGE, CliError, Endpoint, argtype, parse_endpoint, resolve_host
from ._common import StopSignal
from ._grammar import add_timeout
from ._run import POLL_S, wait_in_thread
from ._secure import add_client_options, bridge_options

__all__ = ["RemoteTree", "Stopped", "add_parsers"]

_EXCEPTION = "EXCEPTION: "
_WARN_MS = 1000  # with --timeout 0 (no limit): how often the request loop notes that it still waits


class Stopped(Exception):
    """A stop signal (Ctrl-C, SIGTERM) ended a wait for the server."""


class RemoteTree:
    """String requests to the pyrogue server at ``ep`` (port P+2), each answered within ``timeout`` seconds (0: no limit)."""

    def __init__(self, ep: Endpoint, timeout: float, stop: StopSignal | None = None, **keys: Any) -> None:
        resolve_host(ep.host)
        self._stop = stop
        if ep.port > 65533:
            raise CliError(f"bad address {ep}: the port must be 1..65533 (the server uses P, P+1 and P+2)", EXIT_USAGE)
        self.ep = ep
        self.timeout = timeout
        security = BridgeSecurity.for_client("rogue-bridge", **keys)
        self._probe()
        self._req = Requester(ep.host, ep.port + 2, security, Logging.create("ZmqClient"), True)
        ms = max(1, int(timeout * 1000))
        if timeout:
            self._req.set_timeout(ms, ms)
        else:
            self._req.set_timeout(_WARN_MS, 0)

    def call(self, path: str, attr: str, *args: object) -> str:
        """``attr`` of the node at ``path`` (called with ``args`` when callable), as the server's text.

        Waits in a thread, so Ctrl-C (the command's stop signal) ends the wait at
        once: :class:`Stopped` then.
        """
        request = string_request(path, attr, args)
        waiting = wait_in_thread(lambda: self._req.request(request, "rogue-bridge"), "rogue-bridge:cli:request")
        while not waiting.done():
            if self._stop is not None and self._stop.wait(POLL_S):
                self._req.close()  # the request gives up at once
                waiting.join()
                raise Stopped
            waiting.join(POLL_S)
        try:
            if waiting.error is not None:
                raise waiting.error
            reply = bytes(waiting.result).decode("utf-8", "replace")
        except GeneralError as exc:
            if "Timeout" in exc.msg:
                raise CliError(f"{self.ep}: no answer from port {self.ep.port + 2} (the string port) within "
                               f"{self.timeout:g} s: the server is busy (try a longer --timeout) or refuses this "
                               "client (its allow-list or CURVE keys)") from None
            raise
        if reply.startswith(_EXCEPTION):
            raise CliError(f"{self.ep}: {path}: {reply[len(_EXCEPTION):]}")
        return reply

    def _probe(self) -> None:
        """Fail at once, in one line, when nothing listens on the string port (no need to wait for a timeout)."""
        where = f"nothing answering at {self.ep}"
        try:
            with socket.create_connection((self.ep.host, self.ep.port + 2), timeout=self.timeout or None):
                pass
        except ConnectionRefusedError:
            raise CliError(f"{where}: nothing listens on port {self.ep.port + 2} (the string port of a pyrogue "
                           f"server at base port {self.ep.port})") from None
        except socket.timeout:
            raise CliError(f"{where}: port {self.ep.port + 2} did not accept a connection within {self.timeout:g} s")\
                from None
        except OSError as exc:
            raise CliError(f"{where}: {exc.strerror or exc}") from None

    def exists(self, path: str) -> bool:
        """True when the tree has a node at ``path``."""
        return self.call(path, "path") != "None"

    def value(self, path: str, attr: str) -> str:
        """A variable's display value (``attr``: ``getDisp`` or ``valueDisp``); CliError when there is no such node."""
        text = self.call(path, attr)
        if text == "None" and not self.exists(path):  # the server's answer for a missing node (or a value "None")
            raise CliError(f"{self.ep}: no node {path!r} in the tree")
        return text

    def close(self) -> None:
        """Close the socket."""
        self._req.close()


def _open(args: argparse.Namespace) -> RemoteTree:
    return RemoteTree(args.endpoint, args.timeout, getattr(args, "stop", None), **bridge_options(args, server=False))


def _stoppable(cmd: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """``cmd``, ending quietly on a stop signal (the command line then exits 130/143)."""
    @functools.wraps(cmd)
    def run(args: argparse.Namespace) -> int:
        try:
            return cmd(args)
        except Stopped:
            return EXIT_OK
    return run


@_stoppable
def cmd_tree(args: argparse.Namespace) -> int:
    """Print the served tree's variables with their values (YAML, as the server's ``getYaml``)."""
    remote = _open(args)
    try:
        path = args.path or "root"
        text = remote.call(path, "getYaml", True) if args.read else remote.call(path, "getYaml")
        if text == "None" and not remote.exists(path):
            raise CliError(f"{remote.ep}: no node {path!r} in the tree")
    finally:
        remote.close()
    print(text.rstrip("\n"))
    return EXIT_OK


@_stoppable
def cmd_get(args: argparse.Namespace) -> int:
    """Print one variable's display value."""
    remote = _open(args)
    try:
        text = remote.value(args.path, "valueDisp" if args.cached else "getDisp")
    finally:
        remote.close()
    print(text)
    return EXIT_OK


@_stoppable
def cmd_set(args: argparse.Namespace) -> int:
    """Set one variable from its display text and print the value it then shows."""
    remote = _open(args)
    try:
        if not remote.exists(args.path):
            raise CliError(f"{remote.ep}: no node {args.path!r} in the tree")
        remote.call(args.path, "setDisp", args.value)
        text = remote.call(args.path, "valueDisp")
    finally:
        remote.close()
    print(f"{args.path} = {text}")
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Register ``tree``, ``get`` and ``set``."""
    endpoint = argtype(parse_endpoint)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint,
                       help="the pyrogue ZmqServer: its host and base port PORT (pyrogue prints 'ports P-P+2'); "
                       "requests go to its string port PORT+2")
        add_timeout(p)
        add_client_options(p, link=False)  # the string port has no bridge heartbeat

    p = sub.add_parser(
        "tree", help="print a served pyrogue tree with its values",
        description="Print the variables of a pyrogue tree served by a ZmqServer, with their values, as YAML "
        "(the server's getYaml()), through its string port P+2: works with any pyrogue server, C++ Rogue's "
        "included, and needs no pyrogue here.",
    )
    common(p)
    p.add_argument("--path", metavar="PATH", help="print only the device at PATH (default: the whole tree)")
    p.add_argument("--read", action="store_true",
                   help="read the hardware first (default: the values the server holds)")
    p.set_defaults(func=cmd_tree)

    p = sub.add_parser(
        "get", help="print a variable of a served pyrogue tree",
        description="Print the display value of the variable at PATH (e.g. Root.AxiVersion.ScratchPad) of a "
        "pyrogue tree served by a ZmqServer, through its string port P+2 (the server reads the hardware: "
        "its getDisp()).",
    )
    common(p)
    p.add_argument("path", metavar="PATH", help="the variable's path; 'root' may stand for the root's name")
    p.add_argument("--cached", action="store_true",
                   help="the value the server holds, without reading the hardware (default: read it)")
    p.set_defaults(func=cmd_get)

    p = sub.add_parser(
        "set", help="set a variable of a served pyrogue tree",
        description="Set the variable at PATH of a pyrogue tree served by a ZmqServer from its display text "
        "VALUE (as a GUI would: 0x1f, True, an enum name, ...), through its string port P+2, and print the "
        "value it then shows.",
    )
    common(p)
    p.add_argument("path", metavar="PATH", help="the variable's path; 'root' may stand for the root's name")
    p.add_argument("value", metavar="VALUE", help="the new value, as displayed")
    p.set_defaults(func=cmd_set)
