"""The demo's checkers catch faults (in process, no sockets): a demo that passes means something."""

from __future__ import annotations

import threading

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
from rogue.cli._graph import CheckingSlave, Echo, FrameStats, Generator
from rogue.cli.demo import REGION, MemoryTester, size_of


class FlipOneBit(rim.Emulate):
    """Sparse memory whose reads come back with one bit flipped at one address."""

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        super()._doTransaction(transaction)  # completes it (Emulate answers at once)
        if transaction.type() == rim.Read and transaction.address() <= 0x10100 < transaction.address() + transaction.size():
            transaction._view[0x10100 - transaction.address()] ^= 0x01  # after completion, as a late corruption


def test_memory_tester_passes_on_good_memory() -> None:
    tester = MemoryTester(timeout=1.0, seed=1)
    tester >> rim.Emulate(4, 4096)
    for _ in range(20):
        tester.batch()
    assert tester.verify_region()
    assert (tester.errors, tester.mismatches, tester.transactions) == (0, 0, 20 * 16 + REGION // 4096)


def test_memory_tester_catches_corruption() -> None:
    tester = MemoryTester(timeout=1.0, seed=2)
    tester >> FlipOneBit(4, 4096)
    for _ in range(5):
        tester.batch()
    assert not tester.verify_region()
    assert any("final read-back differs, first at 0x10100" in p for p in tester.problems)


class Errors(rim.Slave):
    """Fails every transaction."""

    def __init__(self) -> None:
        super().__init__(4, 4096)

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        transaction.error("bus on fire")


def test_memory_tester_counts_transaction_errors() -> None:
    tester = MemoryTester(timeout=1.0, seed=3)
    tester >> Errors()
    tester.batch()
    assert tester.errors == 1 and "transaction failed: bus on fire" in tester.problems[0]
    assert not tester.verify_region()


class Corrupt(ris.Master, ris.Slave):
    """Forwards frames, damaging frame number ``bad``."""

    def __init__(self, bad: int) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.n = 0
        self.bad = bad

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if self.n == self.bad:
            frame.setChannel(frame.getChannel() ^ 1)
        self.n += 1
        self._sendFrame(frame)


@pytest.mark.parametrize("bad", [None, 9])
def test_stream_generator_and_checker(bad: int | None) -> None:
    gen = Generator("test", size_of, count=40)
    chk = CheckingSlave(size_of)
    gen.credit = chk.credit = threading.Semaphore(4)
    if bad is None:
        gen >> chk
    else:
        gen >> Corrupt(bad) >> chk
    gen.start()
    assert gen.join(10.0) and gen.error is None
    c = chk.checker
    assert c.frames == 40 and c.bytes == sum(size_of(i) for i in range(40))
    if bad is None:
        assert c.ok
    else:
        assert c.bad == 1 and c.problems[0].startswith("frame 9: channel 8")


def test_echo_and_stats() -> None:
    stats = FrameStats(limit=3)
    echo = Echo()
    gen = Generator("echo", lambda seq: 10, count=5, channel=2)
    back = FrameStats()
    # gen -> echo -> (stats, back): echo sends every frame on to its own slaves
    gen >> echo
    echo >> stats
    echo >> back
    gen.start()
    assert gen.join(10.0)
    assert (echo.frames, echo.bytes) == (5, 50)
    assert stats.frames == 3 and stats.done.is_set()  # counting stops at the limit
    assert back.channel_text() == "2:5" and back.size_text() == "10/10/10" and back.errors == 0
