"""The ``keygen`` subcommand: a CURVE key pair as ZeroMQ certificate files."""

from __future__ import annotations

import argparse
from typing import Any

from ._common import EXIT_OK
from ._secure import write_keypair

__all__ = ["add_parsers"]


def cmd_keygen(args: argparse.Namespace) -> int:
    """Write NAME.key and NAME.key_secret in DIR and print the public key."""
    public, public_file, secret_file = write_keypair(args.directory, args.name)
    print(f"public key: {public}")
    print(f"public certificate: {public_file}  (give it to the other side)")
    print(f"secret certificate: {secret_file}  (keep it private; readable by its owner only)")
    return EXIT_OK


def add_parsers(sub: Any) -> None:
    """Register ``keygen``."""
    p = sub.add_parser(
        "keygen",
        help="write a CURVE key pair (ZeroMQ certificates) for secured bridges",
        description="Write a CURVE key pair as ZeroMQ certificate files: DIR/NAME.key (the public key, "
        "for the other side's --curve-client or --curve-server) and DIR/NAME.key_secret (both keys, for "
        "this side's --curve-secret). Existing files are never overwritten.",
    )
    p.add_argument("directory", metavar="DIR", help="directory to write the certificates in (made if missing)")
    p.add_argument("name", metavar="NAME", help="certificate name, e.g. server or client1")
    p.set_defaults(func=cmd_keygen)
