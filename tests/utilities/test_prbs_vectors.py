"""``rogue.utilities.Prbs`` against the frames and counters captured from C++ Rogue 6.15 (prbs.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import rogue
import rogue.interfaces.stream as ris
from rogue.utilities import Prbs

from conftest import VECTORS as SHARED_VECTORS
from conftest import shared_or_skip

_HERE = Path(__file__).parent
VECTORS = json.loads((_HERE / "vectors" / "prbs.json").read_text())


class Sink(ris.Slave):
    """Keeps the bytes of every frame received."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.frames.append(frame.getBytes())


class Source(ris.Master):
    """Sends frames made of given bytes and error field."""

    def send(self, data: bytes, error: int = 0) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        frame.setError(error)
        self._sendFrame(frame)


def test_vector_copy_matches_shared_spec() -> None:
    assert json.loads(shared_or_skip(SHARED_VECTORS / "prbs.json").read_text()) == VECTORS


@pytest.mark.parametrize("vec", VECTORS["generated"], ids=lambda v: v["name"])
def test_generated_frames_byte_for_byte(vec: dict[str, Any]) -> None:
    prbs, sink = Prbs(), Sink()
    prbs >> sink
    prbs.setWidth(vec["width"])
    prbs.setTaps(bytes(vec["taps"]))
    prbs.sendCount(vec["sendCount"])
    prbs.genPayload(vec["genPayload"])
    for _ in range(vec["framesBefore"]):
        prbs.genFrame(32)  # the capture's earlier frames: 32 bytes each (txBytes says so)
    for size in vec["sizes"]:
        prbs.genFrame(size)
    assert [f.hex() for f in sink.frames[vec["framesBefore"]:]] == vec["frames"]
    assert prbs.getTxCount() == vec["txCount"]
    assert prbs.getTxBytes() == vec["txBytes"]
    assert prbs.getTxErrors() == 0


@pytest.mark.parametrize("vec", VECTORS["checked"], ids=lambda v: v["name"])
def test_checker_counters_after_each_frame(vec: dict[str, Any]) -> None:
    prbs, src = Prbs(), Source()
    src >> prbs
    prbs.setWidth(vec["width"])
    prbs.setTaps(bytes(vec["taps"]))
    prbs.checkPayload(vec["checkPayload"])
    for frame, counters in zip(vec["frames"], vec["countersAfterEach"], strict=True):
        src.send(bytes.fromhex(frame["payload"]), frame.get("error", 0))
        got = {"rxCount": prbs.getRxCount(), "rxErrors": prbs.getRxErrors(), "rxBytes": prbs.getRxBytes()}
        assert got == counters


@pytest.mark.parametrize("vec", VECTORS["invalid"], ids=lambda v: str(v))
def test_invalid_sizes_and_widths(vec: dict[str, Any]) -> None:
    prbs = Prbs()
    if "setWidth" in vec:
        if vec["setWidth"] == 0:
            # Rogue accepts 0 (and divides by zero later): refused here, with Rogue's text for a bad width.
            expected = "Prbs::setWidth: General Error: Invalid width."
        else:
            expected = vec["error"]
        with pytest.raises(rogue.GeneralError) as err:
            prbs.setWidth(vec["setWidth"])
        assert str(err.value) == expected
        return
    prbs.setWidth(vec["width"])
    if vec["error"] is None:
        prbs.genFrame(vec["size"])
        assert prbs.getTxCount() == 1
        return
    with pytest.raises(rogue.GeneralError) as err:
        prbs.genFrame(vec["size"])
    assert str(err.value) == vec["error"]
    with pytest.raises(rogue.GeneralError) as err:
        prbs.enable(vec["size"])
    assert str(err.value) == vec["error"].replace("genFrame", "enable")
    assert prbs.getTxCount() == 0
