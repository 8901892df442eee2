"""A process that leaves every threaded object running under load and just ends.

``python exit_without_stop.py PORT MPORT LPORT MODE`` (three free base ports):
MODE ``return`` falls off the end of
the script, ``sysexit`` calls ``sys.exit(0)`` from the main thread, ``blocked``
also leaves a daemon sender blocked on a stream client that has no server.
Prints ``ending`` right before the end; the test times how long exit takes.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris
import rogue.protocols.srp as rps

PORT, MPORT, LPORT, MODE = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
_watchdog = threading.Timer(30.0, os._exit, (3,))  # never outlive a failed test
_watchdog.daemon = True
_watchdog.start()

# Both servers bind before any client connects (a client's own local port is never one of theirs).
msrv = rim.TcpServer("127.0.0.1", MPORT)
# Stream pair, both directions loaded by daemon senders (the application's threads).
srv = ris.TcpServer("127.0.0.1", PORT)
cli = ris.TcpClient("127.0.0.1", PORT)
fifo = ris.Fifo(100, 0, False)
srv >> fifo
assert cli.waitReady(10) and srv.waitReady(10)

# Memory pair with an SrpV3 chain behind the server: master -> TcpClient -> TcpServer -> SrpV3 == emulation.
srp, emu = rps.SrpV3(), rps.SrpV3Emulation()
msrv >> srp
srp == emu
mcli = rim.TcpClient("127.0.0.1", MPORT)
assert mcli.waitReady(10)
master = rim.Master()
master >> mcli
master._setTimeout(1_000_000)


def send(bridge: ris.TcpCore) -> None:
    src = ris.Master()
    src >> bridge
    while True:
        frame = src._reqFrame(4096, True)
        frame.write(b"x" * 4096)
        src._sendFrame(frame)


def transact() -> None:
    buf = bytearray(64)
    while True:
        tid = master._reqTransaction(0x1000, buf, 64, 0, rim.Write)
        master._waitTransaction(tid)


for target, arg in ((send, cli), (send, srv), (transact, None)):
    threading.Thread(target=target, args=(arg,) if arg is not None else (), daemon=True).start()
if MODE == "blocked":
    lonely = ris.TcpClient("127.0.0.1", LPORT)  # nobody listens there: its sender blocks
    threading.Thread(target=send, args=(lonely,), daemon=True).start()
deadline = time.monotonic() + 5
while (cli.getTxFrameCount() < 100 or mcli.stats()["completed"] < 20) and time.monotonic() < deadline:
    time.sleep(0.01)
print("ending", cli.getTxFrameCount(), mcli.stats()["completed"], flush=True)
if MODE == "sysexit":
    sys.exit(0)
