"""pyrogue's own ``FileReader`` (from ``shared/peers``), loaded without importing pyrogue, to compare ours with.

``import pyrogue`` needs the whole register engine on rogue-bridge, but its
reader (``pyrogue/utilities/fileio/_FileReader.py``) only needs two names of
the package: ``pr.yamlToData`` (config records), which calls ``pr.logInit``.
So the three files are executed from their paths with a bare module standing
in for the ``pyrogue`` package (holding just those two functions, taken from
pyrogue's own ``_HelperFunctions.py`` and ``_Logging.py``). The stand-in is in
``sys.modules`` only while the files execute; afterwards ``sys.modules`` is as
it was, so a later ``import pyrogue`` in the same process gets the real one.
Nothing of pyrogue is copied into the project: it is read from ``shared/``,
and the tests skip where that is absent.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import PEERS, PYROGUE_ABSENT, pyrogue_present



def _exec(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod  # dataclasses look their module up while the file runs
    spec.loader.exec_module(mod)
    return mod


_LOADED: list[ModuleType] = []


def load() -> ModuleType:
    """pyrogue's ``_FileReader`` module; skips the calling test (with why) where it cannot be had."""
    if _LOADED:
        return _LOADED[0]
    if not pyrogue_present():
        pytest.skip(PYROGUE_ABSENT + ": nothing to compare with")
    pytest.importorskip("yaml", reason="pyrogue's FileReader needs PyYAML")
    root = PEERS / "pyrogue"
    names = ["pyrogue", "pyrogue._Logging", "pyrogue._HelperFunctions", "pyrogue.utilities.fileio._FileReader"]
    saved = {n: sys.modules[n] for n in names if n in sys.modules}
    stub = ModuleType("pyrogue", "stand-in for the pyrogue package while its FileReader file is loaded")
    stub.__path__ = [str(root)]
    sys.modules["pyrogue"] = stub
    try:
        stub.logInit = _exec("pyrogue._Logging", root / "_Logging.py").logInit  # type: ignore[attr-defined]
        helpers = _exec("pyrogue._HelperFunctions", root / "_HelperFunctions.py")
        stub.yamlToData = helpers.yamlToData  # type: ignore[attr-defined]
        reader = _exec("pyrogue.utilities.fileio._FileReader", root / "utilities" / "fileio" / "_FileReader.py")
    finally:
        for n in names:
            sys.modules.pop(n, None)
        sys.modules.update(saved)
    _LOADED.append(reader)
    return reader
