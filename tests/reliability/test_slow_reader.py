"""A reader that is behind is not a lost link (rogue._transport.heartbeat): nothing closed, lost, reordered or crashed.

Run in a child process: with ZMTP heartbeats on the receiving socket, libzmq
4.3.5 aborts the process when the peer leaves while the reader is behind.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent


def run(port: int, stall: float, mode: str) -> list[int]:
    res = subprocess.run([sys.executable, str(HERE / "slow_reader.py"), str(port), str(stall), mode],
                         capture_output=True, text=True, timeout=50)
    assert res.returncode == 0, f"exit {res.returncode}: {res.stderr[-800:]}"
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("got ")][-1]
    return [int(x) for x in line.split()[1:]]


@pytest.mark.timeout(60)
def test_reader_behind_for_three_timeouts_keeps_the_link(port: int) -> None:
    got, ordered, losses = run(port, 3.0, "keep")
    assert (got, ordered, losses) == (4000, 1, 0)


@pytest.mark.timeout(60)
def test_peer_leaving_while_reader_is_behind_does_not_crash(port: int) -> None:
    got, ordered, _losses = run(port, 3.0, "close")
    assert got >= 200 and ordered == 1
