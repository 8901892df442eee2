#!/usr/bin/env python3
"""Stream TCP bridge, client half (the Rogue bridge documentation's "Python Client Example", filled in).

Connects to ``stream_server.py``, sends a few text frames on different
channels and prints the answers coming back through the same bridge.

    python examples/stream_client.py [PORT] [--host HOST] [--count N] [--seconds S]
"""

import argparse
import sys
import threading

import rogue.interfaces.stream as ris


class MyCustomMaster(ris.Master):
    """Sends one frame holding ``data`` on ``channel``."""

    def send(self, data: bytes, channel: int = 0) -> None:
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        frame.setChannel(channel)
        self._sendFrame(frame)


class MyCustomSlave(ris.Slave):
    """Prints each frame that arrives and counts them."""

    def __init__(self, expect: int) -> None:
        super().__init__()
        self.expect = expect
        self.frames = 0
        self.done = threading.Event()

    def _acceptFrame(self, frame):
        with frame.lock():
            data = bytes(frame.getBa())
        print(f"client got channel {frame.getChannel()}: {data.decode(errors='replace')}", flush=True)
        self.frames += 1
        if self.frames >= self.expect:
            self.done.set()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="base port P (P and P+1), default 8000")
    parser.add_argument("--host", default="127.0.0.1", help="server address (default 127.0.0.1)")
    parser.add_argument("--count", type=int, default=5, help="frames to send (default 5)")
    parser.add_argument("--seconds", type=float, default=10.0, help="give up after this long (default 10)")
    args = parser.parse_args()

    # Local transmitter
    src = MyCustomMaster()

    # Local receiver
    dst = MyCustomSlave(args.count)

    # Connect to the remote server using ports P and P+1
    tcp = ris.TcpClient(args.host, args.port)

    # The local transmitter sends to the remote server, and the local receiver
    # accepts data arriving from the remote server.
    src >> tcp >> dst

    try:
        if not tcp.waitReady(args.seconds):  # beyond Rogue: wait for the connection
            print(f"no stream server at {args.host}:{args.port}", file=sys.stderr)
            return 1
        for i in range(args.count):
            src.send(f"hello {i}".encode(), channel=i % 4)
        ok = dst.done.wait(args.seconds)
    finally:
        tcp.close()
    print(f"stream client received {dst.frames} of {args.count} answers", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
