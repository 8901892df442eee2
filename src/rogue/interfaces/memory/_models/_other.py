"""The byte-string models: String, Bytes, and PyFunc (the model's own ``toBytes``/``fromBytes``).

Pure functions between a value and its raw int (little-endian bytes = the C
buffer Rogue copies, ``nbytes`` long). Unlike C++ Rogue, a buffer shorter than
the variable is refused with a GeneralError instead of being read past its end.
"""

from __future__ import annotations

from typing import Any

from ._base import Reject, rogue_error

__all__ = ["buffer_raw", "raw_bytes", "string_raw", "string_value"]


def string_raw(value: Any, nbytes: int) -> int:
    """Rogue's ``setString``: UTF-8 up to the first NUL, cut to ``nbytes - 1`` bytes, zero padded.

    ``Reject`` for anything but a ``str`` (``None`` included, which Rogue turns
    into undefined behaviour) and for text UTF-8 cannot encode (lone surrogates).
    """
    if not isinstance(value, str):
        raise Reject
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError:
        raise Reject from None
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    return int.from_bytes(data[:max(nbytes - 1, 0)], "little")


def string_value(raw: int, nbytes: int) -> str:
    """Rogue's ``getStringPy``: the bytes up to the first NUL as strict UTF-8, else "Failed to generate String"."""
    data = raw.to_bytes(nbytes, "little")
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise rogue_error("Block::getStringPy", "Failed to generate String") from None


def buffer_raw(obj: Any, nbytes: int, src: str, refused: str, name: str) -> int:
    """The first ``nbytes`` bytes of any contiguous buffer (Rogue's ``PyBUF_SIMPLE``) as a raw value.

    ``refused`` is Rogue's text (with ``%s`` for ``name``) when ``obj`` is no
    contiguous buffer; a shorter buffer raises a GeneralError saying so.
    """
    try:
        view = memoryview(obj)
    except TypeError:
        raise rogue_error(src, refused % name) from None
    with view:
        if not view.contiguous:
            raise rogue_error(src, refused % name)
        data = view.tobytes()
    if len(data) < nbytes:
        raise rogue_error(src, f"Buffer of {len(data)} bytes is shorter than the {nbytes} bytes of {name}")
    return int.from_bytes(data[:nbytes], "little")


def raw_bytes(raw: int, nbytes: int) -> bytes:
    """The ``nbytes`` bytes of a raw value (what Rogue's ``getByteArray`` gives)."""
    return raw.to_bytes(nbytes, "little")
