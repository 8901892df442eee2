"""Hosts on one machine: Linux network namespaces joined by veth pairs (the network tests' bed).

:class:`NetBed` makes a "server" namespace and one or more "client"
namespaces, each client joined to the server by its own veth pair with
addresses in a private test subnet (``10.213.N.0/24``) that exist only inside
those namespaces: nothing is routed to or from the host's own network. Names
carry the pid of the test run, so concurrent runs never collide, and
:meth:`NetBed.close` removes everything (processes, links, namespaces) even
after a failure. The veth ends are created directly inside the namespaces, so
no interface ever appears in the host's namespace.

:func:`netbed` is the pytest fixture; it skips, with the reason, where the
test cannot make namespaces (not root, no ``ip``, a kernel or container that
refuses).
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).parent
_IP = shutil.which("ip") or ""
_ids = itertools.count(1)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run([_IP, *args], capture_output=True, text=True, timeout=10)
    if check and res.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {res.stderr.strip() or res.returncode}")
    return res


class Proc:
    """A Python helper script run inside a namespace; its stdout lines are read by a thread."""

    def __init__(self, ns: str, script: str, *args: str) -> None:
        cmd = [_IP, "netns", "exec", ns, sys.executable, "-u", str(HERE / script), *args]
        self.ns = ns
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.PIPE,
                                     text=True, bufsize=1)
        self.lines: queue.Queue[str] = queue.Queue()
        self.history: list[str] = []
        self.err: list[str] = []
        threading.Thread(target=self._read, name="test-netbed-out", daemon=True).start()
        threading.Thread(target=self._read_err, name="test-netbed-err", daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def _read_err(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.err.append(line.rstrip("\n"))

    def send(self, line: str) -> None:
        """Write one command line to the script's stdin."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, prefix: str, timeout: float) -> str:
        """The next line starting with ``prefix`` (earlier ones are kept in :attr:`history`)."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            try:
                line = self.lines.get(timeout=min(left, 0.1))
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    break
                continue
            self.history.append(line)
            if line.startswith(prefix):
                return line
        events = [ln for ln in self.history if not ln.startswith("st ")][-20:]
        raise AssertionError(f"no line {prefix!r} from {self.proc.args[3:]} within {timeout} s; "
                             f"last lines {self.history[-3:]}; events {events}; stderr {self.err[-15:]}")

    def drain(self) -> list[str]:
        """Move every line read so far into :attr:`history`; the last status line (``st ...``) or []."""
        while True:
            try:
                self.history.append(self.lines.get_nowait())
            except queue.Empty:
                break
        sts = [ln for ln in self.history if ln.startswith("st ")]
        return sts[-1].split()[1:] if sts else []

    def saw_text(self, text: str, timeout: float, since: int = 0) -> str:
        """A line containing ``text``, already read (from line ``since`` of :attr:`history` on) or still to come."""
        end = time.monotonic() + timeout
        seen = since
        while True:
            for line in self.history[seen:]:
                if text in line:
                    return line
            seen = len(self.history)
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no line with {text!r} from {self.proc.args[3:]} within {timeout} s; "
                                     f"events {[ln for ln in self.history if not ln.startswith('st ')][-20:]}")
            try:
                self.history.append(self.lines.get(timeout=min(left, 0.1)))
            except queue.Empty:
                pass

    def saw(self, prefix: str, timeout: float) -> str:
        """A line starting with ``prefix``, already read or the next one to come."""
        for line in self.history:
            if line.startswith(prefix):
                return line
        return self.expect(prefix, timeout)

    def stop(self) -> None:
        """Kill the script (and anything it started) and reap it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        try:
            self.proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError):
            pass


