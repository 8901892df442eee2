"""Every public name of Rogue 6.15's Python modules that rogue-bridge ships (issue 13).

Written from Rogue's boost-python bindings (``setup_python()`` of each class and
``module.cpp`` of each module) and its documentation. Out of scope here: the
register engine (``rim.Block``, ``rim.Variable`` and their model ids
``PyFunc``, ``Bytes``, ``UInt`` ...) and the older ``rps.SrpV0`` / ``rps.Cmd``.
"""

from __future__ import annotations

import importlib

import pytest

ROGUE_NAMES: dict[str, dict[str, list[str]]] = {
    "rogue": {
        "GeneralError": [],
        "Logging": ["Critical", "Error", "Thread", "Warning", "Info", "Debug", "setLevel", "setFilter",
                    "setForwardPython", "forwardPython", "setEmitStdout", "emitStdout", "normalizeName", "name"],
        "Version": ["current", "greaterThanEqual", "greaterThan", "lessThanEqual", "lessThan", "minVersion",
                    "maxVersion", "exactVersion", "major", "minor", "maint", "devel", "pythonVersion",
                    "sleep", "usleep"],
    },
    "rogue.interfaces.stream": {
        "Frame": ["lock", "getSize", "getAvailable", "getPayload", "setPayload", "minPayload", "adjustPayload",
                  "read", "write", "setError", "getError", "setFlags", "getFlags", "setFirstUser",
                  "getFirstUser", "setLastUser", "getLastUser", "setChannel", "getChannel", "getNumpy",
                  "putNumpy", "getBa", "getMemoryview", "_debug", "__len__"],
        "FrameLock": ["lock", "unlock", "__enter__", "__exit__"],
        "Pool": ["getAllocCount", "getAllocBytes", "setFixedSize", "getFixedSize", "setPoolSize", "getPoolSize"],
        "Master": ["_addSlave", "_slaveCount", "_reqFrame", "_sendFrame", "_stop", "__rshift__", "__eq__"],
        "Slave": ["setDebug", "_acceptFrame", "getFrameCount", "getByteCount", "_stop", "__lshift__",
                  "getAllocCount", "getAllocBytes", "setFixedSize", "getFixedSize", "setPoolSize", "getPoolSize"],
        "Fifo": ["size", "dropCnt", "clearCnt", "_stop"],
        "Filter": [],
        "RateDrop": [],
        "TcpCore": ["close", "_stop"],
        "TcpServer": ["close", "_stop"],
        "TcpClient": ["close", "_stop"],
    },
    "rogue.interfaces.memory": {
        "Read": [], "Write": [], "Post": [], "Verify": [],
        "Master": ["_setSlave", "_getSlave", "_reqSlaveId", "_reqSlaveName", "_reqMinAccess", "_reqMaxAccess",
                   "_reqAddress", "_getError", "_clearError", "_setTimeout", "_reqTransaction",
                   "_waitTransaction", "_copyBits", "_setBits", "_anyBits", "__rshift__", "_stop"],
        "Slave": ["_addTransaction", "_getTransaction", "_doMinAccess", "_doMaxAccess", "_doAddress",
                  "_doTransaction", "_doSlaveId", "_doSlaveName", "setName", "_stop", "__lshift__"],
        "Hub": ["_blkMinAccess", "_blkMaxAccess", "_getAddress", "_getOffset", "_doTransaction",
                "_copyBits", "_setBits", "_anyBits"],
        "Transaction": ["lock", "id", "address", "size", "type", "expired", "done", "error", "getData", "setData"],
        "TransactionLock": ["lock", "unlock", "__enter__", "__exit__"],
        "Emulate": [],
        "TcpClient": ["close", "_stop", "_start", "_doTransaction"],
        "TcpServer": ["close", "_stop", "_start", "_copyBits", "_setBits", "_anyBits"],
    },
    "rogue.protocols.srp": {
        "SrpV3": ["_setHardwareTimeout", "_doTransaction", "_acceptFrame", "_stop"],
        "SrpV3Emulation": ["_acceptFrame", "_stop"],
    },
}

CASES = [(mod, name, attrs) for mod, names in ROGUE_NAMES.items() for name, attrs in names.items()]


@pytest.mark.parametrize(("module", "name", "attrs"), CASES, ids=[f"{m}.{n}" for m, n, _ in CASES])
def test_rogue_name_exists(module: str, name: str, attrs: list[str]) -> None:
    obj = getattr(importlib.import_module(module), name)
    missing = [a for a in attrs if not hasattr(obj, a)]
    assert missing == [], f"{module}.{name} lacks {missing}"


def test_static_helpers_are_static() -> None:
    import rogue
    import rogue.interfaces.memory as rim

    for helper in ("_copyBits", "_setBits", "_anyBits"):
        assert isinstance(rim.Master.__dict__[helper], staticmethod)
    assert rogue.Version.current() == "v6.15.0"
    assert rogue.Logging.Debug == 10 and rim.Post == 3


def test_rogue_bridge_version_is_separate() -> None:
    import importlib.metadata

    import rogue

    assert rogue.__version__ == importlib.metadata.version("rogue-bridge")
    assert rogue.__version__ != rogue.Version.pythonVersion()
