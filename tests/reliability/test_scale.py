"""Scale: one process with 500 stream bridge pairs and 500 memory bridge pairs, all passing traffic.

Run in a child process (``scale_driver.py``), so the 2 000 bridges, their
threads and the raised file-descriptor limit stay out of the test process.
Figures (threads, descriptors, RSS, times) are printed by the driver and shown
with ``pytest -s``; nothing here asserts speed beyond generous hang bounds.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PAIRS = 500
NEED_FDS = 19_500  # measured 19 008 for 500 + 500 pairs (default options), plus the interpreter's own

_hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
pytestmark = pytest.mark.skipif(
    _hard != resource.RLIM_INFINITY and _hard < NEED_FDS,
    reason=f"the hard file-descriptor limit {_hard} is below the {NEED_FDS} that 500 + 500 pairs need",
)


def _run(end: str) -> dict[str, str]:
    proc = subprocess.run([sys.executable, str(HERE / "scale_driver.py"), str(PAIRS), str(PAIRS), end],
                          capture_output=True, text=True, timeout=110)
    figures = dict(line.split("=", 1) for line in proc.stdout.splitlines() if "=" in line)
    assert proc.returncode == 0, (proc.returncode, proc.stdout[-2000:], proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    print(f"scale ({end}):", figures)
    return figures


@pytest.mark.timeout(120)
def test_500_stream_and_500_memory_pairs_half_stopped_half_left_to_interpreter_exit() -> None:
    """Both endings in one run of 2 000 bridges: stop() of half of them, interpreter exit for the rest."""
    figures = _run("half")
    assert figures["verified"] == f"{PAIRS}+{PAIRS}"
    threads = int(figures["threads"])
    assert threads >= 4 * PAIRS  # one thread per bridge end: all running
    # stop() took the threads of the half stopped (one per end, 2 * PAIRS ends) and nothing else.
    assert int(figures["threads_after"]) <= threads - 2 * PAIRS
    assert int(figures["still_serving"]) == PAIRS // 2  # the others answered after it
    # The other half, never stopped: exit closes it itself and does not hang.
    # CLOCK_MONOTONIC is one clock for the whole machine: compare with the child's last line.
    took = time.monotonic() - float(figures["ending"])
    assert took < 30, f"exit took {took:.1f} s"
