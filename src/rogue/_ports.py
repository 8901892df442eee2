"""Free TCP port pairs on this machine, for the demo, the tests and the benchmarks.

A bridge uses two ports, P and P+1. Ports are taken below the kernel's
ephemeral range (``/proc/sys/net/ipv4/ip_local_port_range``): outgoing
connections take their local port from that range, so a server port chosen
there can be taken by some client's connection between the check and the bind.
A port found free can still be taken by another process before it is bound:
:func:`open_on_free_ports` retries with another pair when that happens.
"""

from __future__ import annotations

import errno
import random
import socket
from typing import Callable, TypeVar

__all__ = ["ephemeral_low", "free_port_pair", "free_port_pairs", "open_on_free_ports", "port_free"]

T = TypeVar("T")
_LOW = 10000  # below this, ports are often well known or reserved by other software
_DEFAULT_EPHEMERAL_LOW = 32768  # Linux's default, where /proc does not say


def ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (32768 where the system does not say)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_LOW


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when ``port`` can be bound on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port_pair(host: str = "127.0.0.1", rng: random.Random | None = None) -> int:
    """A base port P, below the ephemeral range, with P and P+1 both free on ``host`` now."""
    rng = rng or random.Random()
    high = max(_LOW + 4, ephemeral_low() - 1)
    for _ in range(1000):
        port = rng.randrange(_LOW, high, 2)
        if port_free(port, host) and port_free(port + 1, host):
            return port
    raise OSError(errno.EADDRINUSE, f"no free pair of TCP ports found on {host} below {high}")


def free_port_pairs(n: int, host: str = "127.0.0.1", start: int | None = None) -> list[int]:
    """``n`` distinct base ports (P and P+1 free each) below the ephemeral range, scanned upwards."""
    high = ephemeral_low() - 1
    port = start if start is not None else _LOW + 2 * random.Random().randrange((high - _LOW) // 4)
    ports: list[int] = []
    for p in list(range(port, high, 2)) + list(range(_LOW, port, 2)):
        if len(ports) == n:
            break
        if port_free(p, host) and port_free(p + 1, host):
            ports.append(p)
    if len(ports) < n:
        raise OSError(errno.EADDRINUSE, f"only {len(ports)} free pairs of TCP ports on {host} below {high}")
    return ports


def _in_use(exc: BaseException) -> bool:
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            return True
        if getattr(exc, "errno", None) == errno.EADDRINUSE or "in use" in str(exc).lower():
            return True
        exc = exc.__cause__  # type: ignore[assignment]
    return False


def open_on_free_ports(open_at: Callable[[int], T], host: str = "127.0.0.1", tries: int = 10) -> T:
    """``open_at(P)`` for a free base port P; a new pair is tried while the bind finds it taken meanwhile."""
    last: BaseException | None = None
    for _ in range(tries):
        port = free_port_pair(host)
        try:
            return open_at(port)
        except Exception as exc:  # noqa: BLE001 - only "in use" is retried
            if not _in_use(exc):
                raise
            last = exc
    assert last is not None
    raise last
