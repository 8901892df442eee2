"""The library's types check: ``mypy`` strict on ``src/rogue``, as configured in pyproject.toml (``[tool.mypy]``).

The package ships ``py.typed``, so its annotations are a promise to every user
who type-checks code on it; this keeps them true. mypy is in the test extras
(``pip install -e .[test]``); without it the test skips and says so. Its cache
(``.mypy_cache``, beside pyproject.toml) makes a run after the first one fast.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(600)  # a cold run on a loaded 2-core machine (about 15 s when quiet; 2 s cached)
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                    reason="mypy is not installed (it is in the test extras: pip install -e .[test])")
def test_mypy_strict_passes_on_src_rogue() -> None:
    proc = subprocess.run([sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
                          cwd=ROOT, capture_output=True, text=True, timeout=590)
    assert proc.returncode == 0, f"mypy --strict found problems:\n{proc.stdout[-6000:]}{proc.stderr[-2000:]}"
    assert "Success" in proc.stdout


def test_the_check_is_strict_and_on_the_library() -> None:
    """The configuration the test runs: strict, on src/rogue, at the oldest Python supported."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib is Python 3.11+")

    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())
    mypy = conf["tool"]["mypy"]
    assert mypy["strict"] is True and mypy["files"] == ["src/rogue"]
    assert mypy["python_version"] == conf["project"]["requires-python"].lstrip(">=")
    assert any(dep.startswith("mypy") for dep in conf["project"]["optional-dependencies"]["test"])
