"""What ``ZmqServer`` and ``ZmqClient`` share: security, the string-port JSON and Rogue's texts.

The encoders and texts here are pure functions (no sockets, no clock); the
server, the client and the command line call them, so the tests of these
functions test what ships. Who may connect comes from the bridges' own
``BridgeSecurity`` and ``SocketGuard``, imported here and nowhere else in the
two classes' modules; their sockets are made and read by ``rogue._transport``
(``make_socket``, ``recv_one``, ``Waker``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from .._errors import GeneralError
from .._security import BridgeSecurity, SocketGuard  # the one import of the security layer (see the module docstring)
from .._transport import tcp_url

__all__ = [
    "AUTO_PORTS",
    "BridgeSecurity",
    "SocketGuard",
    "bind_error",
    "candidate_ports",
    "log_hook_error",
    "recovered_text",
    "rogue_error",
    "string_request",
    "tcp_url",
    "timeout_text",
    "wait_text",
]

#: The base ports ``ZmqServer`` tries when given port 0: 9099, 9103, ..., 9195 (Rogue's 25 tries, step 4).
AUTO_PORTS = tuple(range(9099, 9099 + 100, 4))
RETRY_LOG_S = 30  # "Still waiting ..." every 30 s after the first warning (Rogue's kRetryLogIntervalSeconds)


def rogue_error(src: str, text: str) -> GeneralError:
    """A GeneralError that reads as C++ Rogue's: ``str()`` is ``"<src>: General Error: <text>"``."""
    return GeneralError(src, f"General Error: {text}")


def candidate_ports(port: int) -> tuple[int, ...]:
    """The base ports a server asked for ``port`` tries in turn (:data:`AUTO_PORTS` for 0)."""
    return AUTO_PORTS if port == 0 else (port,)


def bind_error(addr: str, port: int) -> GeneralError:
    """Rogue's error when no base port could be bound (``port`` as asked: 0 means automatic)."""
    if port == 0:
        return rogue_error("ZmqServer::ZmqServer", f"Failed to auto bind server on interface {addr}.")
    return rogue_error("ZmqServer::ZmqServer", f"Failed to bind server to port {port + 1} on interface {addr}. "
                        "Another process may be using this port.")


def string_request(path: str, attr: str, args: Sequence[object] = ()) -> bytes:
    """The JSON request of the string port (P+2): ``{"attr": ..., "path": ..., "args": [...]}`` in UTF-8.

    Rogue's keys, order and spacing, so a request Rogue can express comes out
    byte for byte as Rogue's; unlike Rogue's hand-built text, quotes, backslashes
    and control characters are escaped. ``args`` is left out when empty.
    """
    req: dict[str, object] = {"attr": attr, "path": path}
    if args:
        req["args"] = list(args)
    return json.dumps(req, separators=(",", ": "), ensure_ascii=False).encode("utf-8")


def timeout_text(seconds: float, string_mode: bool) -> str:
    """Rogue's text when a request is given up (``seconds`` waited, whole seconds shown)."""
    if string_mode:
        return f"Timeout waiting for response after {int(seconds)} Seconds."
    return f"Timeout waiting for response after {int(seconds)} Seconds, server may be busy!"


def wait_text(seconds: float, last_logged: int) -> str | None:
    """The warning due after ``seconds`` of waiting when the last one was at ``last_logged`` s (0: none yet).

    Rogue warns once after the first whole second, then every 30 s; None when no warning is due.
    """
    whole = int(seconds)
    if whole == 0:
        return None
    if last_logged == 0:
        return f"Timeout waiting for response after {whole} seconds, server may be busy. Continuing to wait..."
    if whole >= last_logged + RETRY_LOG_S:
        return f"Still waiting for response after {whole} seconds, server may be busy..."
    return None


def recovered_text(seconds: float) -> str | None:
    """Rogue's warning when a reply came after at least one whole second of waiting (None before that)."""
    whole = int(seconds)
    return f"Received response from server after {whole} seconds." if whole else None


def log_hook_error(log: logging.Logger, where: str, what: str, exc: BaseException) -> None:
    """Log an exception raised by a Python hook (``_doRequest``, ``_doUpdate``, ...) as Rogue's warning, with its traceback."""
    log.warning("%s: dropping %s after exception: %s", where, what, str(exc) or type(exc).__name__,
                exc_info=(type(exc), exc, exc.__traceback__))
