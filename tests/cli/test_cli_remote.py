"""``rogue-bridge tree/get/set``, run as a subprocess against a ZmqServer answering its string port as pyrogue's does."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import zmq

import rogue.interfaces
from conftest import free_port_triple
from rogue.cli import main
from rogue.cli._common import CliError, Endpoint
from rogue.cli.remote import RemoteTree

CLI = [sys.executable, "-m", "rogue.cli"]
HOST = "127.0.0.1"
YAML = "Top:\n  Dev:\n    Reg: 0x1f\n    Name: board\n"


class FakeTree(rogue.interfaces.ZmqServer):
    """A string port with pyrogue's answers: str() of the result, "None" for no node, "EXCEPTION: ..." on errors."""

    def __init__(self, port: int) -> None:
        super().__init__(HOST, port)
        self.requests: list[dict[str, Any]] = []
        self.values = {"Top.Dev.Reg": "0x1f", "Top.Dev.Name": "board"}

    def _doString(self, data: str) -> str:
        d = json.loads(data)
        self.requests.append(d)
        path, attr, args = d["path"], d["attr"], d.get("args", [])
        path = "Top" + path[4:] if path.split(".")[0] == "root" else path
        if path not in self.values and path not in ("Top", "Top.Dev"):
            return "None"
        if attr == "path":
            return path
        if attr == "getYaml":
            return YAML if path == "Top" else "Dev:\n  Reg: 0x1f\n"
        if attr in ("getDisp", "valueDisp"):
            return self.values[path]
        if attr == "setDisp":
            if args[0] == "bad":
                return "EXCEPTION: invalid literal for int() with base 16: 'bad'"
            self.values[path] = args[0].lower()
            return "None"
        return "EXCEPTION: 'Dev' object has no attribute " + repr(attr)


@pytest.fixture
def tree(no_thread_leak: None) -> Iterator[FakeTree]:
    srv = FakeTree(free_port_triple())
    srv._start()
    yield srv
    srv._stop()


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=30)


def one_error_line(p: subprocess.CompletedProcess[str]) -> str:
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in p.stderr, p.stderr
    assert lines[0].startswith(f"rogue-bridge {p.args[3]}: error: "), lines[0]  # names the subcommand
    return lines[0]


def test_tree_prints_the_yaml_of_the_root(tree: FakeTree) -> None:
    ep = f"{HOST}:{tree.port()}"
    p = run("tree", ep)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    assert p.stdout == YAML
    assert tree.requests == [{"attr": "getYaml", "path": "root"}]
    p = run("tree", ep, "--path", "Top.Dev", "--read")
    assert p.returncode == 0 and p.stdout == "Dev:\n  Reg: 0x1f\n"
    assert tree.requests[-1] == {"attr": "getYaml", "path": "Top.Dev", "args": [True]}


def test_get_and_set(tree: FakeTree) -> None:
    ep = f"{HOST}:{tree.port()}"
    p = run("get", ep, "Top.Dev.Reg")
    assert (p.returncode, p.stdout, p.stderr) == (0, "0x1f\n", "")
    assert tree.requests[-1] == {"attr": "getDisp", "path": "Top.Dev.Reg"}
    p = run("set", ep, "Top.Dev.Name", 'a "quoted" NAME')
    assert (p.returncode, p.stdout, p.stderr) == (0, 'Top.Dev.Name = a "quoted" name\n', "")
    assert {"attr": "setDisp", "path": "Top.Dev.Name", "args": ['a "quoted" NAME']} in tree.requests
    p = run("get", ep, "Top.Dev.Name", "--cached")
    assert p.stdout == 'a "quoted" name\n' and tree.requests[-1]["attr"] == "valueDisp"


def test_errors_are_one_line(tree: FakeTree) -> None:
    ep = f"{HOST}:{tree.port()}"
    n = len(tree.requests)
    p = run("set", ep, "Top.Nothing", "1")
    assert p.returncode == 1 and one_error_line(p).endswith(f"{ep}: no node 'Top.Nothing' in the tree")
    assert [r["attr"] for r in tree.requests[n:]] == ["path"]  # nothing set
    p = run("set", ep, "Top.Dev.Reg", "bad")
    assert p.returncode == 1
    assert one_error_line(p).endswith(f"{ep}: Top.Dev.Reg: invalid literal for int() with base 16: 'bad'")


def test_nothing_answering() -> None:
    port = free_port_triple()
    p = run("get", f"{HOST}:{port}", "Top.X")
    assert p.returncode == 1
    assert one_error_line(p) == (f"rogue-bridge get: error: nothing answering at {HOST}:{port}: nothing listens on port "
                                 f"{port + 2} (the string port of a pyrogue server at base port {port})")


def test_a_server_that_does_not_answer(no_thread_leak: None) -> None:
    port = free_port_triple()
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)  # bound, never reads
    rep.bind(f"tcp://{HOST}:{port + 2}")
    try:
        p = run("tree", f"{HOST}:{port}", "--timeout", "0.2")
    finally:
        rep.close(linger=0)
        ctx.term()
    assert p.returncode == 1
    assert one_error_line(p) == (f"rogue-bridge tree: error: {HOST}:{port}: no answer from port {port + 2} (the string "
                                 "port) within 0.2 s: the server is busy (try a longer --timeout) or refuses this "
                                 "client (its allow-list or CURVE keys)")


def test_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["get", "nohostport", "X"], ["tree", f"{HOST}:65534"], ["tree", f"{HOST}:9000", "--curve-secret", "k"],
                 ["set", f"{HOST}:9000", "Top.X"]):
        try:
            code = main(args)
        except SystemExit as exc:  # argparse's own usage errors
            code = exc.code
        err = capsys.readouterr().err.splitlines()
        assert code == 2 and len(err) == 1 and ": error: " in err[0], (args, err)


def test_remote_tree_in_process(tree: FakeTree) -> None:
    """What the commands build on, without a subprocess: a missing node told from a value "None"."""
    remote = RemoteTree(Endpoint(HOST, tree.port()), 5.0)
    try:
        with pytest.raises(CliError, match=r"no node 'Top.Nothing' in the tree$"):
            remote.value("Top.Nothing", "getDisp")
        tree.values["Top.Dev.Name"] = "None"
        assert remote.value("Top.Dev.Name", "valueDisp") == "None"
        assert remote.exists("root.Dev") and not remote.exists("Top.Dev.Nothing")
        with pytest.raises(CliError, match=r"Top.Dev: 'Dev' object has no attribute 'exec'$"):
            remote.call("Top.Dev", "exec")
    finally:
        remote.close()


def test_ctrl_c_while_waiting_for_an_answer(no_thread_leak: None) -> None:
    """--timeout 0 waits without a limit; Ctrl-C ends the wait at once: exit 130, nothing printed."""
    port = free_port_triple()
    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)  # takes the request, never answers
    rep.bind(f"tcp://{HOST}:{port + 2}")
    try:
        p = subprocess.Popen([*CLI, "get", f"{HOST}:{port}", "Top.X", "--timeout", "0"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert rep.poll(30_000), "the request never arrived"  # the command now waits for the answer
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
    finally:
        rep.close(linger=0)
        ctx.term()
    assert (p.returncode, out, err) == (130, "", "")
