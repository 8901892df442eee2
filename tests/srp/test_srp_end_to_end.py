"""A user's memory master -> SrpV3 == SrpV3Emulation, in process and across processes."""

from __future__ import annotations

import random
import struct
import threading
from collections.abc import Iterator

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps


class MyMemMaster(rim.Master):
    """A user's memory master with blocking helpers."""

    def write(self, address: int, data: bytes) -> str:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Write)
        self._waitTransaction(0)
        return self._getError()

    def read(self, address: int, size: int, kind: int = rim.Read) -> tuple[bytes, str]:
        self._clearError()
        buf = bytearray(size)
        self._reqTransaction(address, buf, size, 0, kind)
        self._waitTransaction(0)
        return bytes(buf), self._getError()


@pytest.fixture
def chain(no_thread_leak: None) -> Iterator[tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation]]:
    mst, srp, emu = MyMemMaster(), rps.SrpV3(), rps.SrpV3Emulation()
    mst >> srp
    srp == emu
    mst._setTimeout(5_000_000)
    yield mst, srp, emu
    emu.stop()
    srp._stop()


def test_every_type(chain: tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation]) -> None:
    mst, _srp, _emu = chain
    assert mst.read(0x100, 4) == (bytes(4), "")  # never written: zeros
    assert mst.write(0x100, b"ABCDEFGH") == ""
    assert mst.read(0x104, 4) == (b"EFGH", "")
    assert mst.read(0x100, 8, rim.Verify) == (b"ABCDEFGH", "")
    mst._clearError()
    mst._reqTransaction(0x200, b"\x09\x08\x07\x06", 4, 0, rim.Post)
    mst._waitTransaction(0)
    assert mst._getError() == ""
    assert mst.read(0x200, 4) == (b"\x09\x08\x07\x06", "")
    assert mst.write(0x1_0000_0000, bytes(range(16))) == ""
    assert mst.read(0x1_0000_0000, 16) == (bytes(range(16)), "")


def test_4096_bytes_and_errors(chain: tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation]) -> None:
    mst, _srp, emu = chain
    data = bytes(random.Random(5).randrange(256) for _ in range(4096))
    assert mst.write(0x3000, data) == ""
    assert mst.read(0x3000, 4096) == (data, "")
    assert mst.read(0x2, 4)[1] == "Transaction address 0x2 is not aligned to min size 4"
    assert mst.read(0x0, 4100)[1] == "Transaction size 0x1004 exceeds max size 4096"
    assert emu.getDropCount() == 0


def test_through_a_hub(chain: tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation]) -> None:
    _mst, srp, _emu = chain
    hub, mst = rim.Hub(0x10000, 0, 0), MyMemMaster()
    mst >> hub >> srp
    mst._setTimeout(5_000_000)
    assert mst.write(0x40, b"hub!") == ""
    assert chain[0].read(0x10040, 4) == (b"hub!", "")


@pytest.mark.timeout(30)
def test_500_pipelined_reads_and_writes(chain: tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation]) -> None:
    mst, _srp, _emu = chain
    n = 500
    values = [struct.pack("<Q", (i * 0x9E3779B97F4A7C15) & (2**64 - 1)) for i in range(n)]
    mst._clearError()
    for i, v in enumerate(values):
        mst._reqTransaction(0x8000 + 8 * i, v, 8, 0, rim.Write)
    mst._waitTransaction(0)
    assert mst._getError() == ""
    bufs = [bytearray(8) for _ in range(n)]
    for i, b in enumerate(bufs):
        mst._reqTransaction(0x8000 + 8 * i, b, 8, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == ""
    assert [bytes(b) for b in bufs] == values
    # Interleaved in one pipeline: each read sees the write issued just before it (arrival order).
    bufs = [bytearray(4) for _ in range(n)]
    for i, b in enumerate(bufs):
        mst._reqTransaction(0x20000, struct.pack("<I", i), 4, 0, rim.Write)
        mst._reqTransaction(0x20000, b, 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == ""
    assert [struct.unpack("<I", b)[0] for b in bufs] == list(range(n))


@pytest.mark.timeout(30)
def test_several_master_threads(chain: tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation]) -> None:
    _mst, srp, _emu = chain
    errors: list[str] = []

    def worker(k: int) -> None:
        m = MyMemMaster()
        m >> srp
        m._setTimeout(5_000_000)
        for i in range(100):
            addr = 0x40000 * (k + 1) + 4 * i
            word = struct.pack("<I", k << 16 | i)
            err = m.write(addr, word)
            got, err2 = m.read(addr, 4)
            if err or err2 or got != word:
                errors.append(f"{k}/{i}: {err!r} {err2!r} {got!r}")

    threads = [threading.Thread(target=worker, args=(k,), name=f"test-master-{k}") for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.timeout(30)
def test_across_a_stream_tcp_bridge_in_process(port: int, no_thread_leak: None) -> None:
    """SRP frames crossing a ris.TcpServer/TcpClient pair, as when hardware sits behind a stream link."""
    emu, srv = rps.SrpV3Emulation(), ris.TcpServer("127.0.0.1", port)
    srp, cli = rps.SrpV3(), ris.TcpClient("127.0.0.1", port)
    mst = MyMemMaster()
    try:
        srv == emu
        srp == cli
        mst >> srp
        mst._setTimeout(5_000_000)
        assert cli.waitReady(5.0) and srv.waitReady(5.0)
        assert mst.write(0x1_0000_0100, b"ABCDEFGH") == ""
        assert mst.read(0x1_0000_0104, 4) == (b"EFGH", "")
        assert mst.read(0x1_0000_0100, 8, rim.Verify) == (b"ABCDEFGH", "")
        big = bytes(range(256)) * 16
        assert mst.write(0x4000, big) == ""
        assert mst.read(0x4000, 4096) == (big, "")
        bufs = [bytearray(4) for _ in range(500)]
        for i, b in enumerate(bufs):
            mst._reqTransaction(0x10000 + 4 * i, struct.pack("<I", i), 4, 0, rim.Write)
            mst._reqTransaction(0x10000 + 4 * i, b, 4, 0, rim.Read)
        mst._waitTransaction(0)
        assert mst._getError() == ""
        assert [struct.unpack("<I", b)[0] for b in bufs] == list(range(500))
    finally:
        cli.stop()
        srv.stop()
        emu.stop()
