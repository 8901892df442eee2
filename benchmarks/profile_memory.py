"""Where a memory-bridge transaction's time goes: each step of the client's and server's path, in µs.

``python -m benchmarks.profile_memory`` times, in one process over an inproc
socket pair (no network, no second process: only Python and pyzmq CPU shows),
each step a sequential 4-byte read takes in our client and server, and the
calls the raw pyzmq benchmark makes for the same round trip. Every step is
the function the bridges call (transport helpers, codec, cores), run many
times; the median of five runs is printed per call.
"""

from __future__ import annotations

import logging
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import zmq  # noqa: E402

import rogue.interfaces.memory as rim  # noqa: E402
from rogue._transport import recv_parts, send_parts  # noqa: E402
from rogue.interfaces.memory import _wire as w  # noqa: E402
from rogue.interfaces.memory._client_core import ClientCore  # noqa: E402
from rogue.interfaces.memory._server_core import ServerCore  # noqa: E402
from rogue.interfaces.memory.transaction import Transaction  # noqa: E402

_N = 20000
_LOG = logging.getLogger("rogue.profile")


def _us(op: Callable[[], Any], before: Callable[[], Any] | None = None, after: Callable[[], Any] | None = None) -> float:
    """Median µs per call of ``op`` over five runs of ``_N`` calls (``before``/``after`` each run, untimed)."""
    runs = []
    for _ in range(5):
        if before is not None:
            before()
        t = time.perf_counter()
        for _ in range(_N):
            op()
        runs.append((time.perf_counter() - t) / _N * 1e6)
        if after is not None:
            after()
    return statistics.median(runs)


def main() -> None:
    ctx = zmq.Context()
    a, b = ctx.socket(zmq.PUSH), ctx.socket(zmq.PULL)
    a.sndhwm = b.rcvhwm = 0
    a.bind("inproc://profile")
    b.connect("inproc://profile")
    poller = zmq.Poller()
    for s in (b, ctx.socket(zmq.PAIR), ctx.socket(zmq.PAIR)):  # the client polls its PULL and two monitors
        poller.register(s, zmq.POLLIN)
    req = w.encode_request(1, 0x1000, 4, w.READ)
    resp = w.encode_response(1, 0x1000, 4, w.READ, b"abcd")

    def drain() -> None:
        while b.poll(0):
            b.recv_multipart()

    def fill(parts: list[Any]) -> Callable[[], None]:
        return lambda: [send_parts(a, parts) for _ in range(_N)]

    rows: list[tuple[str, str, float]] = [
        ("ours", "send a 4-part request (send_parts)", _us(lambda: send_parts(a, req), after=drain)),
        ("raw", "send a 4-part request (send_multipart)", _us(lambda: a.send_multipart(req), after=drain)),
        ("ours", "receive a 6-part response (recv_parts)", _us(lambda: recv_parts(b), before=fill(resp))),
        ("raw", "receive a 6-part response (recv_multipart)", _us(b.recv_multipart, before=fill(resp))),
        ("both", "poll 3 sockets, nothing waiting (timeout 0)", _us(lambda: poller.poll(0))),
        ("ours", "ask EVENTS (server: is another request waiting?)", _us(lambda: b.getsockopt(zmq.EVENTS))),
    ]

    core = ClientCore("profile", _LOG)
    buf = bytearray(4)

    def client_tx() -> None:
        tran = Transaction(0x1000, memoryview(buf), 4, w.READ, 10.0)
        tran._id = 1
        tran._deadline = time.monotonic() + 10.0
        core.request(tran)
        core.receive((resp,), time.monotonic())

    rows.append(("client", "Transaction, request parts, decode, match, complete", _us(client_tx)))
    emu = rim.Emulate(4, 0x10000)
    mst = rim.Master()
    mst >> emu
    rows.append(("client", "Master._reqTransaction + _waitTransaction (local Emulate)",
                 _us(lambda: mst._waitTransaction(mst._reqTransaction(0x1000, buf, 4, 0, rim.Read)))))
    score = ServerCore(lambda: emu, lambda: 1.0, lambda: None, _LOG, False)
    rows.append(("server", "decode, run on Emulate, response parts", _us(lambda: score.receive(req))))

    width = max(len(r[1]) for r in rows)
    print(f"| side | step{' ' * (width - 4)} | µs per call |\n|---|---|---|")
    for side, step, us in rows:
        print(f"| {side} | {step:{width}} | {us:.2f} |")
    a.close(0)
    b.close(0)
    ctx.destroy(0)


if __name__ == "__main__":
    main()
