"""Issue 23: ``import rogue`` reaches every module, and every public class reports the path users import it from.

C++ Rogue is one extension module: after ``import rogue`` (or ``import
rogue.interfaces.stream``), ``rogue.utilities.Prbs`` works, and its classes are
``<class 'rogue.interfaces.memory.Hub'>``. Which module holds which class is
taken from Rogue's boost.python ``module.cpp`` files (``rogue.interfaces.stream``
registers ``TcpCore``, ``rogue`` itself ``GeneralError``, ``Logging``,
``Version``, ...).
"""

from __future__ import annotations

import importlib
import json
import pickle
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

import pytest

import rogue

HERE = Path(__file__).resolve().parent

#: Where C++ Rogue 6.15 registers each class we ship (``bp::scope`` of its module.cpp).
ROGUE_HOMES = {
    "rogue": ["GeneralError", "Logging", "Version"],
    "rogue.interfaces.stream": ["Frame", "FrameLock", "Master", "Slave", "Pool", "Fifo", "Filter", "TcpCore",
                                "TcpClient", "TcpServer", "RateDrop"],
    "rogue.interfaces.memory": ["Master", "Slave", "Hub", "Transaction", "TransactionLock", "TcpClient",
                                "TcpServer", "Emulate"],
    "rogue.protocols.srp": ["SrpV3", "SrpV3Emulation"],
    "rogue.utilities": ["Prbs"],
    "rogue.utilities.fileio": ["StreamReader", "StreamWriter", "StreamWriterChannel"],
}


def _public_packages() -> list[str]:
    """Every package of rogue-bridge whose path has no ``_`` part: the modules users import."""
    names = ["rogue"]
    for info in pkgutil.walk_packages(rogue.__path__, "rogue."):
        if info.ispkg and not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


PACKAGES = _public_packages()


def test_the_public_packages_are_found() -> None:
    assert set(ROGUE_HOMES) | {"rogue.interfaces", "rogue.protocols", "rogue.cli"} <= set(PACKAGES)


def _run(code: str) -> Any:
    """Run ``code`` in a fresh interpreter (nothing of rogue imported yet); its last stdout line, as JSON."""
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[-1])


# -- 1. import rogue reaches every module -----------------------------------------------------------
def test_import_rogue_reaches_every_module_lazily() -> None:
    got = _run("""
        import json, sys
        import rogue
        out = {"loaded_after_import": sorted(m for m in sys.modules if m.startswith("rogue.") and
                                             not m.split(".")[1].startswith("_")),
               "dir": [n for n in ("interfaces", "protocols", "utilities") if n in dir(rogue)]}
        out["classes"] = [str(c) for c in (rogue.interfaces.stream.Fifo, rogue.interfaces.memory.Hub,
                                           rogue.protocols.srp.SrpV3, rogue.utilities.Prbs,
                                           rogue.utilities.fileio.StreamWriter)]
        out["dir_interfaces"] = [n for n in ("memory", "stream") if n in dir(rogue.interfaces)]
        out["dir_utilities"] = [n for n in ("Prbs", "fileio") if n in dir(rogue.utilities)]
        out["dir_protocols"] = [n for n in ("srp",) if n in dir(rogue.protocols)]
        from rogue import utilities
        from rogue.interfaces import memory
        out["from_import"] = [utilities.__name__, memory.__name__]
        try:
            rogue.no_such_module
        except AttributeError as exc:
            out["missing"] = [exc.name, str(exc)]
        print(json.dumps(out))
    """)
    assert got["loaded_after_import"] == []  # nothing beyond rogue itself until it is used
    assert got["dir"] == ["interfaces", "protocols", "utilities"]
    assert got["classes"] == ["<class 'rogue.interfaces.stream.Fifo'>", "<class 'rogue.interfaces.memory.Hub'>",
                              "<class 'rogue.protocols.srp.SrpV3'>", "<class 'rogue.utilities.Prbs'>",
                              "<class 'rogue.utilities.fileio.StreamWriter'>"]
    assert got["dir_interfaces"] == ["memory", "stream"]
    assert got["dir_utilities"] == ["Prbs", "fileio"]
    assert got["dir_protocols"] == ["srp"]
    assert got["from_import"] == ["rogue.utilities", "rogue.interfaces.memory"]
    assert got["missing"] == ["no_such_module", "module 'rogue' has no attribute 'no_such_module'"]


def test_bridges_and_the_command_line_load_without_the_register_engine() -> None:
    """numpy (about half a command's start-up) loads with what needs it: the register engine, Prbs, fileio."""
    got = _run("""
        import json, sys
        import rogue.interfaces.memory as rim, rogue.interfaces.stream as ris
        import rogue.cli
        rogue.cli.build_parser()  # every subcommand's module
        out = {"numpy_before": "numpy" in sys.modules}
        out["block"] = str(rim.Block)
        out["numpy_after"] = "numpy" in sys.modules
        from rogue.interfaces.memory import Variable
        from rogue.utilities import Prbs
        out["names"] = [str(Variable), str(Prbs), sorted(n for n in ("Block", "Variable") if n in dir(rim))]
        print(json.dumps(out))
    """)
    assert got == {"numpy_before": False, "block": "<class 'rogue.interfaces.memory.Block'>", "numpy_after": True,
                   "names": ["<class 'rogue.interfaces.memory.Variable'>", "<class 'rogue.utilities.Prbs'>",
                             ["Block", "Variable"]]}


