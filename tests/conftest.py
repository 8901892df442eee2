"""Shared fixtures: free loopback port pairs, logging reset, leak checks."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import rogue
from rogue import _ports


def free_port_pair() -> int:
    """A base port P with P and P+1 both free on 127.0.0.1, below the ephemeral range (``rogue._ports``)."""
    return _ports.free_port_pair()


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
