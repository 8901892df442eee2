"""Running the real pyrogue (``../shared/peers``) in a test: where it is, and a temporary hygiene shim.

pyrogue is located relative to the repository (``<repo>/../shared/peers``; a
worktree kept in a folder beside the repository looks one level up too);
tests that need it skip with the reason where it is absent.

``hygiene_shim()`` (temporary, until issue 24's attribute-hygiene work on
``Master``/``Hub`` lands): today ``Hub.__init__`` keeps its root flag in
``_root`` and ``Master.__init__`` its timeout in ``_timeout``, both names
pyrogue's Device/Root set too (``registers.md`` §1.3). The shim moves the
Hub's flag to another name and keeps a timeout set before ``Master.__init__``;
it does nothing once those classes no longer use the names.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import rogue.interfaces.memory as rim



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


@contextlib.contextmanager
def hygiene_shim() -> Iterator[None]:
    """Keep Hub's root flag and a pre-set ``_timeout`` away from pyrogue's attributes (see the module text)."""
    probe = rim.Hub(0, 4, 4)
    hub_clash, master_clash = "_root" in vars(probe), "_timeout" in vars(probe)
    hub, master, slave = rim.Hub, rim.Master, rim.Slave
    saved = {name: hub.__dict__[name] for name in ("__init__", "_doSlaveId", "_doSlaveName", "_doMinAccess",
                                                     "_doMaxAccess", "_doAddress") if name in hub.__dict__}
    saved_master_init = master.__dict__["__init__"]

    def master_init(self: Any) -> None:
        kept = self.__dict__.get("_timeout")
        saved_master_init(self)
        if kept is not None:
            self._timeout = kept

    def hub_init(self: Any, offset: int, minAccess: int = 0, maxAccess: int = 0) -> None:
        saved["__init__"](self, offset, minAccess, maxAccess)
        self._shimHubRoot = self.__dict__.pop("_root")

    def is_root(self: Any) -> bool:
        return bool(self.__dict__.get("_shimHubRoot", False))

    if master_clash:
        master.__init__ = master_init  # type: ignore[method-assign]
    if hub_clash and len(saved) == 6:
        hub.__init__ = hub_init  # type: ignore[method-assign]
        hub._doSlaveId = lambda self: slave._doSlaveId(self) if is_root(self) else self._reqSlaveId()  # type: ignore
        hub._doSlaveName = lambda self: (slave._doSlaveName(self) if is_root(self)  # type: ignore
                                         else self._reqSlaveName())
        hub._doMinAccess = lambda self: (slave._doMinAccess(self) if is_root(self)  # type: ignore
                                         else self._reqMinAccess())
        hub._doMaxAccess = lambda self: (slave._doMaxAccess(self) if is_root(self)  # type: ignore
                                         else self._reqMaxAccess())
        hub._doAddress = lambda self: 0 if is_root(self) else self._getAddress()  # type: ignore
    try:
        yield
    finally:
        master.__init__ = saved_master_init  # type: ignore[method-assign]
        for name, fn in saved.items():
            setattr(hub, name, fn)
