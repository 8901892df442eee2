#!/usr/bin/env python3
"""Stream TCP bridge, server half (the Rogue bridge documentation's "Python Server Example", filled in).

The server owns the local stream endpoints: ``src`` sends frames to the remote
client and ``dst`` receives the frames the client sends. Here ``dst`` prints
each frame and has ``src`` answer it with an upper-cased copy, on the same
channel. Run ``stream_client.py`` against it.

    python examples/stream_server.py [PORT] [--count N] [--seconds S]

Stops after answering ``--count`` frames or after ``--seconds`` (default 30).
"""

import argparse
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
    """Prints each frame and answers it through ``reply``."""

    def __init__(self, reply: MyCustomMaster, count: int) -> None:
        super().__init__()
        self.reply = reply
        self.count = count
        self.frames = 0
        self.done = threading.Event()

    def _acceptFrame(self, frame):
        with frame.lock():
            data = bytes(frame.getBa())
            channel = frame.getChannel()
        print(f"server got channel {channel}: {data.decode(errors='replace')}", flush=True)
        self.reply.send(data.upper(), channel)
        self.frames += 1
        if self.frames >= self.count:
            self.done.set()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port", nargs="?", type=int, default=8000, help="base port P (P and P+1), default 8000")
    parser.add_argument("--count", type=int, default=5, help="frames to answer before stopping (default 5)")
    parser.add_argument("--seconds", type=float, default=30.0, help="stop after this long at most (default 30)")
    args = parser.parse_args()

    # Local transmitter
    src = MyCustomMaster()

    # Local receiver
    dst = MyCustomSlave(src, args.count)

    # Listen on localhost using ports P and P+1
    tcp = ris.TcpServer('127.0.0.1', args.port)

    # The local transmitter sends to the remote client, and the local receiver
    # accepts data arriving from the remote client.
    src >> tcp >> dst

    print(f"stream server listening on 127.0.0.1:{args.port}", flush=True)
    try:
        dst.done.wait(args.seconds)
    except KeyboardInterrupt:
        pass
    finally:
        tcp.close()  # frames already sent are still delivered
    print(f"stream server answered {dst.frames} frames", flush=True)


if __name__ == "__main__":
    main()