def test_a_script_written_as_rogues_tests_runs() -> None:
    """``import rogue.interfaces.stream; import rogue``, then ``Prbs() >> Fifo(0, 0, False) >> Prbs()``."""
    proc = subprocess.run([sys.executable, str(HERE / "rogue_style" / "fifo_path.py")], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "rx 100 frames, 0 errors"


def test_zmq_classes_resolve_once_their_module_exists() -> None:
    """``rogue.interfaces.ZmqServer``/``ZmqClient`` (Rogue has them at that level): the module's class, or an
    AttributeError naming it while ``rogue/interfaces/zmq_server.py`` is not there."""
    import rogue.interfaces

    for name, module in (("ZmqServer", "zmq_server"), ("ZmqClient", "zmq_client")):
        if (Path(rogue.interfaces.__file__).parent / f"{module}.py").exists():
            cls = getattr(rogue.interfaces, name)
            assert str(cls) == f"<class 'rogue.interfaces.{name}'>"
            assert name in dir(rogue.interfaces)
        else:
            with pytest.raises(AttributeError, match=name) as info:
                getattr(rogue.interfaces, name)
            assert info.value.name == name
            assert name not in dir(rogue.interfaces)


def test_lazy_attributes_of_a_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The mechanism, on a throw-away package: an attribute listed before its module exists, then added."""
    pkg = tmp_path / "lazy_pkg_i23"
    pkg.mkdir()
    (pkg / "__init__.py").write_text(textwrap.dedent("""
        from rogue import _exports
        __all__ = ["sub"]
        _exports.lazy(__name__, globals(), ("sub",), {"Thing": "thing", "Broken": "broken"})
        _exports.publish(__name__, globals(), ("sub",))
    """))
    (pkg / "sub").mkdir()
    (pkg / "sub" / "__init__.py").write_text("VALUE = 7\n")
    (pkg / "broken.py").write_text("import lazy_pkg_i23_dependency_that_is_absent\nclass Broken: pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        mod = importlib.import_module("lazy_pkg_i23")
        assert "sub" in dir(mod) and "Thing" not in dir(mod) and "Broken" in dir(mod)
        assert "lazy_pkg_i23.sub" not in sys.modules
        assert mod.sub.VALUE == 7
        with pytest.raises(AttributeError, match="'lazy_pkg_i23' has no attribute 'Thing'"):
            mod.Thing  # noqa: B018
        # A module that exists but fails to import says why, instead of hiding behind an AttributeError.
        with pytest.raises(ModuleNotFoundError, match="lazy_pkg_i23_dependency_that_is_absent"):
            mod.Broken  # noqa: B018
        (pkg / "thing.py").write_text("class Thing:\n    pass\n")
        importlib.invalidate_caches()
        assert "Thing" in dir(mod)
        assert str(mod.Thing) == "<class 'lazy_pkg_i23.Thing'>"
        assert pickle.loads(pickle.dumps(mod.Thing)) is mod.Thing
        assert mod.__dict__["Thing"] is mod.Thing  # resolved once
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "lazy_pkg_i23"]:
            del sys.modules[name]


# -- 3. every public class reports the module users import it from ----------------------------------
def _public_names() -> list[tuple[str, str]]:
    return [(p, n) for p in PACKAGES for n in getattr(importlib.import_module(p), "__all__", ())]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_package_declares_its_names(package: str) -> None:
    mod = importlib.import_module(package)
    assert mod.__all__ and all(hasattr(mod, n) for n in mod.__all__)


@pytest.mark.parametrize(("package", "name"), _public_names(), ids=[f"{p}.{n}" for p, n in _public_names()])
def test_every_public_name_reports_its_public_module(package: str, name: str) -> None:
    mod = importlib.import_module(package)
    obj = getattr(mod, name)
    if isinstance(obj, ModuleType):
        assert obj is sys.modules[f"{package}.{name}"]
        return
    if not isinstance(obj, (type, FunctionType)):
        return  # constants (rim.Read, HEADER_SIZE, __version__)
    assert obj.__module__ == package, f"{package}.{name} says it is in {obj.__module__}"
    assert obj.__qualname__ == name
    assert getattr(sys.modules[obj.__module__], obj.__qualname__) is obj
    assert pickle.loads(pickle.dumps(obj)) is obj
    if isinstance(obj, type):
        assert repr(obj) == str(obj) == f"<class '{package}.{name}'>"


@pytest.mark.parametrize("package", sorted(ROGUE_HOMES))
def test_classes_live_where_rogue_has_them(package: str) -> None:
    mod = importlib.import_module(package)
    for name in ROGUE_HOMES[package]:
        assert name in mod.__all__
        cls = getattr(mod, name)
        assert str(cls) == f"<class '{package}.{name}'>"
        # The bytes pickle writes for the class are the ones it writes for C++ Rogue's.
        assert pickle.dumps(cls, protocol=0) == f"c{package}\n{name}\np0\n.".encode()


def test_instances_and_errors_pickle_under_the_public_path() -> None:
    import rogue.utilities.fileio as fileio

    hdr = fileio.RogueHeader(16, 1, 0, 3)
    data = pickle.dumps(hdr)
    assert b"rogue.utilities.fileio" in data and b"_format" not in data
    assert pickle.loads(data) == hdr
    err = rogue.GeneralError("Src", "went wrong")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is rogue.GeneralError and str(again) == str(err)
    # How pyrogue's ZmqServer names a failure for its remote clients.
    assert f"{type(err).__module__}.{type(err).__qualname__}" == "rogue.GeneralError"
