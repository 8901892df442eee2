"""The opt-in security options of a bridge, applied to each socket it opens.

Server side: ``allow`` (IP addresses or networks that may connect) and
``serverSecretKey`` with ``allowedClientKeys`` (CURVE: encrypted, and only the
listed client public keys get in), enforced by libzmq's ZAP handshake through
:mod:`rogue._zap`. Client side: ``clientSecretKey`` with ``serverPublicKey``.
Keys are Z85 text, raw 32 bytes or ZeroMQ certificate files (:mod:`rogue._keys`).
With no option given nothing changes: the wire stays Rogue's.
"""

from __future__ import annotations

import logging
from typing import Any

import zmq

from . import _keys
from ._errors import GeneralError
from ._zap import PeerGroup, Policy, register

__all__ = ["SocketSecurity"]


class SocketSecurity:
    """The security options of one bridge (server or client), checked once, applied per socket."""

    def __init__(
        self,
        name: str,
        log: logging.Logger,
        server: bool,
        allow: Any = None,
        serverSecretKey: Any = None,
        allowedClientKeys: Any = None,
        clientSecretKey: Any = None,
        serverPublicKey: Any = None,
    ) -> None:
        self._name = name
        self._log = log
        self._server = server
        self._policies: list[Policy] = []
        if server:
            if clientSecretKey is not None or serverPublicKey is not None:
                raise GeneralError(name, "clientSecretKey/serverPublicKey are client options (a server takes serverSecretKey)")
            if (serverSecretKey is None) != (allowedClientKeys is None):
                raise GeneralError(name, "CURVE needs both serverSecretKey and allowedClientKeys")
            # Parsed now, so a bad key fails before any socket exists (never echoing the key).
            if serverSecretKey is not None:
                _keys.secret_key(serverSecretKey, "server secret key")
                _keys.public_keys(allowedClientKeys)
        else:
            if allow is not None or serverSecretKey is not None or allowedClientKeys is not None:
                raise GeneralError(name, "allow/serverSecretKey/allowedClientKeys are server options")
            if (clientSecretKey is None) != (serverPublicKey is None):
                raise GeneralError(name, "CURVE needs both clientSecretKey and serverPublicKey")
            if clientSecretKey is not None:
                _keys.secret_key(clientSecretKey, "client secret key")
                _keys.z85_public(serverPublicKey, "server public key")
        self._opts = (allow, serverSecretKey, allowedClientKeys, clientSecretKey, serverPublicKey)
        self._group = PeerGroup(name, log)

    @property
    def enabled(self) -> bool:
        """True when any option is set."""
        return any(o is not None for o in self._opts)

    def apply(self, sock: zmq.Socket) -> None:
        """Configure ``sock`` before its bind/connect (nothing when no option is set)."""
        allow, server_secret, client_keys, client_secret, server_public = self._opts
        if self._server:
            if allow is not None or server_secret is not None:
                self._policies.append(
                    register(sock, name=self._name, log=self._log, group=self._group, allow=allow,
                             server_secret_key=server_secret, client_keys=client_keys)
                )
        elif client_secret is not None:
            _keys.apply_client(sock, client_secret, server_public)

    def close(self) -> None:
        """Forget the ZAP policies (after the sockets were closed or while closing)."""
        for pol in self._policies:
            pol.close()
        self._policies.clear()
