#!/usr/bin/env python3
"""Memory TCP bridge, client half (the Rogue bridge documentation's "Python Client Example", filled in).

``MyMemMaster`` is the user's memory master: it issues register writes and
reads through a ``TcpClient`` to the remote ``TcpServer`` (``memory_server.py``)
and checks what comes back.

    python examples/memory_client.py [PORT] [--host HOST]
"""

import argparse
import struct
import sys

import rogue.interfaces.memory as rim


class MyMemMaster(rim.Master):
    """A memory master with blocking register helpers."""

    def write(self, address: int, data: bytes) -> None:
        self._clearError()
        self._reqTransaction(address, data, len(data), 0, rim.Write)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(f"write at 0x{address:x} failed: {self._getError()}")

    def read(self, address: int, size: int) -> bytes:
        self._clearError()
        buf = bytearray(size)
        self._reqTransaction(address, buf, size, 0, rim.Read)
        self._waitTransaction(0)
        if self._getError():
            raise RuntimeError(f"read at 0x{address:x} failed: {self._getError()}")
        return bytes(buf)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="base port P (P and P+1), default 8000")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    args = parser.parse_args()

    # Local memory Master
    mst = MyMemMaster()

    # Connect to the remote server using ports P and P+1
    tcp = rim.TcpClient(args.host, args.port)

    # Connect the local Master to the remote bridge
    mst >> tcp

    try:
        if not tcp.waitReady(10.0):  # probe the server before the first transaction
            print(f"no memory server at {args.host}:{args.port}", file=sys.stderr)
            return 1
        mst.write(0x1000, struct.pack("<II", 0xDEADBEEF, 0x12345678))
        first, second = struct.unpack("<II", mst.read(0x1000, 8))
        print(f"0x1000 = 0x{first:08x}, 0x1004 = 0x{second:08x}")
        block = bytes(range(256)) * 16
        mst.write(0x2000, block)
        assert mst.read(0x2000, 4096) == block
        print("4096-byte block written and read back")
        try:
            mst.read(0x1002, 4)
        except RuntimeError as err:  # SrpV3 refuses unaligned addresses; the text crosses the bridge
            print(f"expected error: {err}")
    finally:
        tcp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
