"""Filter: channel selection and error dropping."""

from __future__ import annotations

import logging

import pytest

import rogue
import rogue.interfaces.stream as ris


class Collect(ris.Slave):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int]] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.seen.append((frame.getChannel(), frame.getError()))


FRAMES = [(0, 0), (1, 0), (1, 3), (2, 0), (1, 0), (255, 1)]


def run(flt: ris.Filter) -> list[tuple[int, int]]:
    src, sink = ris.Master(), Collect()
    src >> flt >> sink
    for channel, error in FRAMES:
        f = src._reqFrame(1, True)
        f.setChannel(channel)
        f.setError(error)
        src._sendFrame(f)
    return sink.seen


def test_channel_only() -> None:
    assert run(ris.Filter(False, 1)) == [(1, 0), (1, 3), (1, 0)]


def test_channel_and_drop_errors() -> None:
    assert run(ris.Filter(True, 1)) == [(1, 0), (1, 0)]
    assert run(ris.Filter(True, 255)) == []
    assert run(ris.Filter(False, 255)) == [(255, 1)]


def test_dropped_error_frames_logged_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    rogue.Logging.setFilter("pyrogue.stream.Filter", rogue.Logging.Debug)
    with caplog.at_level(logging.DEBUG, logger="pyrogue"):
        run(ris.Filter(True, 1))
    msgs = [r.getMessage() for r in caplog.records if r.name == "pyrogue.stream.Filter"]
    assert msgs == ["Dropping errored frame: Channel=1, Error=0x3"]


@pytest.mark.parametrize("channel", [-1, 256])
def test_channel_range(channel: int) -> None:
    with pytest.raises(rogue.GeneralError, match=str(channel)):
        ris.Filter(False, channel)
