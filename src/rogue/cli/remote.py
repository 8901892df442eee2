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
import socket
from typing import Any

from .._errors import GeneralError
from .._logging import Logging
from ..interfaces._zmq_common import BridgeSecurity, string_request
from ..interfaces._zmq_request import Requester
from ._common import EXIT_OK, EXIT_USAGE, CliError, Endpoint, argtype, parse_endpoint, parse_seconds, resolve_host
from ._secure import bridge_options

__all__ = ["RemoteTree", "add_parsers"]

_EXCEPTION = "EXCEPTION: "
_DEFAULT_TIMEOUT = 2.0


class RemoteTree:
    """String requests to the pyrogue server at ``ep`` (port P+2), each answered within ``timeout`` seconds."""

    def __init__(self, ep: Endpoint, timeout: float, **keys: Any) -> None:
        resolve_host(ep.host)
        if ep.port > 65533:
            raise CliError(f"bad address {ep}: the port must be 1..65533 (the server uses P, P+1 and P+2)", EXIT_USAGE)
        self.ep = ep
        self.timeout = timeout
        security = BridgeSecurity.for_client("rogue-bridge", **keys)
        self._probe()
        self._req = Requester(ep.host, ep.port + 2, security, Logging.create("ZmqClient"), True)
        ms = max(1, int(timeout * 1000))
        self._req.set_timeout(ms, ms)

    def call(self, path: str, attr: str, *args: object) -> str:
        """``attr`` of the node at ``path`` (called with ``args`` when callable), as the server's text."""
        try:
            reply = self._req.request(string_request(path, attr, args), "rogue-bridge").decode("utf-8", "replace")
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
            with socket.create_connection((self.ep.host, self.ep.port + 2), timeout=self.timeout):
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
    return RemoteTree(args.endpoint, args.timeout, **bridge_options(args, server=False))


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


def cmd_get(args: argparse.Namespace) -> int:
    """Print one variable's display value."""
    remote = _open(args)
    try:
        text = remote.value(args.path, "valueDisp" if args.cached else "getDisp")
    finally:
        remote.close()
    print(text)
    return EXIT_OK


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
    endpoint, seconds = argtype(parse_endpoint), argtype(parse_seconds)

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("endpoint", metavar="HOST:PORT", type=endpoint,
                       help="the pyrogue ZmqServer: its host and base port P (pyrogue prints 'ports P-P+2'); "
                       "requests go to its string port P+2")
        p.add_argument("--timeout", type=seconds, default=_DEFAULT_TIMEOUT, metavar="S",
                       help=f"seconds to wait for each answer (default {_DEFAULT_TIMEOUT:g})")
        g = p.add_argument_group("security (a server using CURVE)")
        g.add_argument("--curve-secret", metavar="KEY", help="CURVE: this client's secret key (Z85, or its "
                       ".key_secret certificate file; default: none, plain ZeroMQ)")
        g.add_argument("--curve-server", metavar="KEY", help="CURVE: the server's public key (Z85, or its .key "
                       "certificate file; default: none)")

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
