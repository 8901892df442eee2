"""rogue-bridge: Rogue's stream and memory interfaces and TCP bridges in pure Python.

``import rogue`` gives :class:`GeneralError`, :class:`Logging` and
:class:`Version` (the Rogue release implemented, 6.15.0); the stream graph is
``rogue.interfaces.stream``, the memory bus ``rogue.interfaces.memory``, the
SRPv3 protocol ``rogue.protocols.srp`` and the utilities ``rogue.utilities``
(``Prbs``, ``fileio``), as in SLAC Rogue. As with Rogue's extension module,
they are all attributes after ``import rogue`` alone (imported on first use).
rogue-bridge's own package version is :data:`__version__`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _exports
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

__all__ = ["GeneralError", "Logging", "Version", "__version__", "interfaces", "protocols", "utilities"]

if TYPE_CHECKING:
    from . import interfaces, protocols, utilities

_exports.lazy(__name__, globals(), subpackages=("interfaces", "protocols", "utilities"))
_exports.publish(__name__, globals(), subpackages=("interfaces", "protocols", "utilities"))
