"""One end of a stream bridge for the network tests, run inside a namespace.

``python net_stream_peer.py server|client ADDR PORT INTERVAL TIMEOUT RATE``:
a stream ``TcpServer`` (bound on ADDR) or ``TcpClient`` (to ADDR) with those
heartbeat settings, sending numbered 1 KiB frames at RATE frames/s and checking
the numbered frames of the far end. Prints, as lines:

* ``link UP T TX`` when ``isConnected()`` changes (T monotonic, TX frames sent so far);
* ``st T CONNECTED TX RX LAST DUPS OOO BAD LOSSES`` every 50 ms;
* ``gap FROM TO T`` for frames that never came (FROM..TO inclusive);
* ``log LEVEL message`` for the bridge's log lines (INFO and up).

Monotonic clocks are system-wide, so times compare across namespaces.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import rogue
import rogue.interfaces.stream as ris


_out = threading.Lock()


def say(*words: object) -> None:
    """Print one line atomically (several threads print)."""
    line = " ".join(str(w) for w in words) + "\n"
    with _out:
        sys.stdout.write(line)
        sys.stdout.flush()

FILL = 1024


def payload(seq: int) -> bytes:
    """Frame ``seq``: its number, then a pattern made from it (checkable by content)."""
    return seq.to_bytes(8, "little") + bytes([(seq * 13 + k) & 0xFF for k in range(16)]) * (FILL // 16)


class Checker(ris.Slave):
    """Counts frames, duplicates, out-of-order and damaged ones; reports gaps."""

    def __init__(self) -> None:
        super().__init__()
        self.last = -1
        self.count = self.dups = self.ooo = self.bad = 0
        self.seen: set[int] = set()

    def _acceptFrame(self, frame: ris.Frame) -> None:
        data = bytes(frame.getBa())
        seq = int.from_bytes(data[:8], "little")
        if data != payload(seq):
            self.bad += 1
        if seq in self.seen:
            self.dups += 1
        elif seq < self.last:
            self.ooo += 1
        elif seq > self.last + 1:
            say("gap", self.last + 1, seq - 1, f"{time.monotonic():.3f}")
        self.seen.add(seq)
        self.last = max(self.last, seq)
        self.count += 1


class Echo(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if record.levelno >= logging.INFO or "socket event" in msg:
            say("log", record.levelname, f"{time.monotonic():.3f}", msg)


def main() -> None:
    role, addr, port, ivl, tmo, rate = sys.argv[1:7]
    threading.Timer(50.0, os._exit, (3,)).start()  # never outlive a failed test
    rogue.Logging.setLevel(rogue.Logging.Debug if os.environ.get("NET_DEBUG") else rogue.Logging.Info)
    logging.getLogger("pyrogue").addHandler(Echo())
    opts = {"heartbeatInterval": float(ivl), "heartbeatTimeout": float(tmo)}
    bridge = ris.TcpServer(addr, int(port), **opts) if role == "server" else ris.TcpClient(addr, int(port), **opts)
    chk = Checker()
    bridge >> chk
    src = ris.Master()
    src >> bridge
    period = 1.0 / float(rate)
    tx = [0]

    def send() -> None:
        nxt = time.monotonic()
        while True:
            frame = src._reqFrame(len(payload(0)), True)
            frame.write(payload(tx[0]))
            src._sendFrame(frame)  # blocks while no peer is connected
            tx[0] += 1
            nxt = max(nxt + period, time.monotonic() - 0.5)
            time.sleep(max(0.0, nxt - time.monotonic()))

    threading.Thread(target=send, name="test-sender", daemon=True).start()
    up = False
    last_st = 0.0
    while True:
        now = time.monotonic()
        c = bridge.isConnected()
        if c != up:
            up = c
            say("link", int(c), f"{now:.3f}", tx[0])
        if now - last_st >= 0.05:
            last_st = now
            say("st", f"{now:.3f}", int(c), tx[0], chk.count, chk.last, chk.dups, chk.ooo, chk.bad,
                bridge.getLinkLossCount())
        time.sleep(0.01)


if __name__ == "__main__":
    main()
