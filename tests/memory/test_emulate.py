"""Emulate: sparse memory semantics, page crossing, thread safety, a model check."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rogue.interfaces.memory as rim


def access(mst: rim.Master, address: int, data: bytes | bytearray, type: int) -> str:
    mst._clearError()
    mst._reqTransaction(address, data, 0, 0, type)
    mst._waitTransaction(0)
    return mst._getError()


@pytest.fixture
def mst() -> rim.Master:
    m = rim.Master()
    m >> rim.Emulate(4, 4096)
    return m


def test_never_written_reads_zero_and_allocates_nothing(mst: rim.Master) -> None:
    buf = bytearray(b"\xff" * 64)
    assert access(mst, 0x123456789, buf, rim.Read) == ""
    assert buf == bytearray(64)
    assert mst._getSlave()._pageCount() == 0


def test_write_read_verify_post(mst: rim.Master) -> None:
    assert access(mst, 0x40, b"\x01\x02\x03\x04", rim.Write) == ""
    assert access(mst, 0x44, b"\x05\x06\x07\x08", rim.Post) == ""
    buf = bytearray(8)
    assert access(mst, 0x40, buf, rim.Read) == ""
    assert buf == b"\x01\x02\x03\x04\x05\x06\x07\x08"
    ver = bytearray(4)
    assert access(mst, 0x44, ver, rim.Verify) == ""
    assert ver == b"\x05\x06\x07\x08"
    assert mst._getSlave()._pageCount() == 1


def test_access_spanning_pages(mst: rim.Master) -> None:
    data = bytes(range(256)) * 40  # 10240 bytes over 4 pages from 0xf80
    assert access(mst, 0xF80, data, rim.Write) == ""
    assert mst._getSlave()._pageCount() == 4
    buf = bytearray(len(data) + 16)
    assert access(mst, 0xF78, buf, rim.Read) == ""
    assert buf == bytes(8) + data + bytes(8)


def test_high_addresses(mst: rim.Master) -> None:
    top = 0xFFFFFFFFFFFFFFF0
    assert access(mst, top, b"\xab" * 16, rim.Write) == ""
    buf = bytearray(16)
    assert access(mst, top, buf, rim.Read) == ""
    assert buf == b"\xab" * 16


def test_zero_size_and_unknown_type(mst: rim.Master) -> None:
    assert access(mst, 0, bytearray(0), rim.Read) == ""
    assert access(mst, 0, bytearray(4), 9) == "Emulate: unsupported transaction type 9"


def test_access_sizes_reported() -> None:
    m = rim.Master()
    m >> rim.Emulate(1, 128)
    assert (m._reqMinAccess(), m._reqMaxAccess()) == (1, 128)


@pytest.mark.timeout(20)
def test_concurrent_masters(no_thread_leak: None) -> None:
    mem = rim.Emulate(4, 4096)
    errors: list[str] = []

    def worker(k: int) -> None:
        m = rim.Master()
        m >> mem
        for i in range(300):
            addr = 0x10000 * k + 4 * i
            value = (k << 24 | i).to_bytes(4, "little")
            if err := access(m, addr, value, rim.Write):
                errors.append(err)
            buf = bytearray(4)
            if err := access(m, addr, buf, rim.Read):
                errors.append(err)
            if buf != value:
                errors.append(f"worker {k} at 0x{addr:x}: {buf.hex()} != {value.hex()}")

    threads = [threading.Thread(target=worker, args=(k,), name=f"rogue-bridge:test:emu{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)
    assert errors == []


ops = st.lists(
    st.tuples(st.booleans(), st.integers(0, 0x5000), st.integers(1, 0x1100), st.integers(0, 255)),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(ops)
def test_matches_flat_memory_model(steps: list[tuple[bool, int, int, int]]) -> None:
    m = rim.Master()
    m >> rim.Emulate(1, 0x2000)
    model = bytearray(0x5000 + 0x1100)
    for write, addr, size, fill in steps:
        if write:
            data = bytes((fill + j) & 0xFF for j in range(size))
            assert access(m, addr, data, rim.Write) == ""
            model[addr:addr + size] = data
        else:
            buf = bytearray(size)
            assert access(m, addr, buf, rim.Read) == ""
            assert buf == model[addr:addr + size]
