"""The test bed itself: it skips cleanly where it cannot work, and leaves nothing behind."""

from __future__ import annotations

import os
import subprocess

import pytest

import netbed as nb
from conftest import free_port_pair


def test_skip_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nb, "_IP", "")
    assert "not installed" in nb._unusable()
    monkeypatch.setattr(nb, "_IP", "/usr/sbin/ip")
    monkeypatch.setattr(nb.os, "geteuid", lambda: 1000)
    assert "need root" in nb._unusable()
    with pytest.raises(pytest.skip.Exception, match="need root"):
        next(nb._make(1))


def test_refused_namespace_skips_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    if nb._unusable():
        pytest.skip(nb._unusable())
    real = nb._ip
    made: list[str] = []

    def failing(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        if args[:2] == ("netns", "add"):
            made.append(args[2])
            if len(made) == 2:  # the second namespace is refused
                raise RuntimeError("ip netns add: Operation not permitted")
        return real(*args, check=check)

    monkeypatch.setattr(nb, "_ip", failing)
    with pytest.raises(pytest.skip.Exception, match="cannot make network namespaces"):
        next(nb._make(1))
    listed = subprocess.run([nb._IP, "netns", "list"], capture_output=True, text=True).stdout
    assert made and not any(name in listed for name in made)


def test_names_are_unique_and_everything_is_removed() -> None:
    if nb._unusable():
        pytest.skip(nb._unusable())
    a, b = nb.NetBed(2), nb.NetBed(1)
    assert str(os.getpid()) in a.server and a.server != b.server
    a.open()
    try:
        port = str(free_port_pair())  # a fresh namespace has all ports free: the one helper all the same
        p = a.run(a.client(2), "net_memory_peer.py", "server", a.client_ip(2), port, "1", "1")
        p.expect("ready", 15)
        a.vanish(1)
    finally:
        a.close()
    listed = subprocess.run([nb._IP, "netns", "list"], capture_output=True, text=True).stdout
    assert a.server not in listed and a.client(1) not in listed and a.client(2) not in listed
    assert p.proc.poll() is not None  # its processes were killed
