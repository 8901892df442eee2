"""CURVE keys for the bridges: parsing, loading from ZeroMQ certificates, socket options.

A key is given as a Z85 string (40 characters, as ``zmq.curve_keypair()`` and
``zmq.auth.create_certificates`` write them), as the 32 raw bytes, or as the
path of a ZeroMQ certificate file (``name.key`` holds a public key,
``name.key_secret`` both keys). A set of client public keys may also be a
directory of certificates (every ``*.key`` file in it, as in
``zmq.auth.Authenticator.configure_curve``) or a list of any of these.

Keys are secrets (a secret key) or credentials (a public key on an allow-list):
no message here ever contains one; errors name the file or the position only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Union

import zmq
import zmq.auth
from zmq.utils import z85

from ._errors import GeneralError

__all__ = ["KeySpec", "apply_client", "apply_server", "public_keys", "secret_key", "z85_public"]

KeySpec = Union[str, bytes, "os.PathLike[str]"]
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
        if _is_path(spec) and os.path.isdir(spec):  # type: ignore[arg-type]
            try:
                found = zmq.auth.load_certificates(spec)  # type: ignore[arg-type]
            except (OSError, ValueError) as exc:
                raise GeneralError(_SRC, f"cannot read CURVE certificates in {os.fspath(spec)!r}: {type(exc).__name__}") from None
            keys.update(z85.decode(_z85(k, f"a public key in {os.fspath(spec)!r}")) for k in found)
        else:
            keys.add(z85.decode(z85_public(spec, f"client public key #{i}")))
    return frozenset(keys)


def apply_server(sock: zmq.Socket, server_secret: KeySpec) -> None:
    """Make ``sock`` a CURVE server with ``server_secret`` (before bind)."""
    _public, secret = secret_key(server_secret, "server secret key")
    sock.curve_secretkey = secret
    sock.curve_server = True


def apply_client(sock: zmq.Socket, client_secret: KeySpec, server_public: KeySpec) -> None:
    """Make ``sock`` a CURVE client of the server ``server_public`` (before connect)."""
    public, secret = secret_key(client_secret, "client secret key")
    sock.curve_serverkey = z85_public(server_public, "server public key")
    sock.curve_publickey = public
    sock.curve_secretkey = secret
