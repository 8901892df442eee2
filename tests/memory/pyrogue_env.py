"""Running the real pyrogue (``../shared/peers``) in a test: where it is.

pyrogue is located relative to the repository (``<repo>/../shared/peers``; a
worktree kept in a folder beside the repository looks one level up too);
tests that need it skip with the reason where it is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest


def _shared() -> Path:
    """``shared/`` beside the repository (or beside the folder of a worktree kept one level deeper)."""
    repo = Path(__file__).resolve().parents[2]
    for base in (repo.parent, repo.parent.parent):
        if (base / "shared").is_dir():
            return base / "shared"
    return repo.parent / "shared"


SHARED_DIR = _shared()
PEERS = SHARED_DIR / "peers"
TOOLS = SHARED_DIR / "tools"


def pyrogue_or_skip() -> Any:
    """``import pyrogue`` from ``../shared/peers``, or skip the test saying why."""
    if not (PEERS / "pyrogue" / "__init__.py").exists():
        pytest.skip(f"pyrogue not present at {PEERS} (the project's shared/ directory is absent)")
    pytest.importorskip("yaml", reason="pyrogue needs PyYAML")
    if str(PEERS) not in sys.path:
        sys.path.insert(0, str(PEERS))
    import pyrogue
    return pyrogue
