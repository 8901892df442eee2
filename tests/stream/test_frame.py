"""Frame: sizes, bounds errors, copies, numpy round trips, metadata bits, copy-on-write."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rogue
import rogue.interfaces.stream as ris


def new_frame(size: int) -> ris.Frame:
    """A frame the way users get one: from a master's _reqFrame."""
    return ris.Master()._reqFrame(size, True)


def test_fresh_frame_sizes() -> None:
    f = new_frame(100)
    assert f.getSize() >= 100
    assert f.getPayload() == 0
    assert f.getAvailable() == f.getSize()
    assert f.isEmpty()


def test_write_grows_payload_to_highest_byte() -> None:
    f = new_frame(16)
    f.write(b"\x01\x02", 4)
    assert f.getPayload() == 6
    assert f.getAvailable() == f.getSize() - 6
    f.write(b"\x03", 0)  # a lower write does not shrink it
    assert f.getPayload() == 6
    assert f.getBa() == bytearray(b"\x03\x00\x00\x00\x01\x02")


def test_write_past_capacity_names_sizes() -> None:
    f = ris.Frame(8)
    with pytest.raises(rogue.GeneralError) as ei:
        f.write(bytes(4), 6)
    msg = str(ei.value)
    assert "4" in msg and "6" in msg and "8" in msg
    assert f.getPayload() == 0  # nothing half-written
    with pytest.raises(rogue.GeneralError):
        f.write(b"x", -1)


def test_read_past_payload_names_sizes() -> None:
    f = new_frame(32)
    f.write(bytes(range(10)))
    buf = bytearray(4)
    f.read(buf, 6)
    assert buf == bytearray(range(6, 10))
    with pytest.raises(rogue.GeneralError) as ei:
        f.read(bytearray(4), 7)
    msg = str(ei.value)
    assert "4" in msg and "7" in msg and "10" in msg


def test_read_into_numpy_and_bad_destinations() -> None:
    f = new_frame(8)
    f.write(bytes(range(8)))
    out = np.zeros(4, dtype="<u2")
    f.read(out)
    assert out.tolist() == [0x0100, 0x0302, 0x0504, 0x0706]
    with pytest.raises(rogue.GeneralError, match="writable"):
        f.read(b"\x00\x00")
    with pytest.raises(rogue.GeneralError, match="contiguous"):
        f.read(np.zeros(8, dtype=np.uint8)[::2])


def test_set_payload_bounds() -> None:
    f = ris.Frame(10)
    f.setPayload(10)
    assert f.getPayload() == 10
    with pytest.raises(rogue.GeneralError) as ei:
        f.setPayload(11)
    assert "11" in str(ei.value) and "10" in str(ei.value)
    with pytest.raises(rogue.GeneralError):
        f.setPayload(-1)


def test_getba_offset_count_and_bounds() -> None:
    f = new_frame(10)
    f.write(bytes(range(10)))
    assert f.getBa(2, 3) == bytearray([2, 3, 4])
    assert f.getBa(7) == bytearray([7, 8, 9])  # count 0: to the end
    assert f.getBa(10) == bytearray()
    with pytest.raises(rogue.GeneralError):
        f.getBa(8, 3)
    with pytest.raises(rogue.GeneralError):
        f.getNumpy(11)


@pytest.mark.parametrize("getter", ["getBa", "getNumpy", "getMemoryview"])
def test_getters_return_copies(getter: str) -> None:
    f = new_frame(4)
    f.write(b"\x01\x02\x03\x04")
    out = getattr(f, getter)()
    out[0] = 0xFF  # changing the copy leaves the frame alone
    assert f.getBa()[0] == 0x01
    f.write(b"\x09")  # and changing the frame leaves the copy alone
    assert out[1] == 0x02 and out[0] == 0xFF
    assert bytes(out) == b"\xff\x02\x03\x04"


def test_getnumpy_dtype_and_offset() -> None:
    f = new_frame(6)
    f.write(bytes(range(6)))
    arr = f.getNumpy(1, 3)
    assert arr.dtype == np.uint8
    assert arr.tolist() == [1, 2, 3]
    assert arr.flags.writeable and arr.flags.owndata


@pytest.mark.parametrize(
    "arr",
    [
        np.arange(16, dtype=np.uint8)[::2],  # non-contiguous
        np.arange(12, dtype="<u2").reshape(3, 4).T,  # Fortran order
        np.arange(6, dtype=">u4"),  # non-native byte order
        np.linspace(-1, 1, 5),  # float64
        np.arange(24, dtype=np.int16).reshape(2, 3, 4)[:, ::2, 1:3],  # strided 3-D
    ],
    ids=["u8-step2", "u16-fortran", "u32-bigendian", "f64", "i16-strided3d"],
)
def test_putnumpy_round_trip(arr: np.ndarray) -> None:
    f = new_frame(256)
    f.putNumpy(arr, 3)
    assert f.getPayload() == 3 + arr.nbytes
    back = f.getNumpy(3).view(arr.dtype).reshape(arr.shape)
    np.testing.assert_array_equal(back, arr)
    assert f.getBa(3) == bytearray(np.ascontiguousarray(arr).tobytes())


