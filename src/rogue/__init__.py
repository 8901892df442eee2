"""rogue-bridge: Rogue's stream and memory interfaces and TCP bridges in pure Python.

``import rogue`` gives :class:`GeneralError`, :class:`Logging` and
:class:`Version` (the Rogue release implemented, 6.15.0); the stream graph is
``rogue.interfaces.stream``, the memory bus ``rogue.interfaces.memory`` and the
SRPv3 protocol ``rogue.protocols.srp``, as in SLAC Rogue. rogue-bridge's own
package version is :data:`__version__`.
"""

from __future__ import annotations

from ._errors import GeneralError
from ._logging import Logging
from ._version import Version


def _package_version() -> str:
    try:
        from importlib.metadata import PackageNotFoundError, version
    except ImportError:  # pragma: no cover - Python < 3.8
        return "0.1.0"
    try:
        return version("rogue-bridge")
    except PackageNotFoundError:  # run from a source tree without installing
        return "0.1.0"


#: rogue-bridge's own version (the package), not the Rogue version it implements (``Version.current()``).
__version__ = _package_version()

__all__ = ["GeneralError", "Logging", "Version", "__version__"]
