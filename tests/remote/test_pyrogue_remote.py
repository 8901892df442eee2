"""pyrogue's own remote interface on rogue-bridge: a Root served by ``pyrogue.interfaces.ZmqServer`` in one process,
a ``VirtualClient`` in another (both driven by this test), the string port from here and from the command line.

Needs the unmodified pyrogue of ``../shared/peers`` (skipped where it is absent); this process never imports it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rogue.interfaces
from conftest import PYROGUE_ABSENT, PipeLines, free_port_triple, pyrogue_env, pyrogue_present

_HERE = Path(__file__).resolve().parent
_SRC = _HERE.parents[1] / "src"
HOST = "127.0.0.1"

pytestmark = [
    pytest.mark.skipif(not pyrogue_present(), reason=PYROGUE_ABSENT + ": nothing to run it against"),
    pytest.mark.timeout(60),
]


class Driven:
    """A Python subprocess with pyrogue on its path, spoken to one line at a time."""

    def __init__(self, script: str, *args: str) -> None:
        self.proc = subprocess.Popen([sys.executable, str(_HERE / script), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
                                     env=pyrogue_env())
        assert self.proc.stdout is not None
        self._lines = PipeLines(self.proc.stdout)
        self._err: list[str] = []  # read all along, so a chatty child never blocks on a full pipe
        self._err_reader = threading.Thread(target=self._read_stderr, name="test:stderr", daemon=True)
        self._err_reader.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self._err.append(line)

    def readline(self, timeout: float = 30.0) -> str:
        line = self._lines.line(timeout)
        if line is None:
            raise AssertionError(f"{self.proc.args[1]}: no answer within {timeout} s; stderr: {self.stderr()}")
        if not line:
            self.proc.wait(10)
            raise AssertionError(f"{self.proc.args[1]} ended ({self.proc.returncode}): {self.stderr()}")
        return line

    def stderr(self) -> str:
        """The child's stderr so far (its end)."""
        return "".join(self._err)[-3000:]

    def close(self) -> None:
        """Close stdin (the script's signal to stop) and wait for the end; kill it if it hangs."""
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"{self.proc.args[1]} did not stop when asked; stderr: {self.stderr()}")
        finally:
            self._err_reader.join(10)
            for f in (self.proc.stdout, self.proc.stderr):
                if f:
                    f.close()

    def kill(self) -> None:
        """End the child at once (a test that failed half-way)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.close()


class Root(Driven):
    """The served root's process, once it said it serves (``failed``: it could not start, e.g. a port was taken)."""

    def __init__(self, port: int) -> None:
        super().__init__("pyrogue_root.py", str(port))
        try:
            while True:
                line = self.readline()
                if line.startswith("ready "):
                    assert int(line.split()[1]) == port
                    return
                if line.startswith("failed "):
                    raise RootFailed(line.strip())
        except BaseException:
            self.kill()
            raise


class RootFailed(Exception):
    """The root process could not start (its line)."""


def new_root() -> tuple[int, Root]:
    """A root served on free ports; other ports are tried while the chosen ones are taken meanwhile."""
    for _ in range(5):
        port = free_port_triple()
        try:
            return port, Root(port)
        except RootFailed as exc:
            if "Failed to bind" not in str(exc):
                raise
    raise AssertionError("no free ports for the root after 5 tries")


class Client(Driven):
    def __init__(self) -> None:
        super().__init__("pyrogue_client.py")

    def do(self, op: str, **kw: Any) -> Any:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"op": op, **kw}) + "\n")
        self.proc.stdin.flush()
        line = self.readline()
        while not line.startswith("@@"):  # pyrogue's own prints
            line = self.readline()
        answer = json.loads(line[2:])
        if "error" in answer:
            raise RemoteError(answer["error"], answer["text"])
        return answer["ok"]


