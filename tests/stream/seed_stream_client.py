"""The seed's "Python Client Example" (stream_tcp_bridge.rst) with the user's classes filled in.

Run as its own process by test_tcp_processes.py: ``python seed_stream_client.py PORT N``.
Address and port differ from the seed: loopback (no test reaches another host) and
a free port from the test (never 8000). It sends N frames to the server, waits
for N frames from it, prints them as JSON and exits.
"""

from __future__ import annotations

import json
import os
import sys
import threading

import rogue.interfaces.stream as ris

PORT, N = int(sys.argv[1]), int(sys.argv[2])
_watchdog = threading.Timer(30.0, os._exit, (3,))  # never outlive a failed test
_watchdog.daemon = True
_watchdog.start()


class MyCustomMaster(ris.Master):
    """User transmitter: sends text frames."""

    def sendText(self, text: str, flags: int, channel: int) -> None:
        data = text.encode()
        frame = self._reqFrame(len(data), True)
        frame.write(data)
        frame.setFlags(flags)
        frame.setChannel(channel)
        self._sendFrame(frame)


class MyCustomSlave(ris.Slave):
    """User receiver: keeps what arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[list] = []
        self.done = threading.Event()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        self.frames.append([frame.getBa().decode(), frame.getFlags(), frame.getChannel(), frame.getError()])
        if len(self.frames) == N:
            self.done.set()


# --- the seed example ---
import rogue.interfaces.stream as ris  # noqa: E402

# Local transmitter
src = MyCustomMaster()

# Local receiver
dst = MyCustomSlave()

# Connect to the remote server using ports 8000 and 8001
tcp = ris.TcpClient('127.0.0.1', PORT)

# The local transmitter sends to the remote server, and the local receiver
# accepts data arriving from the remote server.
src >> tcp >> dst
# --- end of the seed example ---

for i in range(N):
    src.sendText(f"client {i}", 0x2200 + i, 2)
ok = dst.done.wait(20.0)
print(json.dumps({"received": dst.frames, "sent": tcp.getTxFrameCount()}), flush=True)
# A normal exit, as in the seed: the bridge is closed and flushed at exit.
sys.exit(0 if ok else 1)
