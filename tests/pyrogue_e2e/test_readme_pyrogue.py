"""The README's "pyrogue on rogue-bridge" example, run as written (only the port differs) against
``rogue-bridge serve-memory --srp`` in another process; then ``rogue-bridge read`` shows the register.

Needs the real pyrogue (``../shared/peers``): skipped, with the reason, where it is absent.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import PYROGUE_ABSENT, REPO, free_port_pair, pyrogue_env, pyrogue_present

pytestmark = [pytest.mark.skipif(not pyrogue_present(), reason=PYROGUE_ABSENT), pytest.mark.timeout(60)]
CLI = [sys.executable, "-m", "rogue.cli"]


def _snippet(marker: str) -> str:
    m = re.search(rf"<!-- {marker} -->\n```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)
    assert m, f"README has no {marker} snippet"
    return m.group(1)


def test_readme_pyrogue_root(tmp_path: Path) -> None:
    port = free_port_pair()
    code = _snippet("pyrogue-root")
    assert "9000" in code
    server = subprocess.Popen([*CLI, "serve-memory", f"127.0.0.1:{port}", "--srp"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=pyrogue_env())
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # bounded by the test's timeout
        assert first.startswith("serving"), first
        run = subprocess.run([sys.executable, "-c", code.replace("9000", str(port))], cwd=tmp_path,
                             capture_output=True, text=True, timeout=40, env=pyrogue_env())
        assert run.returncode == 0, run.stderr[-3000:]
        assert run.stdout.splitlines()[-1] == "0x12345678 Auto 1.25 [0 1 2 3]", run.stdout
        config = (tmp_path / "config.yml").read_text()
        assert "ScratchPad: 0x12345678" in config and "Mode: Auto" in config and "Version" not in config, config
        read = subprocess.run([*CLI, "read", f"127.0.0.1:{port}", "0x1000"], capture_output=True, text=True,
                              timeout=40, env=pyrogue_env())
        assert read.returncode == 0 and read.stdout == "0x00001000: 0x12345678\n", read.stdout + read.stderr
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=15)
        assert server.returncode == 130
    finally:
        if server.poll() is None:
            server.kill()
        server.communicate(timeout=15)
