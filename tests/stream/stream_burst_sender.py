"""A client process that sends a burst of large frames and exits at once.

``python stream_burst_sender.py PORT N MODE``: MODE ``exit`` ends the script right
after the last send (the bridge is closed at interpreter exit), ``close`` calls
``close()`` first. Either way no frame whose send returned may be lost.
"""

from __future__ import annotations

import os
import sys
import threading

import rogue.interfaces.stream as ris

PORT, N, MODE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
SIZE = 1 << 20
_watchdog = threading.Timer(30.0, os._exit, (3,))  # never outlive a failed test
_watchdog.daemon = True
_watchdog.start()

src = ris.Master()
tcp = ris.TcpClient("127.0.0.1", PORT)
src >> tcp
if not tcp.waitReady(10.0):
    sys.exit(2)
for i in range(N):
    frame = src._reqFrame(SIZE, True)
    frame.write(i.to_bytes(4, "little") * (SIZE // 4))
    frame.setChannel(i % 256)
    src._sendFrame(frame)
if MODE == "close":
    tcp.close()
print("sent", tcp.getTxFrameCount(), flush=True)
