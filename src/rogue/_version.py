"""``rogue.Version``: the Rogue release whose API and wire rogue-bridge implements.

Rogue scripts and pyrogue guard themselves with ``rogue.Version.minVersion('6.0.0')``
and friends; those compare against :data:`ROGUE_VERSION` (6.15.0), so guards
written for C++ Rogue pass or fail as they would there. rogue-bridge's own
package version is separate: ``rogue.__version__`` (also
``importlib.metadata.version('rogue-bridge')`` and ``rogue-bridge --version``).
"""

from __future__ import annotations

import re
import time

from ._errors import GeneralError

__all__ = ["ROGUE_VERSION", "Version", "parse_version"]

#: The Rogue release implemented, as Rogue's ``Version.current()`` reports a release (``git describe``).
ROGUE_VERSION = "v6.15.0"

# One "%i" conversion of C's sscanf: optional blanks and sign, then hex (0x..), octal (0..) or decimal.
_INT = r"\s*[+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)"
_TRIPLE = re.compile(rf"({_INT})\.({_INT})\.({_INT})")
_CURRENT = re.compile(r"[vV](\d+)\.(\d+)\.(\d+)(?:-(\d+)-.*)?$")


def _c_int(text: str) -> int:
    """The value of one ``%i`` field, wrapped to uint32 as Rogue stores it."""
    text = text.strip()
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits[:2] in ("0x", "0X"):
        value = int(digits[2:], 16)
    elif len(digits) > 1 and digits.startswith("0"):
        value = int(digits[1:], 8)
    else:
        value = int(digits)
    return (sign * value) & 0xFFFFFFFF


def parse_version(compare: str) -> tuple[int, int, int]:
    """``(major, minor, maint)`` of ``'X.Y.Z'`` read as Rogue reads it (``sscanf("%i.%i.%i")``; text after it ignored)."""
    match = _TRIPLE.match(str(compare))
    if match is None:
        raise GeneralError("Version:extract", "Invalid version string")
    return _c_int(match.group(1)), _c_int(match.group(2)), _c_int(match.group(3))


def _current() -> tuple[int, int, int, int]:
    match = _CURRENT.match(ROGUE_VERSION)
    if match is None:  # pragma: no cover - ROGUE_VERSION is a constant of this file
        raise GeneralError("Version:init", "Invalid compiled version string")
    return int(match.group(1)), int(match.group(2)), int(match.group(3)), int(match.group(4) or 0)


class Version:
    """Version of the Rogue API implemented (static methods only, as in Rogue)."""

    def __init__(self) -> None:
        raise TypeError("rogue.Version has only static methods")

    @staticmethod
    def current() -> str:
        """The Rogue version string, ``'v6.15.0'``."""
        return ROGUE_VERSION

    @staticmethod
    def _cmp(compare: str) -> int:
        mine = _current()[:3]
        other = parse_version(compare)
        return (mine > other) - (mine < other)

    @staticmethod
    def greaterThanEqual(compare: str) -> bool:
        """True when the implemented version is >= ``compare`` (``'X.Y.Z'``)."""
        return Version._cmp(compare) >= 0

    @staticmethod
    def greaterThan(compare: str) -> bool:
        """True when the implemented version is > ``compare``."""
        return Version._cmp(compare) > 0

    @staticmethod
    def lessThanEqual(compare: str) -> bool:
        """True when the implemented version is <= ``compare``."""
        return Version._cmp(compare) <= 0

    @staticmethod
    def lessThan(compare: str) -> bool:
        """True when the implemented version is < ``compare``."""
        return Version._cmp(compare) < 0

    @staticmethod
    def minVersion(compare: str) -> None:
        """Raise GeneralError unless the implemented version is at least ``compare``."""
        if Version.lessThan(compare):
            raise GeneralError("Version:minVersion", f"Installed rogue is less than minimum version {compare} "
                                                     f"(rogue-bridge implements Rogue {Version.pythonVersion()})")

    @staticmethod
    def maxVersion(compare: str) -> None:
        """Raise GeneralError if the implemented version is above ``compare``."""
        if Version.greaterThan(compare):
            raise GeneralError("Version:maxVersion", f"Installed rogue is greater than maximum version {compare} "
                                                     f"(rogue-bridge implements Rogue {Version.pythonVersion()})")

    @staticmethod
    def exactVersion(compare: str) -> None:
        """Raise GeneralError unless the implemented version is exactly ``compare``."""
        if Version._cmp(compare) != 0:
            raise GeneralError("Version:exactVersion", f"Installed rogue is not exact version {compare} "
                                                       f"(rogue-bridge implements Rogue {Version.pythonVersion()})")

    @staticmethod
    def major() -> int:
        """Major number (6)."""
        return _current()[0]

    @staticmethod
    def minor() -> int:
        """Minor number (15)."""
        return _current()[1]

    @staticmethod
    def maint() -> int:
        """Maintenance number (0)."""
        return _current()[2]

    @staticmethod
    def devel() -> int:
        """Commits after the release tag (0 for a release)."""
        return _current()[3]

    @staticmethod
    def pythonVersion() -> str:
        """The version as Python packaging writes it: ``'6.15.0'`` (``'.devN'`` appended after a release)."""
        major, minor, maint, devel = _current()
        text = f"{major}.{minor}.{maint}"
        return f"{text}.dev{devel}" if devel > 0 else text

    @staticmethod
    def sleep(seconds: int) -> None:
        """Sleep ``seconds`` (Rogue's helper, which releases the GIL; so does this one)."""
        time.sleep(int(seconds))

    @staticmethod
    def usleep(useconds: int) -> None:
        """Sleep ``useconds`` microseconds."""
        time.sleep(int(useconds) / 1e6)