class NetBed:
    """A server namespace and ``clients`` client namespaces, each joined to the server by a veth pair.

    Client ``k`` (1-based) is ``10.213.k.2`` in namespace ``client(k)``; the
    server is ``10.213.k.1`` on that link, in namespace :attr:`server`.
    """

    def __init__(self, clients: int = 1) -> None:
        tag = f"rb{os.getpid()}x{next(_ids)}"
        self.server = f"{tag}s"
        self._clients = [f"{tag}c{k}" for k in range(1, clients + 1)]
        self._tag = tag
        self._procs: list[Proc] = []
        self._made: list[str] = []

    # -- names ----------------------------------------------------------------------
    def client(self, k: int = 1) -> str:
        """Namespace name of client ``k``."""
        return self._clients[k - 1]

    def server_ip(self, k: int = 1) -> str:
        """The server's address on the link to client ``k``."""
        return f"10.213.{k}.1"

    def client_ip(self, k: int = 1) -> str:
        """Client ``k``'s address."""
        return f"10.213.{k}.2"

    def _dev(self, k: int, side: str) -> str:
        return f"{self._tag}{side}{k}"[-15:]  # IFNAMSIZ

    # -- setup and teardown -------------------------------------------------------------
    def open(self) -> None:
        """Make the namespaces and links (RuntimeError with ip's message when the kernel refuses)."""
        for ns in (self.server, *self._clients):
            _ip("netns", "add", ns)
            self._made.append(ns)
            _ip("-n", ns, "link", "set", "lo", "up")
        for k, ns in enumerate(self._clients, 1):
            sdev, cdev = self._dev(k, "s"), self._dev(k, "c")
            _ip("-n", self.server, "link", "add", sdev, "type", "veth", "peer", "name", cdev, "netns", ns)
            _ip("-n", self.server, "addr", "add", f"{self.server_ip(k)}/24", "dev", sdev)
            _ip("-n", ns, "addr", "add", f"{self.client_ip(k)}/24", "dev", cdev)
            _ip("-n", self.server, "link", "set", sdev, "up")
            _ip("-n", ns, "link", "set", cdev, "up")

    def close(self) -> None:
        """Kill every process started here and in the namespaces, delete the namespaces (idempotent)."""
        for p in self._procs:
            p.stop()
        self._procs.clear()
        for ns in self._made:
            self._kill_all(ns)
            _ip("netns", "del", ns, check=False)
        self._made.clear()

    @staticmethod
    def _kill_all(ns: str) -> None:
        res = _ip("netns", "pids", ns, check=False)
        for pid in res.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass

    # -- running and breaking -----------------------------------------------------------------
    def run(self, ns: str, script: str, *args: str) -> Proc:
        """Start ``tests/network/<script> args`` in namespace ``ns`` (killed by :meth:`close`)."""
        p = Proc(ns, script, *args)
        self._procs.append(p)
        return p

    def link(self, up: bool, k: int = 1) -> None:
        """Take client ``k``'s link down or up (its client-side end; the server end loses carrier)."""
        _ip("-n", self.client(k), "link", "set", self._dev(k, "c"), "up" if up else "down")

    def vanish(self, k: int = 1) -> None:
        """Client ``k``'s host vanishes: its link goes first (no FIN or RST reaches the server), then it dies."""
        ns = self.client(k)
        _ip("-n", ns, "link", "del", self._dev(k, "c"))
        self._kill_all(ns)
        for p in self._procs:
            if p.ns == ns:
                p.stop()
        _ip("netns", "del", ns)
        self._made.remove(ns)


def _unusable() -> str:
    if not _IP:
        return "the `ip` command (iproute2) is not installed"
    if os.geteuid() != 0:
        return "network namespaces need root (run the network tests as root)"
    return ""


def _make(clients: int) -> Iterator[NetBed]:
    reason = _unusable()
    if reason:
        pytest.skip(reason)
    bed = NetBed(clients)
    try:
        bed.open()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        bed.close()
        pytest.skip(f"cannot make network namespaces here: {exc}")
    try:
        yield bed
    finally:
        bed.close()


@pytest.fixture
def netbed() -> Iterator[NetBed]:
    """A server namespace and one client namespace joined by a veth pair; removed after the test."""
    yield from _make(1)


@pytest.fixture
def netbed2() -> Iterator[NetBed]:
    """A server namespace and two client namespaces, each on its own veth pair to the server."""
    yield from _make(2)
