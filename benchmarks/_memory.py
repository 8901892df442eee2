"""Memory roles: a server (binds) answering requests and a client issuing them (sequential or pipelined).

Raw pyzmq uses the memory bridge's messages (wire.md): a 4-part request (5 with
write data) on one PUSH/PULL pair, a 6-part response on the other. Our bridge is
``Master -> TcpClient ==> TcpServer -> Emulate``; the SRP path is
``Master -> SrpV3 == stream TcpClient ==> stream TcpServer == SrpV3Emulation``.
"""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from ._stream import _Span

READ, WRITE = 1, 2
_OK = b"OK"
_ADDR = 0x1000


def _type(args: dict[str, Any]) -> int:
    return WRITE if args["op"] == "write" else READ


def _result(span: _Span, args: dict[str, Any], n: int) -> dict[str, Any]:
    return span.result(transactions=n, bytes=n * args["size"])


# -- raw pyzmq -------------------------------------------------------------------------------
def raw_server(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import time

    import zmq

    ctx = zmq.Context()
    pull, push = ctx.socket(zmq.PULL), ctx.socket(zmq.PUSH)
    pull.bind(f"tcp://127.0.0.1:{port}")
    push.bind(f"tcp://127.0.0.1:{port + 1}")
    ready.set()
    zeros = bytes(args["size"])
    recv, send = pull.recv_multipart, push.send_multipart
    served = 0
    c0 = time.process_time()
    while not stop.is_set():
        if not pull.poll(100):
            continue
        while True:
            try:
                parts = recv(zmq.NOBLOCK)
            except zmq.Again:
                break
            data = parts[4] if len(parts) == 5 else zeros
            send([parts[0], parts[1], parts[2], parts[3], data, _OK])
            served += 1
    cpu = time.process_time() - c0
    pull.close(0)
    push.close(0)
    ctx.term()
    return {"served": served, "cpu_seconds_total": cpu}


def raw_client(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import zmq

    ctx = zmq.Context()
    push, pull = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    push.connect(f"tcp://127.0.0.1:{port}")
    pull.connect(f"tcp://127.0.0.1:{port + 1}")
    size, ttype, window = args["size"], _type(args), args["window"]
    head = [struct.pack("<Q", _ADDR), struct.pack("<I", size), struct.pack("<I", ttype)]
    if ttype == WRITE:
        head.append(bytes(size))
    pack, send, recv = struct.Struct("<I").pack, push.send_multipart, pull.recv_multipart

    def run(n: int, first: int) -> None:
        tid, sent = first, 0
        while sent < min(window, n):
            send([pack(tid), *head])
            tid, sent = tid + 1, sent + 1
        for _ in range(n):
            resp = recv()
            if resp[5] != _OK:
                raise RuntimeError(f"raw response {resp!r}")
            if sent < n:
                send([pack(tid), *head])
                tid, sent = tid + 1, sent + 1

    run(args["warmup"], 1)
    span = _Span()
    span.start()
    run(args["count"], 1 + args["warmup"])
    span.end()
    push.close(0)
    pull.close(0)
    ctx.term()
    return _result(span, args, args["count"])


# -- our bridges -------------------------------------------------------------------------------
def _serve_until_stop(stop: Any, *objs: Any) -> dict[str, Any]:
    import time

    c0 = time.process_time()
    stop.wait(300)
    cpu = time.process_time() - c0
    for obj in objs:
        obj.stop()
    return {"cpu_seconds_total": cpu}


def bridge_server(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.memory as rim

    srv = rim.TcpServer("127.0.0.1", port)
    emu = rim.Emulate(4, 0x1000)
    srv >> emu
    ready.set()
    res = _serve_until_stop(stop, srv)
    res["served"] = srv.getServedCount()
    return res


def srp_server(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.stream as ris
    import rogue.protocols.srp as rps

    tcp = ris.TcpServer("127.0.0.1", port)
    emu = rps.SrpV3Emulation()
    tcp == emu
    ready.set()
    return _serve_until_stop(stop, emu, tcp)


def _drive(mst: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Issue warmup + count transactions with up to ``window`` in flight; time the counted ones."""
    import rogue.interfaces.memory as rim

    size, window = args["size"], args["window"]
    ttype = rim.Write if args["op"] == "write" else rim.Read
    mst._setTimeout(10_000_000)
    req, wait = mst._reqTransaction, mst._waitTransaction
    # One buffer per slot of the window, as a user reading into preallocated buffers would.
    bufs = [bytearray(size) for _ in range(window)]

    def run(n: int) -> None:
        mst._clearError()
        if window == 1:
            buf = bufs[0]
            for _ in range(n):
                req(_ADDR, buf, size, 0, ttype)
                wait(0)
        else:
            pending: deque[int] = deque()
            for i in range(n):
                if len(pending) == window:
                    wait(pending.popleft())
                pending.append(req(_ADDR, bufs[i % window], size, 0, ttype))
            wait(0)
        if mst._getError():
            raise RuntimeError(f"transaction failed: {mst._getError()}")

    run(args["warmup"])
    span = _Span()
    span.start()
    run(args["count"])
    span.end()
    return _result(span, args, args["count"])


def bridge_client(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.memory as rim

    mst = rim.Master()
    cli = rim.TcpClient("127.0.0.1", port)
    mst >> cli
    if not cli.waitReady(10.0):  # (waitReady=True acts only in _start(), as in Rogue)
        raise RuntimeError("memory bridge not ready")
    try:
        return _drive(mst, args)
    finally:
        cli.stop()


def srp_client(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces.memory as rim
    import rogue.interfaces.stream as ris
    import rogue.protocols.srp as rps

    mst, srp = rim.Master(), rps.SrpV3()
    tcp = ris.TcpClient("127.0.0.1", port)
    mst >> srp
    srp == tcp
    if not tcp.waitReady(10.0):
        raise RuntimeError("stream bridge not ready")
    try:
        return _drive(mst, args)
    finally:
        srp.stop()
        tcp.close()
