"""CURVE keys for the bridges: parsing, loading from ZeroMQ certificates, socket options.

A key is given as a Z85 string (40 characters, as ``zmq.curve_keypair()`` and
``zmq.auth.create_certificates`` write them), as the 32 raw bytes, or as the
path of a ZeroMQ certificate file (``name.key`` holds a public key,
``name.key_secret`` both keys). A set of client public keys may also be a
directory of certificates (every ``*.key`` file in it, as in
``zmq.auth.Authenticator.configure_curve``) or a list of any of these.

:func:`server_curve` and :func:`client_curve` turn a bridge's two CURVE options
into one parsed, frozen :class:`ServerCurve` or :class:`ClientCurve` (or None
when neither option is given): the only place that checks "CURVE needs both
keys". Each key is parsed there once, before any socket exists.

Keys are secrets (a secret key) or credentials (a public key on an allow-list):
no message here ever contains one (nor does a ``repr``); errors name the file
or the position only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, Union

import zmq
import zmq.auth
from zmq.utils import z85

from .._errors import GeneralError, OptionError
from .._transport import Socket

__all__ = [
    "ClientCurve",
    "KeySpec",
    "KeySpecs",
    "ServerCurve",
    "apply_client",
    "client_curve",
    "public_keys",
    "secret_key",
    "server_curve",
    "z85_public",
]

#: One key: Z85 text, the 32 raw bytes, or the path of a ZeroMQ certificate file.
KeySpec = Union[str, bytes, "os.PathLike[str]"]
#: A set of keys: one key, file or directory of certificates, or an iterable of them.
KeySpecs = Union[KeySpec, Iterable[KeySpec]]
_SRC = "rogue.CURVE"


def _z85(value: str | bytes, what: str) -> bytes:
    """``value`` as a validated 40-byte Z85 key (the value itself never appears in an error)."""
    raw = value.encode("ascii", "replace") if isinstance(value, str) else bytes(value)
    if len(raw) == 32:
        return z85.encode(raw)
    if len(raw) == 40:
        try:
            if len(z85.decode(raw)) == 32:
                return raw
        except (ValueError, KeyError, TypeError):
            pass
    raise GeneralError(_SRC, f"{what} is not a CURVE key (expected 40 Z85 characters, 32 bytes, or a certificate file)")


def _is_path(value: KeySpec) -> bool:
    """True when ``value`` names a certificate file or directory rather than being a key."""
    if isinstance(value, os.PathLike):
        return True
    if isinstance(value, bytes):
        return False
    if os.path.exists(value):
        return True
    # Z85 uses '/' and '.', so only a name that ends like a certificate counts as a
    # (missing) path; anything else is checked as a key, whose text is never echoed.
    return value.endswith((".key", ".key_secret"))


def _load(path: "str | os.PathLike[str]") -> tuple[bytes, bytes | None]:
    try:
        public, secret = zmq.auth.load_certificate(path)
    except (OSError, ValueError) as exc:
        raise GeneralError(_SRC, f"cannot read CURVE certificate {os.fspath(path)!r}: {type(exc).__name__}") from None
    return _z85(public, f"the public key in {os.fspath(path)!r}"), (
        None if secret is None else _z85(secret, f"the secret key in {os.fspath(path)!r}")
    )


def secret_key(spec: KeySpec, what: str = "secret key") -> tuple[bytes, bytes]:
    """``(public, secret)`` Z85 keys from a secret key or a ``.key_secret`` certificate."""
    if _is_path(spec):
        public, secret = _load(spec)  # type: ignore[arg-type]
        if secret is None:
            raise GeneralError(_SRC, f"certificate {os.fspath(spec)!r} holds no secret key (give the .key_secret file)")
        return public, secret
    secret = _z85(spec, f"the {what}")  # type: ignore[arg-type]
    return zmq.curve_public(secret), secret


def z85_public(spec: KeySpec, what: str = "public key") -> bytes:
    """One Z85 public key from a key or a certificate file."""
    if _is_path(spec):
        return _load(spec)[0]  # type: ignore[arg-type]
    return _z85(spec, f"the {what}")  # type: ignore[arg-type]


def public_keys(specs: KeySpec | Iterable[KeySpec]) -> frozenset[bytes]:
    """The set of raw 32-byte public keys named by a key, file, directory, or a list of them."""
    if isinstance(specs, (str, bytes, os.PathLike)):
        specs = [specs]
    keys: set[bytes] = set()
    for i, spec in enumerate(specs):
        if _is_path(spec) and os.path.isdir(spec):
            try:
                found = zmq.auth.load_certificates(spec)  # type: ignore[arg-type]
            except (OSError, ValueError) as exc:
                raise GeneralError(_SRC, f"cannot read CURVE certificates in {os.fspath(spec)!r}: {type(exc).__name__}") from None
            keys.update(z85.decode(_z85(k, f"a public key in {os.fspath(spec)!r}")) for k in found)
        else:
            keys.add(z85.decode(z85_public(spec, f"client public key #{i}")))
    return frozenset(keys)


@dataclass(frozen=True, repr=False)
class ServerCurve:
    """A CURVE server's parsed keys: its secret (Z85) and the raw 32-byte client public keys it admits."""

    secret: bytes
    clients: frozenset[bytes]

    def apply(self, sock: Socket) -> None:
        """Make ``sock`` a CURVE server (before bind)."""
        sock.curve_secretkey = self.secret
        sock.curve_server = True

    def __repr__(self) -> str:
        return f"<ServerCurve: {len(self.clients)} client key(s)>"  # never a key


