"""The opt-in security options of a bridge, validated once into one frozen :class:`BridgeSecurity`.

Server side: ``allow`` (IP addresses or networks that may connect),
``serverSecretKey`` with ``allowedClientKeys`` (CURVE: encrypted, and only the
listed client public keys get in) and, for a memory server, ``exclusive`` (one
client per port pair; off with ``manyClients``). These are enforced by libzmq's
ZAP handshake through :mod:`.zap`. Client side: ``clientSecretKey`` with
``serverPublicKey``. Keys are Z85 text, raw 32 bytes or ZeroMQ certificate
files (:mod:`.keys`), parsed here once, before any socket exists.

The stream bridges, the memory bridges, :func:`.zap.register` and the
command line all validate through :meth:`BridgeSecurity.for_server` and
:meth:`BridgeSecurity.for_client`; a bad option raises
:class:`rogue._errors.OptionError` (a ``GeneralError``). With no option given
nothing changes: the wire stays Rogue's. Applying the object to a bridge's
sockets is :class:`.guard.SocketGuard`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Union

import zmq

from .._errors import GeneralError, OptionError
from .._transport import Socket
from .keys import ClientCurve, KeySpec, KeySpecs, ServerCurve, client_curve, server_curve

__all__ = ["AllowList", "BridgeSecurity", "Network", "allow_networks"]

_SRC = "rogue.zap"
Network = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]
#: The ``allow`` option: one IP address or network, or an iterable of them.
AllowList = Union[str, Iterable[str]]


def allow_networks(allow: AllowList) -> tuple[Network, ...]:
    """The networks of an allow-list (the ``allow`` option of a server bridge).

    ``allow`` is one address or network (``'10.0.0.5'``, ``'10.0.0.0/24'``,
    ``'::1'``) or an iterable of them; host bits are ignored. An entry that is
    neither raises GeneralError naming it.
    """
    if isinstance(allow, str):
        allow = [allow]
    nets = []
    for item in allow:
        try:
            nets.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            raise GeneralError(_SRC, f"allow-list entry {item!r} is not an IP address or network") from None
    return tuple(nets)


def _other_side(name: str, given: dict[str, object], text: str) -> None:
    """Raise ``text`` naming the first option in ``given`` that is set (an option of the other side)."""
    for option, value in given.items():
        if value is not None:
            raise OptionError(name, text, option=option, kind="side")


@dataclass(frozen=True)
class BridgeSecurity:
    """Who may use one bridge: checked and parsed once, then applied to each of its sockets.

    ``server``: the bridge listens. ``allow``: the networks that may connect
    (None: any). ``curve``: the parsed CURVE keys of this side (None: plain
    ZMTP). ``exclusive``: one client at a time (memory servers). Made by
    :meth:`for_server` or :meth:`for_client`; its ``repr`` never shows a key.
    """

    name: str
    server: bool
    allow: tuple[Network, ...] | None = None
    curve: ServerCurve | ClientCurve | None = None
    exclusive: bool = False

    @classmethod
    def for_server(
        cls,
        name: str,
        *,
        allow: AllowList | None = None,
        serverSecretKey: KeySpec | None = None,
        allowedClientKeys: KeySpecs | None = None,
        exclusive: bool = False,
        manyClients: bool = False,
        clientSecretKey: KeySpec | None = None,
        serverPublicKey: KeySpec | None = None,
    ) -> BridgeSecurity:
        """A listening bridge's options (``manyClients`` turns ``exclusive`` off); client options are refused."""
        _other_side(name, {"clientSecretKey": clientSecretKey, "serverPublicKey": serverPublicKey},
                    "clientSecretKey/serverPublicKey are client options (a server takes serverSecretKey)")
        curve = server_curve(serverSecretKey, allowedClientKeys, name)
        nets = None
        if allow is not None:
            try:
                nets = allow_networks(allow)
            except GeneralError as exc:
                raise OptionError(exc.src, exc.msg, option="allow", kind="value") from None
        return cls(name, True, nets, curve, bool(exclusive) and not manyClients)

    @classmethod
    def for_client(
        cls,
        name: str,
        *,
        clientSecretKey: KeySpec | None = None,
        serverPublicKey: KeySpec | None = None,
        allow: AllowList | None = None,
        serverSecretKey: KeySpec | None = None,
        allowedClientKeys: KeySpecs | None = None,
    ) -> BridgeSecurity:
        """A connecting bridge's options; server options are refused."""
        _other_side(name, {"allow": allow, "serverSecretKey": serverSecretKey, "allowedClientKeys": allowedClientKeys},
                    "allow/serverSecretKey/allowedClientKeys are server options")
        return cls(name, False, None, client_curve(clientSecretKey, serverPublicKey, name))

    @property
    def enabled(self) -> bool:
        """True when the bridge's sockets need any setting (an allow-list, CURVE or exclusivity)."""
        return self.allow is not None or self.curve is not None or self.exclusive

    def apply_curve(self, sock: Socket) -> None:
        """Set this side's CURVE options on ``sock`` before its bind/connect (nothing without CURVE)."""
        if self.curve is not None:
            self.curve.apply(sock)
