"""Fifo: forwarding, copies and trimming, drop counting, stop under load, exit."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
import threading

import pytest

import rogue
import rogue.interfaces.stream as ris

from conftest import HANG_S, wait_until

WORKER = "rogue-bridge:Fifo:worker"


class Sink(ris.Slave):
    """Collects frames; can be held inside _acceptFrame until ``release`` is set."""

    def __init__(self, expect: int = 0, hold: bool = False) -> None:
        super().__init__()
        self.frames: list[ris.Frame] = []
        self.expect = expect
        self.done = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.entered.set()
        self.release.wait(10)
        self.frames.append(frame)
        if len(self.frames) >= self.expect:
            self.done.set()


def make_frame(src: ris.Master, payload: bytes, channel: int = 0, error: int = 0, flags: int = 0) -> ris.Frame:
    f = src._reqFrame(len(payload), True)
    f.write(payload)
    f.setChannel(channel)
    f.setError(error)
    f.setFlags(flags)
    return f


@pytest.fixture
def fifo_chain(no_thread_leak: None):
    """(src, fifo, sink) built from the test's parameters; the Fifo is stopped at the end."""
    made: list[tuple[ris.Fifo, Sink]] = []

    def build(maxDepth: int, trimSize: int, noCopy: bool, sink: Sink) -> tuple[ris.Master, ris.Fifo, Sink]:
        src = ris.Master()
        fifo = ris.Fifo(maxDepth, trimSize, noCopy)
        made.append((fifo, sink))
        src >> fifo >> sink
        return src, fifo, sink

    yield build
    for fifo, sink in made:
        sink.release.set()  # a failed test may have left the worker held in the sink
        fifo.stop()


def test_forwards_copies_in_order_with_metadata(fifo_chain) -> None:
    src, fifo, sink = fifo_chain(0, 0, False, Sink(expect=3))
    sent = [make_frame(src, bytes([i]) * (i + 1), channel=i, error=i + 1, flags=0x100 * i + 7) for i in range(3)]
    for f in sent:
        src._sendFrame(f)
    assert sink.done.wait(5)
    for i, (orig, got) in enumerate(zip(sent, sink.frames)):
        assert got is not orig
        assert bytes(got.getBa()) == bytes([i]) * (i + 1)
        assert (got.getChannel(), got.getError(), got.getFlags()) == (i, i + 1, 0x100 * i + 7)
    sent[0].write(b"\xee")  # the copy is independent of the original
    assert sink.frames[0].getBa() == bytearray(b"\x00")


def test_no_copy_forwards_the_same_frame(fifo_chain) -> None:
    src, fifo, sink = fifo_chain(0, 0, True, Sink(expect=1))
    f = make_frame(src, b"abcdef")
    src._sendFrame(f)
    assert sink.done.wait(5)
    assert sink.frames[0] is f


@pytest.mark.parametrize(("trim", "expected"), [(4, b"abcd"), (6, b"abcdef"), (100, b"abcdef"), (0, b"abcdef")])
def test_trim_size(fifo_chain, trim: int, expected: bytes) -> None:
    src, fifo, sink = fifo_chain(0, trim, False, Sink(expect=1))
    src._sendFrame(make_frame(src, b"abcdef", channel=3))
    assert sink.done.wait(5)
    got = sink.frames[0]
    assert bytes(got.getBa()) == expected and got.getPayload() == len(expected)
    assert got.getChannel() == 3


def test_trim_ignored_with_no_copy(fifo_chain) -> None:
    src, fifo, sink = fifo_chain(0, 2, True, Sink(expect=1))
    src._sendFrame(make_frame(src, b"abcdef"))
    assert sink.done.wait(5)
    assert sink.frames[0].getPayload() == 6


def test_drops_and_counts_under_slow_consumer(fifo_chain) -> None:
    sink = Sink(expect=4, hold=True)
    src, fifo, _ = fifo_chain(3, 0, False, sink)
    src._sendFrame(make_frame(src, b"\x00"))
    assert sink.entered.wait(5)  # the worker holds frame 0 inside the blocked consumer
    for i in range(1, 10):  # upstream is never blocked: these calls return at once
        src._sendFrame(make_frame(src, bytes([i])))
    assert fifo.size() == 3
    assert fifo.dropCnt() == 6
    sink.release.set()
    assert sink.done.wait(5)
    assert [f.getBa()[0] for f in sink.frames] == [0, 1, 2, 3]
    assert fifo.dropCnt() == 6
    fifo.clearCnt()
    assert fifo.dropCnt() == 0


