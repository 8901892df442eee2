#!/usr/bin/env python3
"""Logging: see what the bridges do (the "Logging" sections of Rogue's bridge documentation, runnable).

Bridges log through standard ``logging`` loggers named as in Rogue:
``pyrogue.stream.TcpCore.<addr>.<Server|Client>.<port>`` and
``pyrogue.memory.TcpServer.<addr>.<port>`` / ``pyrogue.memory.TcpClient.<addr>.<port>``.
``rogue.Logging.setFilter(prefix, level)`` lowers the threshold of every
logger under ``prefix``; set it *before* constructing the bridge. Ordinary
``logging`` configuration (handlers, formats, files) applies as well.

    python examples/logging_setup.py [PORT] [--mem-port Q]

Prints the bridges' debug lines on stderr while a frame and a register
transaction cross them, then exits.
"""

import argparse
import logging
import threading

import rogue
import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris


class Sink(ris.Slave):
    """Sets ``got`` when a frame arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.got = threading.Event()

    def _acceptFrame(self, frame):
        self.got.set()


class Source(ris.Master):
    """Sends one frame."""

    def send(self, data: bytes) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        self._sendFrame(frame)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="stream bridge base port (default 8000)")
    parser.add_argument("--mem-port", type=int, help="memory bridge base port (default PORT + 2)")
    args = parser.parse_args()
    mem_port = args.mem_port if args.mem_port is not None else args.port + 2

    # Standard logging: time stamps and logger names, on stderr.
    logging.basicConfig(format="%(asctime)s %(name)s %(levelname)s: %(message)s")

    # Every stream bridge at debug; memory bridges only from the server side.
    rogue.Logging.setFilter('pyrogue.stream.TcpCore', rogue.Logging.Debug)
    rogue.Logging.setFilter('pyrogue.memory.TcpServer', rogue.Logging.Debug)

    # A stream bridge pair on loopback, one frame across it.
    server = ris.TcpServer('127.0.0.1', args.port)
    client = ris.TcpClient('127.0.0.1', args.port)
    src, dst = Source(), Sink()
    src >> client
    server >> dst
    src.send(b"hello")
    dst.got.wait(5.0)

    # A memory bridge pair, one write through it into emulated memory.
    mem_server = rim.TcpServer('127.0.0.1', mem_port)
    mem_server >> rim.Emulate(4, 4096)
    mem_client = rim.TcpClient('127.0.0.1', mem_port)
    mst = rim.Master()
    mst >> mem_client
    mem_client.waitReady(5.0)
    mst._reqTransaction(0x100, b"\x01\x02\x03\x04", 4, 0, rim.Write)
    mst._waitTransaction(0)

    for bridge in (mem_client, mem_server, client, server):
        bridge.stop()
    print(f"frame received: {dst.got.is_set()}; write error: {mst._getError() or 'none'}")


if __name__ == "__main__":
    main()
