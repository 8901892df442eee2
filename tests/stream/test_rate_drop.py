"""RateDrop: time-period mode with an injected clock, and count mode."""

from __future__ import annotations

import pytest

import rogue
import rogue.interfaces.stream as ris
from rogue.interfaces.stream import rate_drop


class Clock:
    """A settable stand-in for time.monotonic."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Counter(ris.Slave):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[int] = []

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.seen.append(frame.getBa()[0])


def feed(rd: ris.RateDrop, n: int) -> list[int]:
    src, sink = ris.Master(), Counter()
    src >> rd >> sink
    for i in range(n):
        f = src._reqFrame(1, True)
        f.write(bytes([i]))
        src._sendFrame(f)
    return sink.seen


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(1000.0)
    monkeypatch.setattr(rate_drop, "_clock", c)
    return c


def test_period_mode(clock: Clock) -> None:
    rd = ris.RateDrop(True, 0.5)  # first window starts now (t=1000)
    src, sink = ris.Master(), Counter()
    src >> rd >> sink

    def send_at(t: float, tag: int) -> None:
        clock.now = t
        f = src._reqFrame(1, True)
        f.write(bytes([tag]))
        src._sendFrame(f)

    send_at(1000.1, 1)  # inside the first window: dropped
    send_at(1000.5, 2)  # exactly one period: not "more than", dropped
    send_at(1000.51, 3)  # passes; next window ends at 1001.01
    send_at(1000.9, 4)
    send_at(1001.01, 5)
    send_at(1001.02, 6)  # passes
    send_at(1005.0, 7)  # a long gap: passes once
    send_at(1005.0, 8)
    assert sink.seen == [3, 6, 7]


@pytest.mark.parametrize(
    ("value", "passed"),
    [
        (0, list(range(7))),  # drop nothing
        (1, [0, 2, 4, 6]),
        (2, [0, 3, 6]),
        (2.9, [0, 3, 6]),  # the count is an integer
        (10, [0]),
    ],
)
def test_count_mode(value: float, passed: list[int]) -> None:
    assert feed(ris.RateDrop(False, value), 7) == passed


def test_period_true_with_zero_is_count_mode(clock: Clock) -> None:
    assert feed(ris.RateDrop(True, 0), 5) == [0, 1, 2, 3, 4]


def test_negative_value_rejected() -> None:
    with pytest.raises(rogue.GeneralError, match="-1"):
        ris.RateDrop(False, -1)
