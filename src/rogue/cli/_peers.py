"""How many clients a stream server already has, seen from this machine's TCP table.

A stream server sends each frame to one of its clients (ZeroMQ PUSH
round-robin), so ``rogue-bridge monitor`` connecting as an extra client takes
every other frame from the real consumer. The wire has no way to ask a server
about its clients; when the server runs on this machine, though, the kernel's
TCP table (``/proc/net/tcp``, ``/proc/net/tcp6`` on Linux) shows its connections:
the established ones whose local port is the server's sending port P+1, while
that port is listening. For a server elsewhere nothing can be known.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable

__all__ = ["count_clients", "stream_clients"]

_ESTABLISHED = "01"
_LISTEN = "0A"
_TABLES = ("/proc/net/tcp", "/proc/net/tcp6")


def count_clients(lines: Iterable[str], port: int) -> int | None:
    """Established connections to local ``port`` in ``/proc/net/tcp``-format lines; None when nothing listens there.

    Each line after the header reads ``sl local_address rem_address st ...``
    with addresses as ``HEXIP:HEXPORT`` and the state in hex (01 established,
    0A listening).
    """
    listening = False
    established = 0
    for line in lines:
        fields = line.split()
        if len(fields) < 4 or ":" not in fields[1]:
            continue
        try:
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
        except ValueError:
            continue  # the header line, or something unexpected
        if local_port != port:
            continue
        state = fields[3].upper()
        if state == _LISTEN:
            listening = True
        elif state == _ESTABLISHED:
            established += 1
    return established if listening else None


def _is_local(host: str) -> bool:
    """True when ``host`` names this machine (loopback, or an address a socket here can bind)."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return False
    for family, _, _, _, addr in infos:
        ip = str(addr[0])
        if ipaddress.ip_address(ip.split("%", 1)[0]).is_loopback:
            return True
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.bind((ip, 0))
            return True
        except OSError:
            continue
    return False


def stream_clients(host: str, port: int) -> int | None:
    """Clients already connected to the stream server at ``host``:``port`` (base port P), or None when unknowable.

    None: the server is on another machine, nothing listens on P+1 here, or the
    system has no ``/proc/net/tcp`` (not Linux).
    """
    if not _is_local(host):
        return None
    lines: list[str] = []
    for path in _TABLES:
        try:
            with open(path, encoding="ascii", errors="replace") as f:
                lines.extend(f)
        except OSError:
            continue
    if not lines:
        return None
    return count_clients(lines, port + 1)
