"""A user's memory master -> SrpV3 == SrpV3Emulation, in process and across processes."""

from __future__ import annotations

import os
import random
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps
from conftest import SEEDS, free_port_pairs, shared_or_skip


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


def test_emulator_that_never_answers_gives_the_timeout_text(
    chain: tuple[MyMemMaster, rps.SrpV3, rps.SrpV3Emulation],
) -> None:
    mst, _srp, emu = chain
    emu.stop()  # the hardware is gone: requests reach it and are never answered
    mst._setTimeout(100_000)
    mst._clearError()
    tid = mst._reqTransaction(0x10, bytearray(4), 4, 0, rim.Read)
    mst._waitTransaction(0)
    assert mst._getError() == f"Timeout waiting for register transaction {tid} message response."


class _HoldRequests(ris.Master, ris.Slave):
    """Between SrpV3 and the emulation: holds the request frames until :meth:`release`, then passes them on."""

    def __init__(self) -> None:
        ris.Master.__init__(self)
        ris.Slave.__init__(self)
        self.held: list[ris.Frame] = []
        self._open = False

    def _acceptFrame(self, frame: ris.Frame) -> None:
        if self._open:
            self._sendFrame(frame)
        else:
            self.held.append(frame)

    def release(self) -> None:
        self._open = True
        for frame in self.held:
            self._sendFrame(frame)


@pytest.mark.timeout(30)
def test_500_pipelined_reads_and_writes(no_thread_leak: None) -> None:
    mst, srp, emu, hold = MyMemMaster(), rps.SrpV3(), rps.SrpV3Emulation(), _HoldRequests()
    mst >> srp
    srp >> hold >> emu
    emu >> srp
    mst._setTimeout(5_000_000)
    try:
        _pipelined(mst, hold)
    finally:
        hold.release()
        emu.stop()
        srp._stop()


def _pipelined(mst: MyMemMaster, hold: _HoldRequests) -> None:
    n = 500
    values = [struct.pack("<Q", (i * 0x9E3779B97F4A7C15) & (2**64 - 1)) for i in range(n)]
    mst._clearError()
    for i, v in enumerate(values):
        mst._reqTransaction(0x8000 + 8 * i, v, 8, 0, rim.Write)
    # All 500 requests went out with no response yet: the master did not wait for one before the next.
    assert len(hold.held) == n
    hold.release()
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


# -- across processes: the memory seed's examples as written -------------------------------------
# The seed's code blocks (shared/seeds/memory_tcp_bridge.rst), with only the port (8000: a free
# one), the client's server address (192.168.1.1: this machine) and the user's placeholder class
# (MyMemMaster) filled in.
SEED_SERVER = """\
import rogue.interfaces.memory as rim
import rogue.protocols.srp as rps

# Local memory SRP bridge
srpv3 = rps.SrpV3()

# Listen on all interfaces using ports 8000 and 8001
tcp = rim.TcpServer('*', 8000)

# Connect the TCP bridge to the local memory Slave
tcp >> srpv3
"""

SEED_CLIENT = """\
import rogue.interfaces.memory as rim

# Local memory Master
mst = MyMemMaster()

# Connect to the remote server using ports 8000 and 8001
tcp = rim.TcpClient('192.168.1.1', 8000)

# Connect the local Master to the remote bridge
mst >> tcp
"""

# The user's placeholder class, filled in.
CLIENT_PRELUDE = """\
import struct
import rogue.interfaces.memory as rim


class MyMemMaster(rim.Master):
    def write(self, address, data):
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Write)
        self._waitTransaction(0)
        return self._getError()

    def read(self, address, size, kind=rim.Read):
        self._clearError()
        buf = bytearray(size)
        self._reqTransaction(address, buf, size, 0, kind)
        self._waitTransaction(0)
        return bytes(buf), self._getError()

"""

# What the client then does across the bridge; any failed check exits non-zero.
CLIENT_CHECKS = """
assert tcp.waitReady(10.0, 0.1), "the memory server never answered"
mst._setTimeout(5000000)
assert mst.write(0x100000100, b"ABCDEFGH") == ""
assert mst.read(0x100000104, 4) == (b"EFGH", "")
assert mst.read(0x100000100, 8, rim.Verify) == (b"ABCDEFGH", "")
assert mst.read(0x2000, 4) == (bytes(4), ""), "never-written memory reads as zeros"
mst._reqTransaction(0x300, b"post", 4, 0, rim.Post)
mst._waitTransaction(0)
assert mst._getError() == ""
assert mst.read(0x300, 4) == (b"post", "")
big = bytes(range(256)) * 16
assert mst.write(0x4000, big) == ""
assert mst.read(0x4000, 4096) == (big, "")
err = mst.read(0x2, 4)[1]
assert err == "Transaction address 0x2 is not aligned to min size 4", err
mst._clearError()
bufs = [bytearray(4) for _ in range(500)]
for i, b in enumerate(bufs):
    mst._reqTransaction(0x10000 + 4 * i, struct.pack("<I", i), 4, 0, rim.Write)
    mst._reqTransaction(0x10000 + 4 * i, b, 4, 0, rim.Read)
mst._waitTransaction(0)
assert mst._getError() == "", mst._getError()
assert [struct.unpack("<I", b)[0] for b in bufs] == list(range(500))
print("CLIENT OK", flush=True)
tcp.close()
"""

