"""The README's "Checking a link with PRBS" recipe, run as written (only the port differs) in two processes."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"


def _snippet(marker: str) -> str:
    m = re.search(rf"<!-- {marker} -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert m, f"README has no {marker} snippet"
    return m.group(1)


@pytest.mark.timeout(60)
def test_readme_prbs_recipe(port: int) -> None:
    checker = _snippet("prbs-checker").replace("9000", str(port))
    generator = _snippet("prbs-generator").replace("9000", str(port))
    rx = subprocess.Popen([sys.executable, "-c", checker], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        tx = subprocess.run([sys.executable, "-c", generator], capture_output=True, text=True, timeout=40)
        out, err = rx.communicate(timeout=40)
    finally:
        if rx.poll() is None:
            rx.kill()
            rx.communicate()
    assert tx.returncode == 0, tx.stderr
    assert rx.returncode == 0, err
    assert out.splitlines()[-1].startswith("1000 good frames, 65536000 bytes, 0 errors, ")
