"""Stream roles: a receiver (server, binds) and a sender (client, connects), raw pyzmq or our bridge.

Every role times only the measured frames (after ``warmup`` frames) and reports
wall time and process CPU time (all threads) of that span.
"""

from __future__ import annotations

import threading
import time
from typing import Any

_HDR = (b"\x00\x00", b"\x00", b"\x00")  # flags, channel, error: the 4-part wire format


class _Span:
    """Wall and CPU time between ``start()`` and ``end()``."""

    def __init__(self) -> None:
        self.t0 = self.c0 = self.t1 = self.c1 = 0.0

    def start(self) -> None:
        self.t0, self.c0 = time.perf_counter(), time.process_time()

    def end(self) -> None:
        self.t1, self.c1 = time.perf_counter(), time.process_time()

    def result(self, **extra: Any) -> dict[str, Any]:
        return {"seconds": self.t1 - self.t0, "cpu_seconds": self.c1 - self.c0, **extra}


# -- raw pyzmq -------------------------------------------------------------------------------
def raw_receiver(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import zmq

    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.bind(f"tcp://127.0.0.1:{port}")
    ready.set()
    copy, warm, total = args["copy"], args["warmup"], args["warmup"] + args["count"]
    recv = pull.recv_multipart
    span = _Span()
    for _ in range(warm):
        recv(copy=copy)
    span.start()
    nbytes = 0
    for _ in range(warm, total):
        nbytes += len(recv(copy=copy)[3])
    span.end()
    pull.close(0)
    ctx.term()
    return span.result(frames=total - warm, bytes=nbytes)


def raw_sender(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import zmq

    ctx = zmq.Context()
    push = ctx.socket(zmq.PUSH)
    push.connect(f"tcp://127.0.0.1:{port}")
    copy, total = args["copy"], args["warmup"] + args["count"]
    payload = bytes(args["size"])
    send, more = push.send, zmq.SNDMORE
    h0, h1, h2 = _HDR
    span = _Span()
    span.start()
    for _ in range(total):
        send(h0, more)
        send(h1, more)
        send(h2, more)
        send(payload, 0, copy)
    span.end()
    stop.wait(60)  # keep the socket until the receiver has everything
    push.close(0)
    ctx.term()
    return span.result(frames=total)


# -- our bridge: Master -> TcpClient ==> TcpServer -> Slave ------------------------------------
def bridge_receiver(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.stream as ris

    warm, total = args["warmup"], args["warmup"] + args["count"]
    span = _Span()
    done = threading.Event()

    class Counter(ris.Slave):
        """Counts frames and bytes; times the measured ones."""

        def __init__(self) -> None:
            super().__init__()
            self.frames = 0
            self.bytes = 0

        def _acceptFrame(self, frame: Any) -> None:
            n = self.frames = self.frames + 1
            if n > warm:
                self.bytes += frame.getPayload()
                if n == total:
                    span.end()
                    done.set()
            elif n == warm:
                span.start()

    counter = Counter()
    tcp = ris.TcpServer("127.0.0.1", port)
    tcp >> counter
    if warm == 0:
        span.start()
    ready.set()
    if not done.wait(120):
        raise RuntimeError(f"received {counter.frames} of {total} frames")
    tcp.close()
    return span.result(frames=total - warm, bytes=counter.bytes)


def bridge_sender(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.stream as ris

    size, total = args["size"], args["warmup"] + args["count"]
    payload = bytes(size)
    src = ris.Master()
    tcp = ris.TcpClient("127.0.0.1", port)
    src >> tcp
    if not tcp.waitReady(10.0):
        raise RuntimeError("stream bridge not ready")
    req, sendf = src._reqFrame, src._sendFrame
    span = _Span()
    if args.get("fill"):
        span.start()
        for _ in range(total):
            # What a producing Master does for each frame: request it, fill it, send it.
            frame = req(size, True)
            frame.write(payload)
            sendf(frame)
    else:
        # One prepared frame sent again and again, as the raw ceiling sends one prepared buffer:
        # this measures the bridge alone (allocating and filling a frame is the producer's cost).
        frame = req(size, True)
        frame.write(payload)
        span.start()
        for _ in range(total):
            sendf(frame)
    span.end()
    stop.wait(60)
    tcp.close()
    return span.result(frames=total)