@dataclass(frozen=True, repr=False)
class ClientCurve:
    """A CURVE client's parsed keys (Z85): its own pair and the server's public key."""

    public: bytes
    secret: bytes
    server_public: bytes

    def apply(self, sock: Socket) -> None:
        """Make ``sock`` a CURVE client of that server (before connect)."""
        sock.curve_serverkey = self.server_public
        sock.curve_publickey = self.public
        sock.curve_secretkey = self.secret

    def __repr__(self) -> str:
        return "<ClientCurve>"  # never a key


_T = TypeVar("_T")


def _parsed(option: str, parse: Callable[[], _T]) -> _T:
    """``parse()``; its error as an :class:`OptionError` naming ``option`` (same text)."""
    try:
        return parse()
    except OptionError:
        raise
    except GeneralError as exc:
        raise OptionError(exc.src, exc.msg, option=option, kind="value") from None


def _pair(name: str, first: tuple[str, object], second: tuple[str, object]) -> bool:
    """True when both options are given, False when neither; one alone raises (the only such check)."""
    (first_name, a), (second_name, b) = first, second
    if (a is None) != (b is None):
        raise OptionError(name, f"CURVE needs both {first_name} and {second_name}",
                          option=second_name if a is not None else first_name, kind="pair")
    return a is not None


def server_curve(
    secret: KeySpec | None, clients: KeySpec | Iterable[KeySpec] | None, name: str
) -> ServerCurve | None:
    """The ``serverSecretKey`` and ``allowedClientKeys`` of the bridge ``name``, parsed (None: neither given)."""
    if not _pair(name, ("serverSecretKey", secret), ("allowedClientKeys", clients)):
        return None
    _public, z85_secret = _parsed("serverSecretKey", lambda: secret_key(secret, "server secret key"))  # type: ignore[arg-type]
    return ServerCurve(z85_secret, _parsed("allowedClientKeys", lambda: public_keys(clients)))  # type: ignore[arg-type]


def client_curve(secret: KeySpec | None, server_public: KeySpec | None, name: str) -> ClientCurve | None:
    """The ``clientSecretKey`` and ``serverPublicKey`` of the bridge ``name``, parsed (None: neither given)."""
    if not _pair(name, ("clientSecretKey", secret), ("serverPublicKey", server_public)):
        return None
    public, z85_secret = _parsed("clientSecretKey", lambda: secret_key(secret, "client secret key"))  # type: ignore[arg-type]
    far = _parsed("serverPublicKey", lambda: z85_public(server_public, "server public key"))  # type: ignore[arg-type]
    return ClientCurve(public, z85_secret, far)


def apply_client(sock: Socket, client_secret: KeySpec, server_public: KeySpec) -> None:
    """Make ``sock`` a CURVE client of the server ``server_public`` (before connect)."""
    curve = client_curve(client_secret, server_public, _SRC)
    assert curve is not None
    curve.apply(sock)
