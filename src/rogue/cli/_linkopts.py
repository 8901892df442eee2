"""``--heartbeat-interval`` and ``--heartbeat-timeout``: how every command's bridge checks its link.

Pure (no sockets). Added to each command once, through the security option
helpers of ``_secure`` (every bridge-making command calls one of them).
"""

from __future__ import annotations

import argparse
from typing import Any

from .._errors import GeneralError
from .._transport import DEFAULT_INTERVAL, DEFAULT_TIMEOUT, Heartbeat
from ._common import EXIT_USAGE, CliError, argtype
from ._numbers import parse_timeout, parse_whole_seconds

__all__ = ["add_link_options", "link_options"]

_interval = argtype(lambda t: parse_whole_seconds(t, "--heartbeat-interval"))
_seconds = argtype(lambda t: parse_timeout(t, "--heartbeat-timeout", "never, with --heartbeat-interval 0"))


def add_link_options(p: argparse.ArgumentParser) -> None:
    """Add the two flags in their own group."""
    g = p.add_argument_group("link checking (a pulled cable, a host that hangs)")
    g.add_argument("--heartbeat-interval", type=_interval, metavar="S", default=DEFAULT_INTERVAL,
                   help=f"probe a quiet link every S seconds, whole seconds (default {DEFAULT_INTERVAL:g}; 0: never, "
                   "as C++ Rogue)")
    g.add_argument("--heartbeat-timeout", type=_seconds, metavar="S", default=DEFAULT_TIMEOUT,
                   help=f"declare the link lost after S seconds without an answer (default {DEFAULT_TIMEOUT:g})")


def link_options(args: argparse.Namespace) -> dict[str, Any]:
    """The bridge keyword arguments for the flags (checked: a usage error in one line)."""
    ivl = getattr(args, "heartbeat_interval", DEFAULT_INTERVAL)
    tmo = getattr(args, "heartbeat_timeout", DEFAULT_TIMEOUT)
    try:
        Heartbeat.checked("rogue-bridge", ivl, tmo)
    except GeneralError as exc:
        raise CliError(exc.msg.replace("heartbeatInterval", "--heartbeat-interval")
                       .replace("heartbeatTimeout", "--heartbeat-timeout"), code=EXIT_USAGE) from None
    if (ivl, tmo) == (DEFAULT_INTERVAL, DEFAULT_TIMEOUT):
        return {}
    return {"heartbeatInterval": ivl, "heartbeatTimeout": tmo}
