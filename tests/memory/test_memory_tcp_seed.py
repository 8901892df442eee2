"""The seed's memory TCP bridge examples (seeds/memory_tcp_bridge.rst), server and client in two processes.

Placeholders filled: the user's ``MyMemMaster``, the address (127.0.0.1) and a
free port. The server process exits on its own when this test closes its stdin
(and after 30 s in any case).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

import rogue.interfaces.memory as rim

# The seed's server example, with an Emulate (or SrpV3 + its emulation) as the slave.
_SERVER = r"""
import os, sys, threading
guard = threading.Timer(30.0, os._exit, (3,))  # never outlive a lost test
guard.daemon = True
guard.start()
import rogue.interfaces.memory as rim
import rogue.protocols.srp as rps

port = int(sys.argv[1])
if sys.argv[2] == "srpv3":
    # Local memory SRP bridge (the seed's server example; SrpV3Emulation plays the hardware)
    srpv3 = rps.SrpV3()
    hw = rps.SrpV3Emulation()
    srpv3 == hw
    slave = srpv3
else:
    slave = rim.Emulate(4, 0x1000)

# Listen on ports port and port + 1 (the seed listens on '*'; tests stay on loopback)
tcp = rim.TcpServer('127.0.0.1', port)

# Connect the TCP bridge to the local memory Slave
tcp >> slave

print("ready", flush=True)
sys.stdin.read()  # until the test closes our stdin
tcp.stop()
if sys.argv[2] == "srpv3":
    hw.stop()
# a normal interpreter exit: no thread or socket of the bridge may hold it up
"""


class MyMemMaster(rim.Master):
    """The user's memory master of the seed's client example: read, write, post, read-modify-write."""

    def read(self, address: int, size: int = 4) -> bytes:
        buf = bytearray(size)
        self._clearError()
        self._reqTransaction(address, buf, size, 0, rim.Read)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(self._getError())
        return bytes(buf)

    def write(self, address: int, data: bytes) -> None:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Write)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(self._getError())

    def post(self, address: int, data: bytes) -> None:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Post)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(self._getError())

    def modify(self, address: int, mask: int, value: int) -> int:
        """Read-modify-write of one 32-bit register; returns the new value."""
        old = int.from_bytes(self.read(address), "little")
        new = (old & ~mask) | (value & mask)
        self.write(address, new.to_bytes(4, "little"))
        return new


@pytest.fixture(params=["emulate", "srpv3"])
def server_process(request: pytest.FixtureRequest, port: int) -> Iterator[int]:
    proc = subprocess.Popen([sys.executable, "-c", _SERVER, str(port), request.param],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == "ready", f"server process said {line!r}"
        yield port
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        try:
            assert proc.wait(timeout=10) == 0  # it exits on its own
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.timeout(30)
def test_seed_client_example_against_a_server_process(server_process: int, no_thread_leak: None) -> None:
    port = server_process

    # --- the seed's client example ---
    # Local memory Master
    mst = MyMemMaster()

    # Connect to the remote server using ports port and port + 1
    tcp = rim.TcpClient('127.0.0.1', port)

    # Connect the local Master to the remote bridge
    mst >> tcp
    # --- end of the seed's example ---

    try:
        assert tcp.waitReady(timeout=10.0, period=0.1)
        mst.write(0x100, b"\x78\x56\x34\x12")
        assert mst.read(0x100) == b"\x78\x56\x34\x12"
        mst.post(0x104, b"\xaa\xbb\xcc\xdd")
        assert mst.read(0x104) == b"\xaa\xbb\xcc\xdd"  # the post arrived, in order
        assert mst.modify(0x100, 0x0000FF00, 0x0000AB00) == 0x1234AB78
        assert mst.read(0x100) == b"\x78\xab\x34\x12"
        assert mst.read(0x200, 16) == bytes(16)  # never written
        mst.write(0x300, bytes(range(64)))
        assert mst.read(0x300, 64) == bytes(range(64))
        stats = tcp.stats()
        assert stats["failed"] == 0 and stats["timedOut"] == 0 and stats["malformed"] == 0
    finally:
        tcp.stop()
