"""Stream TCP bridge between separate processes: the seed examples, and exit right after a burst."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tcp_bridge_helpers import Recorder

import rogue.interfaces.stream as ris

HERE = Path(__file__).parent


def _spawn(script: str, *args: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / script), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE,
    )


def _finish(proc: subprocess.Popen[str], timeout: float = 40.0) -> tuple[int, str, str]:
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


@pytest.mark.timeout(60)
@pytest.mark.parametrize("server_first", [True, False])
def test_seed_server_and_client_examples_in_two_processes(port: int, server_first: bool) -> None:
    n = 50
    order = [("seed_stream_server.py", port, n), ("seed_stream_client.py", port, n)]
    if not server_first:
        order.reverse()
    procs = {script: _spawn(script, *args) for script, *args in order}
    results = {script: _finish(p) for script, p in procs.items()}
    for script, (rc, out, err) in results.items():
        assert rc == 0, f"{script} exited with {rc}: {err[-2000:]}"
    server = json.loads(results["seed_stream_server.py"][1])
    client = json.loads(results["seed_stream_client.py"][1])
    assert server["sent"] == client["sent"] == n
    assert server["received"] == [[f"client {i}", 0x2200 + i, 2, 0] for i in range(n)]
    assert client["received"] == [[f"server {i}", 0x1100 + i, 1, 0] for i in range(n)]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("mode", ["exit", "close"])
def test_process_exiting_right_after_a_burst_loses_nothing(port: int, mode: str) -> None:
    n, size = 300, 1 << 20
    server = ris.TcpServer("127.0.0.1", port)
    try:
        dst = Recorder()
        server >> dst
        rc, out, err = _finish(_spawn("stream_burst_sender.py", port, n, mode))
        assert rc == 0, err[-2000:]
        assert out.strip() == f"sent {n}"
        assert dst.wait(n, 20.0), f"only {len(dst.got)} of {n} frames arrived"
        for i, (data, _flags, channel, _error) in enumerate(dst.got):
            assert len(data) == size and data[:4] == i.to_bytes(4, "little") and data[-4:] == data[:4]
            assert channel == i % 256
    finally:
        server.close()
