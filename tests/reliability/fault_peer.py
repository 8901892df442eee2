"""The far process of the fault tests: the test SIGKILLs it and starts it again.

``python fault_peer.py stream PORT TAG``: a stream ``TcpClient`` that sends
numbered frames (tag byte, uint64 sequence, 1 KiB pattern from the sequence)
as fast as it can, checks the frames the server sends it the same way, and
prints ``rx FIRST LAST COUNT BAD`` every 50 ms.

``python fault_peer.py memory PORT DELAY_MS``: a memory ``TcpServer`` on an
``Emulate`` that takes DELAY_MS per transaction; prints ``ready`` once bound.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import rogue.interfaces.memory as rim
import rogue.interfaces.stream as ris

FILL = 1024


def payload(tag: bytes, seq: int) -> bytes:
    """The frame numbered ``seq``: checkable by content, not only by its number."""
    return tag + seq.to_bytes(8, "little") + bytes([(seq * 7 + k) & 0xFF for k in range(16)]) * (FILL // 16)


def check(data: bytes) -> tuple[bytes, int, bool]:
    """``(tag, seq, intact)`` of a received frame."""
    tag, seq = data[:1], int.from_bytes(data[1:9], "little")
    return tag, seq, data == payload(tag, seq)


class Checker(ris.Slave):
    """Checks that frames arrive intact and numbered without gaps after the first."""

    def __init__(self) -> None:
        super().__init__()
        self.first = self.last = -1
        self.count = self.bad = 0

    def _acceptFrame(self, frame: ris.Frame) -> None:
        _tag, seq, ok = check(bytes(frame.getBa()))
        if self.first < 0:
            self.first = seq
        elif seq != self.last + 1:
            ok = False
        self.bad += not ok
        self.last = seq
        self.count += 1


def stream(port: int, tag: bytes) -> None:
    cli = ris.TcpClient("127.0.0.1", port)
    chk = Checker()
    cli >> chk
    src = ris.Master()
    src >> cli

    def send() -> None:
        seq = 0
        while True:
            frame = src._reqFrame(9 + FILL, True)
            frame.write(payload(tag, seq))
            src._sendFrame(frame)
            seq += 1

    threading.Thread(target=send, daemon=True).start()
    while True:
        print("rx", chk.first, chk.last, chk.count, chk.bad, flush=True)
        time.sleep(0.05)


class SlowEmulate(rim.Emulate):
    """Emulated memory that takes a while per transaction (a transaction is in flight when killed)."""

    def __init__(self, delay: float) -> None:
        super().__init__(4, 0x1000)
        self._delay = delay

    def _doTransaction(self, transaction: rim.Transaction) -> None:
        time.sleep(self._delay)
        super()._doTransaction(transaction)


def memory(port: int, delay_ms: int) -> None:
    srv = rim.TcpServer("127.0.0.1", port)
    srv >> SlowEmulate(delay_ms / 1000)
    print("ready", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    # Never outlive a failed test. Only when run as the far process: the test
    # imports this module for payload()/check(), and must not be shot by it.
    _watchdog = threading.Timer(60.0, os._exit, (3,))
    _watchdog.daemon = True
    _watchdog.start()
    if sys.argv[1] == "stream":
        stream(int(sys.argv[2]), sys.argv[3].encode())
    else:
        memory(int(sys.argv[2]), int(sys.argv[3]))
