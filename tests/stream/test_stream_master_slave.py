"""Master/Slave: connection order, operators, pool, counters, setDebug, user subclasses."""

from __future__ import annotations

import logging
import threading

import numpy as np
import pytest

import rogue
import rogue.interfaces.stream as ris


class Recorder(ris.Slave):
    """Records (name, frame) into a shared list; answers _acceptReq with a tagged frame."""

    def __init__(self, name: str, log: list) -> None:
        super().__init__()
        self.name = name
        self.log = log

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.log.append(self.name)

    def _acceptReq(self, size: int, zeroCopyEn: bool) -> ris.Frame:
        self.log.append(("req", self.name, size, zeroCopyEn))
        return super()._acceptReq(size, zeroCopyEn)


def test_reqframe_answered_by_primary_slave() -> None:
    log: list = []
    m = ris.Master()
    a, b, c = Recorder("a", log), Recorder("b", log), Recorder("c", log)
    m >> a
    m >> b
    m >> c
    frame = m._reqFrame(50, False)
    assert log == [("req", "a", 50, False)]
    assert frame.getSize() >= 50 and frame.getPayload() == 0
    assert (a.getAllocCount(), a.getAllocBytes()) == (1, 50)
    assert b.getAllocCount() == 0 and c.getAllocCount() == 0


def test_sendframe_reverse_attachment_order() -> None:
    log: list = []
    m = ris.Master()
    for name in "abcd":
        m._addSlave(Recorder(name, log))
    assert m._slaveCount() == 4
    m._sendFrame(m._reqFrame(1, True))
    assert log[1:] == ["d", "c", "b", "a"]  # primary (first attached) last


def test_master_without_slave_gives_usable_frame() -> None:
    m = ris.Master()
    assert m._slaveCount() == 0
    f = m._reqFrame(20, True)
    assert f.getSize() >= 20 and f.getPayload() == 0
    f.write(b"hello")
    assert f.getBa() == bytearray(b"hello")
    m._sendFrame(f)  # no slave: nothing happens, no error


def test_pool_fixed_size_allocates_whole_buffers() -> None:
    s = ris.Slave()
    s.setFixedSize(64)
    s.setPoolSize(8)
    assert (s.getFixedSize(), s.getPoolSize()) == (64, 8)
    m = ris.Master()
    m >> s
    small, big = m._reqFrame(1, True), m._reqFrame(65, True)
    # As in Rogue: one 64-byte buffer holding 1 usable byte; two 64-byte buffers for 65.
    assert (small.getSize(), big.getSize()) == (1, 128)
    assert (s.getAllocCount(), s.getAllocBytes()) == (3, 192)


def test_base_slave_counts_frames_and_bytes() -> None:
    m, s = ris.Master(), ris.Slave()
    m >> s
    for n in (3, 0, 10):
        f = m._reqFrame(n, True)
        f.setPayload(n)
        m._sendFrame(f)
    assert (s.getFrameCount(), s.getByteCount()) == (3, 13)


def test_operator_return_values_and_chain() -> None:
    src, dst = ris.Master(), ris.Slave()
    fifo = ris.Fifo(0, 0, True)
    filt = ris.Filter(False, 0)
    try:
        assert (src >> fifo) is fifo
        assert (dst << filt) is filt
        assert (fifo >> filt >> dst) is dst  # a chain returns its last element
        assert src._slaveCount() == 1 and fifo._slaveCount() == 1 and filt._slaveCount() == 2
    finally:
        fifo.stop()


def test_chain_delivers() -> None:
    got = threading.Event()
    seen: list[bytes] = []

    class Sink(ris.Slave):
        def _acceptFrame(self, frame: ris.Frame) -> None:
            seen.append(bytes(frame.getBa()))
            got.set()

    src = ris.Master()
    fifo = ris.Fifo(0, 0, False)
    try:
        src >> fifo >> ris.RateDrop(False, 0) >> ris.Filter(True, 2) >> Sink()
        f = src._reqFrame(3, True)
        f.write(b"abc")
        f.setChannel(2)
        src._sendFrame(f)
        assert got.wait(5)
        assert seen == [b"abc"]
    finally:
        fifo.stop()


