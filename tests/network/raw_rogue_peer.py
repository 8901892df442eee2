"""A C++-Rogue-shaped stream server for the network tests: raw pyzmq, socket options as wire.md says, nothing more.

``python raw_rogue_peer.py ADDR PORT RATE``: binds PULL on PORT and PUSH on
PORT+1 (``IMMEDIATE=1``, ``LINGER=0``, 100 ms receive timeout: no heartbeat or
keepalive options, as C++ Rogue 6.15), sends ``net_stream_peer`` numbered
frames as 4-part messages at RATE frames/s (blocking while no peer, as Rogue's
sender) and checks the numbered frames it receives. Prints the same ``st`` and
``gap`` lines as ``net_stream_peer.py`` (its "connected" column is always 1: a
raw peer cannot tell).
"""

from __future__ import annotations

import os
import sys
import threading
import time

import zmq

from net_stream_peer import payload, say


def main() -> None:
    addr, port, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    threading.Timer(50.0, os._exit, (3,)).start()  # never outlive a failed test
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.setsockopt(zmq.LINGER, 0)
    pull.setsockopt(zmq.RCVTIMEO, 100)
    push = ctx.socket(zmq.PUSH)
    push.setsockopt(zmq.LINGER, 0)
    push.setsockopt(zmq.IMMEDIATE, 1)
    pull.bind(f"tcp://{addr}:{port}")
    push.bind(f"tcp://{addr}:{port + 1}")
    tx = [0]
    lock = threading.Lock()

    def send() -> None:
        nxt = time.monotonic()
        while True:
            parts = [b"\x00\x00", b"\x00", b"\x00", payload(tx[0])]
            while True:
                try:
                    with lock:
                        push.send_multipart(parts, zmq.NOBLOCK)
                    break
                except zmq.Again:
                    time.sleep(0.01)
            tx[0] += 1
            nxt = max(nxt + 1.0 / rate, time.monotonic() - 0.5)
            time.sleep(max(0.0, nxt - time.monotonic()))

    threading.Thread(target=send, daemon=True).start()
    last, count, dups, ooo, bad = -1, 0, 0, 0, 0
    seen: set[int] = set()
    say("ready")
    last_st = 0.0
    while True:
        try:
            msg = pull.recv_multipart()
        except zmq.Again:
            msg = None
        if msg is not None:
            data = msg[3] if len(msg) == 4 else b""
            seq = int.from_bytes(data[:8], "little")
            bad += data != payload(seq)
            if seq in seen:
                dups += 1
            elif seq < last:
                ooo += 1
            elif seq > last + 1:
                say("gap", last + 1, seq - 1, f"{time.monotonic():.3f}")
            seen.add(seq)
            last = max(last, seq)
            count += 1
        now = time.monotonic()
        if now - last_st >= 0.05:
            last_st = now
            say("st", f"{now:.3f}", 1, tx[0], count, last, dups, ooo, bad, 0)


if __name__ == "__main__":
    main()
