"""Command-line options for who may use a bridge: CURVE keys, the IP allow-list, memory client modes.

Servers take ``--allow ADDR_OR_NET`` (repeatable), ``--curve-secret KEY`` (the
server's secret key) and ``--curve-client KEY`` (repeatable: a client public
key, its ``.key`` certificate, or a directory of them); clients take
``--curve-secret KEY`` (the client's secret key) and ``--curve-server KEY`` (the
server's public key). A KEY is a Z85 string or a ZeroMQ certificate file
(``rogue-bridge keygen`` writes a pair). Keys are checked before any socket is
opened (by the bridges' own check, ``rogue._security.BridgeSecurity``, whose
errors are given in the flags' words), and no message ever contains one.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from .._errors import OptionError
from .._security import BridgeSecurity, public_keys
from ._common import EXIT_USAGE, CliError
from ._linkopts import add_link_options, link_options

__all__ = ["add_client_options", "add_server_options", "bridge_options", "describe", "write_keypair"]


_CURVE_SECRET = ("CURVE: this end's own secret key (Z85, or its .key_secret certificate file; default: no CURVE)")


def add_server_options(p: argparse.ArgumentParser, *, with_server_flag: bool = False) -> None:
    """``--allow``, ``--curve-secret``, ``--curve-client`` (with ``--server`` only, when the command can be either)."""
    g = p.add_argument_group("security" + (" when listening (--server)" if with_server_flag else ""))
    g.add_argument("--allow", action="append", metavar="ADDR_OR_NET",
                   help="a listening end admits only this IP address or network, e.g. 10.0.0.0/24; repeatable "
                   "(default: any)")
    if not with_server_flag:
        g.add_argument("--curve-secret", metavar="KEY", help=_CURVE_SECRET)
    g.add_argument("--curve-client", action="append", metavar="KEY",
                   help="CURVE: a listening end admits this client public key (Z85, a .key certificate, or a "
                   "directory of them); repeatable (default: no CURVE)")
    if not with_server_flag:  # a command that can be either gets them from add_client_options
        add_link_options(p)


def add_client_options(p: argparse.ArgumentParser, *, with_server_flag: bool = False, link: bool = True) -> None:
    """``--curve-secret`` and ``--curve-server`` for a command that connects (and the link options, ``link``)."""
    g = p.add_argument_group("security")
    g.add_argument("--curve-secret", metavar="KEY", help=_CURVE_SECRET)
    g.add_argument("--curve-server", metavar="KEY",
                   help="CURVE: a connecting end's server public key (Z85, or its .key certificate file; "
                   "default: no CURVE)")
    if link:
        add_link_options(p)


def _usage(text: str) -> CliError:
    return CliError(text, code=EXIT_USAGE)


_FLAGS = {"allow": "--allow", "serverSecretKey": "--curve-secret", "clientSecretKey": "--curve-secret",
          "allowedClientKeys": "--curve-client", "serverPublicKey": "--curve-server"}


def bridge_options(args: argparse.Namespace, server: bool) -> dict[str, Any]:
    """The security keyword arguments of the bridge ``args`` ask for, keys checked; one-line errors.

    ``server``: the command listens (its bridge is a ``TcpServer``).
    """
    allow = getattr(args, "allow", None) or None
    secret = getattr(args, "curve_secret", None)
    clients = getattr(args, "curve_client", None)
    far = getattr(args, "curve_server", None)
    opts: dict[str, Any] = link_options(args)
    try:
        if server:
            BridgeSecurity.for_server("rogue-bridge", allow=allow, serverSecretKey=secret,
                                      allowedClientKeys=clients, serverPublicKey=far)
        else:
            BridgeSecurity.for_client("rogue-bridge", clientSecretKey=secret, serverPublicKey=far,
                                      allow=allow, allowedClientKeys=clients)
    except OptionError as exc:
        raise _cli_error(exc, server) from None
    if server:
        if allow:
            opts["allow"] = list(allow)
        if secret is not None:
            opts["serverSecretKey"] = secret
            opts["allowedClientKeys"] = list(clients or ())
    elif secret is not None:
        opts["clientSecretKey"] = secret
        opts["serverPublicKey"] = far
    return opts


def _cli_error(exc: OptionError, server: bool) -> CliError:
    """The bridge's option error in the words of the command line (a key is never in it)."""
    flag = _FLAGS.get(exc.option, exc.option)
    if exc.kind == "side":
        if server:
            return _usage("--curve-server is for connecting; a server takes --curve-secret and --curve-client")
        return _usage(f"{flag} is for a listening server")
    if exc.kind == "pair":
        if server:
            return _usage("CURVE on a server needs both --curve-secret (its secret key) and --curve-client (who may connect)")
        return _usage("CURVE on a client needs both --curve-secret (its secret key) and --curve-server (the server's public key)")
    if exc.option == "allow":
        return _usage(f"--allow: {exc.msg}")
    if "is not a CURVE key" in exc.msg:  # the value itself is wrong: a usage error
        return _usage(f"{flag}: {exc.msg}")
    return CliError(f"{flag}: {exc.msg}")  # a certificate that cannot be read: a runtime failure


def describe(opts: dict[str, Any]) -> str:
    """A short text of the security in ``opts`` for a command's first line ("" when none)."""
    parts = []
    if "serverSecretKey" in opts:
        n = len(public_keys(opts["allowedClientKeys"]))
        parts.append(f"CURVE, {n} client key{'s' if n != 1 else ''}")
    if "clientSecretKey" in opts:
        parts.append("CURVE")
    if "allow" in opts:
        parts.append("allow " + ", ".join(opts["allow"]))
    return f" [{'; '.join(parts)}]" if parts else ""


def write_keypair(directory: str, name: str) -> tuple[str, str, str]:
    """Write ``NAME.key`` and ``NAME.key_secret`` in ``directory`` (made if missing); never overwrites.

    Returns ``(public Z85 key, public file, secret file)``.
    """
    import zmq.auth

    if not name or os.sep in name or (os.altsep and os.altsep in name):
        raise _usage(f"bad certificate name {name!r}: a plain file name is expected")
    public_file = os.path.join(directory, f"{name}.key")
    secret_file = os.path.join(directory, f"{name}.key_secret")
    for path in (public_file, secret_file):
        if os.path.exists(path):
            raise CliError(f"{path} exists already: not overwritten (choose another NAME or directory)")
    try:
        os.makedirs(directory, exist_ok=True)
        public_file, secret_file = zmq.auth.create_certificates(directory, name)
    except OSError as exc:
        raise CliError(f"cannot write certificates in {directory}: {exc.strerror or exc}") from None
    try:
        os.chmod(secret_file, 0o600)  # a secret key is for its owner's eyes only
    except OSError:
        pass
    public, _secret = zmq.auth.load_certificate(public_file)
    return public.decode(), public_file, secret_file