def test_putnumpy_past_capacity() -> None:
    f = ris.Frame(7)
    with pytest.raises(rogue.GeneralError):
        f.putNumpy(np.zeros(2, dtype=np.uint32), 0)


def test_flags_user_bit_positions() -> None:
    f = new_frame(1)
    f.setFirstUser(0xAB)
    assert f.getFlags() == 0x00AB
    f.setLastUser(0xCD)
    assert f.getFlags() == 0xCDAB
    assert (f.getFirstUser(), f.getLastUser()) == (0xAB, 0xCD)
    f.setFlags(0x1234)
    assert (f.getFirstUser(), f.getLastUser()) == (0x34, 0x12)
    f.setFirstUser(0)
    assert f.getFlags() == 0x1200


@pytest.mark.parametrize(
    ("setter", "good", "bad"),
    [
        ("setFlags", 0xFFFF, 0x10000),
        ("setFirstUser", 0xFF, 0x100),
        ("setLastUser", 0xFF, 0x100),
        ("setChannel", 0xFF, 0x100),
        ("setError", 0xFF, 0x100),
    ],
)
def test_metadata_ranges(setter: str, good: int, bad: int) -> None:
    f = new_frame(1)
    getattr(f, setter)(good)
    getattr(f, setter)(0)
    for value in (bad, -1):
        with pytest.raises(rogue.GeneralError) as ei:
            getattr(f, setter)(value)
        assert str(value) in str(ei.value)


def test_channel_error_round_trip() -> None:
    f = new_frame(1)
    f.setChannel(7)
    f.setError(0x80)
    assert (f.getChannel(), f.getError()) == (7, 0x80)


def test_wrap_bytes_copy_on_write() -> None:
    data = b"\x00\x01\x02\x03"
    f = ris.Frame._wrap(data, flags=0x0102, channel=3, error=4)
    assert (f.getPayload(), f.getSize()) == (4, 4)
    assert (f.getFlags(), f.getChannel(), f.getError()) == (0x0102, 3, 4)
    assert f._data() is data  # no copy until someone writes
    f.write(b"\xff", 1)
    assert data == b"\x00\x01\x02\x03"  # the received buffer is untouched
    assert f.getBa() == bytearray(b"\x00\xff\x02\x03")
    assert f.getSize() == 4


def test_wrap_memoryview_copy_on_write() -> None:
    src = bytearray(b"abcdef")
    ro = memoryview(bytes(src))
    f = ris.Frame._wrap(ro)
    f.write(b"Z", 0)
    assert bytes(ro) == b"abcdef"
    assert f.getBa() == bytearray(b"Zbcdef")


def test_lock_context_manager_is_reentrant_and_excludes_other_threads() -> None:
    f = new_frame(1)
    got = threading.Event()

    def other() -> None:
        with f.lock():
            got.set()

    with f.lock():
        with f.lock():  # re-entrant in the same thread
            pass
        t = threading.Thread(target=other, name="test:frame-lock")
        t.start()
        assert not got.wait(0.05)  # blocked while we hold it
    assert got.wait(5)
    t.join(5)


@settings(max_examples=200, deadline=None)
@given(
    cap=st.integers(1, 512),
    data=st.data(),
)
def test_write_read_round_trip_property(cap: int, data: st.DataObject) -> None:
    f = ris.Frame(cap)
    offset = data.draw(st.integers(0, cap), label="offset")
    payload = data.draw(st.binary(max_size=cap - offset), label="payload")
    f.write(payload, offset)
    assert f.getPayload() == offset + len(payload)
    out = bytearray(len(payload))
    f.read(out, offset)
    assert bytes(out) == payload
    assert bytes(f.getBa(offset, len(payload))) == payload  # count 0 (empty) reads to the end: also empty
    assert f.getNumpy(offset).tobytes() == payload


@settings(max_examples=100, deadline=None)
@given(cap=st.integers(0, 64), offset=st.integers(-4, 80), size=st.integers(0, 80))
def test_write_out_of_bounds_property(cap: int, offset: int, size: int) -> None:
    f = ris.Frame(cap)
    if offset < 0 or offset + size > cap:
        with pytest.raises(rogue.GeneralError):
            f.write(bytes(size), offset)
        assert f.getPayload() == 0
    else:
        f.write(bytes(size), offset)
        assert f.getPayload() == offset + size