# The hardware attached in the server process: the emulation, directly ...
SERVER_WITH_EMULATION = """
import sys
emu = rps.SrpV3Emulation()
srpv3 == emu
print("READY", flush=True)
sys.stdin.read()  # until the test closes our stdin
tcp.close()
emu.stop()
"""

# ... or behind a stream TCP bridge, in a process of its own.
SERVER_WITH_STREAM_LINK = """
import sys
import rogue.interfaces.stream as ris
link = ris.TcpClient('127.0.0.1', {hw_port})
srpv3 == link
assert link.waitReady(10.0), "the hardware process never connected"
print("READY", flush=True)
sys.stdin.read()
tcp.close()
link.close()
"""

HARDWARE_PROCESS = """\
import sys
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps
emu = rps.SrpV3Emulation()
link = ris.TcpServer('127.0.0.1', {hw_port})
link == emu
print("READY", flush=True)
sys.stdin.read()
link.close()
emu.stop()
"""


def _normalized(text: str) -> str:
    return " ".join(text.split())


def test_embedded_examples_are_the_seeds() -> None:
    seed = shared_or_skip(SEEDS / "memory_tcp_bridge.rst")
    text = _normalized(seed.read_text())
    assert _normalized(SEED_SERVER) in text
    assert _normalized(SEED_CLIENT) in text


def _server_code(port: int) -> str:
    code = SEED_SERVER.replace("rim.TcpServer('*', 8000)", f"rim.TcpServer('*', {port})")
    assert code != SEED_SERVER
    return code


def _client_code(port: int) -> str:
    code = SEED_CLIENT.replace("rim.TcpClient('192.168.1.1', 8000)", f"rim.TcpClient('127.0.0.1', {port})")
    assert code != SEED_CLIENT
    return CLIENT_PRELUDE + code + CLIENT_CHECKS


def _spawn(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _wait_ready(proc: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """Block until the process prints READY (or fail with its stderr)."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    got = b""
    end = time.monotonic() + timeout
    while b"READY\n" not in got:
        left = end - time.monotonic()
        ready, _, _ = select.select([fd], [], [], max(0.0, left))
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            proc.kill()
            _out, err = proc.communicate(timeout=10)
            raise AssertionError(f"process not ready (rc={proc.returncode}): {err.decode(errors='replace')}")
        got += chunk


def _finish(procs: list[subprocess.Popen[bytes]]) -> None:
    """Close each server's stdin (its cue to stop), wait for it, kill it if it hangs."""
    for proc in procs:
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate(timeout=10)
            raise AssertionError("a server process did not stop when told") from None


def _run_client(port: int) -> None:
    client = subprocess.run([sys.executable, "-c", _client_code(port)], capture_output=True, timeout=40)
    err = client.stderr.decode(errors="replace")
    assert client.returncode == 0, err
    assert client.stdout.decode().strip() == "CLIENT OK", err


def _need_memory_bridge() -> None:
    if not hasattr(rim, "TcpServer") or not hasattr(rim, "TcpClient"):
        pytest.skip("rim.TcpServer / rim.TcpClient are not available yet")


@pytest.mark.timeout(50)
def test_seed_server_and_client_in_two_processes(port: int) -> None:
    """User rim.Master -> rim.TcpClient <-> rim.TcpServer -> SrpV3 == SrpV3Emulation."""
    _need_memory_bridge()
    server = _spawn(_server_code(port) + SERVER_WITH_EMULATION)
    try:
        _wait_ready(server)
        _run_client(port)
    finally:
        _finish([server])
    assert server.returncode == 0, server.stderr


@pytest.mark.timeout(50)
def test_seed_topology_with_hardware_behind_a_stream_bridge(port: int) -> None:
    """As above, with SRP frames crossing a ris.TcpClient -> ris.TcpServer to a hardware process."""
    _need_memory_bridge()
    (hw_port,) = free_port_pairs(1, port)
    hardware = _spawn(HARDWARE_PROCESS.format(hw_port=hw_port))
    procs = [hardware]
    try:
        _wait_ready(hardware)
        server = _spawn(_server_code(port) + SERVER_WITH_STREAM_LINK.format(hw_port=hw_port))
        procs.insert(0, server)
        _wait_ready(server)
        _run_client(port)
    finally:
        _finish(procs)
    assert [p.returncode for p in procs] == [0, 0]