def test_unbounded_depth_never_drops(fifo_chain) -> None:
    sink = Sink(expect=201, hold=True)
    src, fifo, _ = fifo_chain(0, 0, True, sink)
    for _ in range(201):
        src._sendFrame(make_frame(src, b"x"))
    assert sink.entered.wait(5)
    assert fifo.size() == 200 and fifo.dropCnt() == 0
    sink.release.set()
    assert sink.done.wait(5)
    assert fifo.size() == 0


def test_worker_thread_named_and_stop_idempotent(no_thread_leak: None) -> None:
    fifo = ris.Fifo(0, 0, False)
    assert any(t.name == WORKER and t.is_alive() for t in threading.enumerate())
    fifo.stop()
    fifo.stop()
    fifo._stop()
    assert not fifo._thread.is_alive()
    src = ris.Master()
    src >> fifo
    src._sendFrame(make_frame(src, b"late"))  # after stop: dropped and counted, not queued
    assert fifo.size() == 0 and fifo.dropCnt() == 1


@pytest.mark.timeout(20)
def test_stop_under_load_is_prompt(no_thread_leak: None) -> None:
    """stop() with a backlog and a running producer discards the backlog; it does not drain it."""
    delivered = 0
    held, release = threading.Event(), threading.Event()

    class HeldSink(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            nonlocal delivered
            delivered += 1
            if delivered == 1:  # hold the worker in the first frame: everything after it queues up
                held.set()
                release.wait(3 * HANG_S)

    src = ris.Master()
    fifo = ris.Fifo(0, 0, False)
    src >> fifo >> HeldSink()
    halt = threading.Event()

    def produce() -> None:
        frame = make_frame(src, bytes(64))
        while not halt.is_set():
            src._sendFrame(frame)

    producer = threading.Thread(target=produce, name="test:fifo-producer")
    producer.start()
    stopper = threading.Thread(target=fifo.stop, name="test:fifo-stop")  # with the producer still running
    try:
        assert held.wait(HANG_S)
        wait_until(lambda: fifo.size() >= 1000, what="a real backlog to walk away from")
        stopper.start()
        wait_until(lambda: not fifo._running, what="stop() under way")
        release.set()  # the worker finishes its frame, then must end rather than take the next one
        stopper.join(HANG_S)
        assert not stopper.is_alive(), "stop() hung"
    finally:
        release.set()
        halt.set()
        producer.join(HANG_S)
        fifo.stop()  # idempotent; stops it where the test failed before its own stop()
    fifo._thread.join(HANG_S)
    assert not fifo._thread.is_alive()
    assert fifo.size() == 0  # the backlog was discarded, not drained
    assert delivered == 1  # not one frame of the backlog was delivered after the stop


def test_raising_slave_does_not_end_the_worker(fifo_chain, caplog: pytest.LogCaptureFixture) -> None:
    class Bad(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            if frame.getBa() == bytearray(b"bad"):
                raise ValueError("boom")

    sink = Sink(expect=1)
    src, fifo, _ = fifo_chain(0, 0, False, sink)
    fifo >> Bad()  # attached last, so it sees each frame first
    with caplog.at_level(logging.ERROR, logger="pyrogue"):
        src._sendFrame(make_frame(src, b"bad"))
        src._sendFrame(make_frame(src, b"good"))
        assert sink.done.wait(5)
    assert [bytes(f.getBa()) for f in sink.frames] == [b"good"]
    errors = [r for r in caplog.records if r.name == "pyrogue.stream.Fifo" and r.exc_info]
    assert len(errors) == 1 and isinstance(errors[0].exc_info[1], ValueError)


def test_slave_may_stop_the_fifo_from_the_worker(no_thread_leak: None) -> None:
    stopped = threading.Event()
    fifo = ris.Fifo(0, 0, True)

    class Stopper(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            fifo.stop()
            stopped.set()

    src = ris.Master()
    src >> fifo >> Stopper()
    src._sendFrame(make_frame(src, b"x"))
    assert stopped.wait(5)
    fifo._thread.join(5)
    assert not fifo._thread.is_alive()


def test_bad_arguments(no_thread_leak: None) -> None:
    with pytest.raises(rogue.GeneralError, match="maxDepth -1"):
        ris.Fifo(-1, 0, False)
    with pytest.raises(rogue.GeneralError, match="trimSize -5"):
        ris.Fifo(0, -5, False)


@pytest.mark.timeout(30)
def test_unstopped_fifo_does_not_hang_exit() -> None:
    code = textwrap.dedent(
        """
        import threading
        import rogue.interfaces.stream as ris

        class Stuck(ris.Slave):
            def _acceptFrame(self, frame):
                threading.Event().wait()  # never returns

        src = ris.Master()
        fifo = ris.Fifo(0, 0, False)
        idle = ris.Fifo(5, 0, True)
        src >> fifo >> Stuck()
        for _ in range(100):
            src._sendFrame(src._reqFrame(10, True))
        print("done", flush=True)
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=25)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "done"