class RemoteError(Exception):
    """An exception raised in the client process: its type name and text."""


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """The server's port and process (a test may replace the process), and the client process."""
    port, root = new_root()
    state: dict[str, Any] = {"port": port, "root": root}
    try:
        state["client"] = Client()
        yield state
    finally:
        client = state.get("client")
        try:
            if client is not None:
                client.do("stop")
        finally:
            if client is not None:
                client.close()
            state["root"].close()


def test_tree_is_mirrored(served) -> None:
    got = served["client"].do("connect", port=served["port"])
    assert got["root"] == "Top"
    assert {"Top", "Top.Dev", "Top.Dev.Scratch", "Top.Dev.Label", "Top.Dev.Counter", "Top.Dev.Reg", "Top.Dev.Bump",
            "Top.Dev.Fail", "Top.ReadAll", "Top.Time"} <= set(got["nodes"])


def test_get_set_and_commands(served) -> None:
    c = served["client"]
    c.do("set", path="Top.Dev.Scratch", value=7)
    assert c.do("get", path="Top.Dev.Scratch") == 7
    assert c.do("simple_get", port=served["port"], path="Top.Dev.Scratch") == 7
    c.do("set", path="Top.Dev.Reg", value=0x1234ABCD)  # a register: through the memory bus of the server
    assert c.do("get", path="Top.Dev.Reg") == 0x1234ABCD
    before = c.do("get", path="Top.Dev.Counter")
    c.do("call", path="Top.Dev.Bump")
    assert c.do("get", path="Top.Dev.Counter") == before + 1


def test_live_updates_reach_a_listener(served) -> None:
    c = served["client"]
    c.do("listen", path="Top.Dev.Counter")
    value = c.do("get", path="Top.Dev.Counter") + 1
    c.do("call", path="Top.Dev.Bump")
    assert value in c.do("wait_update", path="Top.Dev.Counter", value=value)


def test_request_that_raises_reaches_the_client(served) -> None:
    with pytest.raises(RemoteError) as err:
        served["client"].do("call", path="Top.Dev.Fail")
    assert err.value.args == ("Exception", "builtins.ValueError: deliberate failure")
    assert served["client"].do("get", path="Top.Dev.Scratch") == 7  # and the server goes on


def test_string_port(served, no_thread_leak) -> None:
    port = served["port"]
    s = rogue.interfaces.ZmqClient(HOST, port, True)
    try:
        s.setTimeout(5000, 5000)
        assert s.getDisp("Top.Dev.Scratch") == "7"
        s.setDisp("Top.Dev.Scratch", "9")
        assert s.valueDisp("Top.Dev.Scratch") == "9"
        assert s.getDisp("Top.Dev.Nothing") == "None"
        assert s.valueDisp("root.Dev.Label") == "board"
    finally:
        s._stop()
    assert served["client"].do("get", path="Top.Dev.Scratch") == 9


def test_command_line_against_pyrogue(served) -> None:
    ep = f"{HOST}:{served['port']}"
    env = dict(os.environ, PYTHONPATH=str(_SRC))  # no pyrogue on this side

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "rogue.cli", *args], capture_output=True, text=True,
                              timeout=30, env=env)

    p = cli("set", ep, "Top.Dev.Label", "hello world")
    assert (p.returncode, p.stdout, p.stderr) == (0, "Top.Dev.Label = hello world\n", "")
    p = cli("get", ep, "Top.Dev.Scratch")
    assert (p.returncode, p.stdout) == (0, "9\n")
    p = cli("tree", ep)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Top:" and "    Scratch: 9" in lines and "    Label: hello world" in lines


def test_server_restarted_under_the_client(served) -> None:
    c = served["client"]
    served["root"].close()
    served["root"] = Root(served["port"])  # the same ports at once: the old server released them
    assert c.do("get", path="Top.Dev.Scratch") == 0  # the new server's value: requests reach it
    c.do("call", path="Top.Dev.Bump")
    assert 1 in c.do("wait_update", path="Top.Dev.Counter", value=1)  # and its updates reach the listener