def test_equals_connects_both_ways() -> None:
    a, b = ris.Filter(False, 0), ris.RateDrop(False, 0)
    result = a == b
    assert result is b  # rogue-bridge returns the right operand (Rogue returns None); only the side effect matters
    assert a._Master__slaves == (b,) and b._Master__slaves == (a,)


def test_equals_needs_master_and_slave_on_both_sides() -> None:
    bidir = ris.Filter(False, 0)
    with pytest.raises(rogue.GeneralError):
        bidir == ris.Slave()  # noqa: B015
    with pytest.raises(rogue.GeneralError):
        ris.Master() == bidir  # noqa: B015
    with pytest.raises(rogue.GeneralError):
        ris.Slave() == bidir  # noqa: B015
    assert bidir._slaveCount() == 0
    assert (ris.Master() == 3) is False  # unrelated objects still compare normally


def test_not_equal_does_not_connect() -> None:
    a, b = ris.Filter(False, 0), ris.Filter(False, 0)
    assert a != b
    assert not (a != a)
    assert ris.Master() != ris.Slave()
    assert a._slaveCount() == 0 and b._slaveCount() == 0


def test_bad_connections_raise() -> None:
    with pytest.raises(rogue.GeneralError):
        ris.Master() >> object()
    with pytest.raises(rogue.GeneralError):
        ris.Slave() << object()


def test_setdebug_logs_frames_at_critical(caplog: pytest.LogCaptureFixture) -> None:
    m, s = ris.Master(), ris.Slave()
    m >> s
    s.setDebug(3, "test.debugSlave")
    f = m._reqFrame(5, True)
    f.write(b"\x01\x02\xab\x04\x05")
    f.setError(2)
    with caplog.at_level(logging.DEBUG, logger="pyrogue"):
        m._sendFrame(f)
    recs = [r for r in caplog.records if r.name == "pyrogue.test.debugSlave"]
    assert len(recs) == 1
    assert recs[0].levelno == rogue.Logging.Critical
    assert recs[0].getMessage() == "Got Size: 5, Error: 2, Data: 0x01 0x02 0xab"
    assert s.getFrameCount() == 1


# --- A user's subclasses, written the way the seed documents and Rogue's docs write them ---


class MyCustomMaster(ris.Master):
    # Init method must call the parent class init
    def __init__(self):
        super().__init__()

    # Method for generating a frame
    def myFrameGen(self, data, channel=0):
        # First request an empty frame from the primary slave
        frame = self._reqFrame(len(data), True)

        # Copy the data into the frame and set its channel
        ba = bytearray(data)
        frame.write(ba, 0)
        frame.setChannel(channel)

        # Send the frame to the currently attached slaves
        self._sendFrame(frame)


class MyCustomSlave(ris.Slave):
    # Init method must call the parent class init
    def __init__(self):
        super().__init__()
        self.frames = []
        self.got = threading.Event()

    # Method which is called when a frame is received
    def _acceptFrame(self, frame):
        # First it is good practice to hold a lock on the frame data
        with frame.lock():
            size = frame.getPayload()

            # Read the data out as a bytearray and as a numpy array
            ba = bytearray(size)
            frame.read(ba, 0)
            full = frame.getNumpy(0, size)

            self.frames.append((frame.getChannel(), bytes(ba), full))
        self.got.set()


def test_user_subclasses_direct() -> None:
    src = MyCustomMaster()
    dst = MyCustomSlave()
    src >> dst
    src.myFrameGen(b"\x00\x01\x02\x03", channel=5)
    assert len(dst.frames) == 1
    channel, data, arr = dst.frames[0]
    assert (channel, data) == (5, b"\x00\x01\x02\x03")
    assert arr.dtype == np.uint8 and arr.tolist() == [0, 1, 2, 3]


def test_user_subclasses_through_a_bidirectional_element() -> None:
    # The seed's shape: src >> tcp >> dst, with a Fifo in the bridge's place.
    src = MyCustomMaster()
    dst = MyCustomSlave()
    fifo = ris.Fifo(10, 0, False)
    try:
        src >> fifo >> dst
        src.myFrameGen(bytes(range(100)), channel=1)
        assert dst.got.wait(5)
        assert dst.frames[0][:2] == (1, bytes(range(100)))
    finally:
        fifo.stop()
