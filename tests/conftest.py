"""Shared fixtures: free loopback port pairs, logging reset, leak checks."""

from __future__ import annotations

import random
import socket
import threading
from collections.abc import Iterator

import pytest

import rogue


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _ephemeral_low() -> int:
    """The lowest port of the kernel's ephemeral range (outgoing connections take those)."""
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_pair() -> int:
    """A base port P with P and P+1 both free on 127.0.0.1, below the ephemeral range, chosen at run time."""
    rng = random.Random()
    high = max(20002, min(60000, _ephemeral_low() - 1))
    for _ in range(500):
        port = rng.randrange(20000, high, 2)
        if _port_free(port) and _port_free(port + 1):
            return port
    raise RuntimeError("no free port pair found")


@pytest.fixture
def port() -> int:
    """A free base port (P and P+1 free)."""
    return free_port_pair()


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    rogue.Logging.reset()


@pytest.fixture
def no_thread_leak() -> Iterator[None]:
    """Fail the test if it leaves a thread running."""
    before = set(threading.enumerate())
    yield
    deadline = 2.0
    import time

    end = time.monotonic() + deadline
    while time.monotonic() < end:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive()]
        if not extra:
            return
        time.sleep(0.02)
    raise AssertionError(f"threads left running: {[t.name for t in extra]}")
