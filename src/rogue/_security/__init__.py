"""The only security layer: who may connect to a bridge, and with which keys.

The library uses this package through these names alone (a new bridge end,
such as ``rogue.interfaces.ZmqServer``/``ZmqClient``, too)::

    from rogue._security import BridgeSecurity, SocketGuard

    guard = SocketGuard(BridgeSecurity.for_server(name, allow=..., serverSecretKey=..., ...), log)
    # or BridgeSecurity.for_client(name, clientSecretKey=..., serverPublicKey=...)
    sock, mon = rogue._transport.open_socket(..., prepare=guard.prepare)   # before bind/connect
    ...
    guard.close()                                                           # after the sockets closed

* :class:`BridgeSecurity` (``options.py``): a bridge's opt-in options
  (``allow``, ``serverSecretKey``/``allowedClientKeys``, ``exclusive``,
  ``clientSecretKey``/``serverPublicKey``), checked and parsed once, before
  any socket exists; a bad one raises ``OptionError``.
* :class:`SocketGuard` (``guard.py``): applies it to each socket a bridge end
  opens, server or client (CURVE keys, a ZAP policy) and ends the policies;
  every bridge end goes through it and nothing else.
* :func:`handshake_result` (``handshake.py``): a client's view of a handshake
  in its socket's monitor events (admitted, busy, refused, failed).
* :func:`public_keys` (``keys.py``): a set of client public keys (the
  command line reports how many it read).
* ``AllowList``, ``KeySpec``, ``KeySpecs``: the types of the options, for a
  bridge's signature.

Inside, not for the bridges: ``keys.py`` (CURVE keys and certificates),
``zap.py`` (the process's one ZAP handler, its thread and ``guard``/``register``),
``zap_policy.py`` (each server socket's decisions), ``zap_protocol.py`` (ZAP
requests and replies, pure functions). This package sits beside
``rogue._transport`` and uses it for every socket it opens or reads.
"""

from __future__ import annotations

from .guard import SocketGuard
from .handshake import handshake_result
from .keys import KeySpec, KeySpecs, public_keys
from .options import AllowList, BridgeSecurity

__all__ = ["AllowList", "BridgeSecurity", "KeySpec", "KeySpecs", "SocketGuard", "handshake_result", "public_keys"]
