"""Request round trips of pyrogue's remote interface: ``ZmqClient._send`` → ``ZmqServer._doRequest``, raw pyzmq beside it.

``python -m benchmarks.zmq_server [--count N] [--size BYTES] [--reps R]``: the client and the server in two
processes on 127.0.0.1 (``_procs.run_pair``), the raw REQ/REP ceiling and ours measured in turn in every
repetition; prints the median microseconds per round trip of each (a VirtualClient request is one of these plus
pyrogue's pickling).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from ._procs import run_pair


def _raw_server(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import zmq

    ctx = zmq.Context()
    rep = ctx.socket(zmq.REP)
    rep.linger = 0
    rep.bind(f"tcp://127.0.0.1:{port + 1}")
    ready.set()
    while not stop.is_set():
        if rep.poll(100):
            rep.send(rep.recv())
    rep.close()
    ctx.term()
    return {}


def _our_server(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces

    class Echo(rogue.interfaces.ZmqServer):
        def _doRequest(self, data: bytes) -> bytes:
            return data

    srv = Echo("127.0.0.1", port)
    srv._start()
    ready.set()
    stop.wait()
    srv._stop()
    return {}


def _timed(send: Any, args: dict[str, Any]) -> dict[str, Any]:
    payload = b"x" * args["size"]
    for _ in range(100):  # connect and warm up
        send(payload)
    t0 = time.perf_counter()
    for _ in range(args["count"]):
        send(payload)
    return {"us": (time.perf_counter() - t0) / args["count"] * 1e6}


def _raw_client(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import zmq

    ctx = zmq.Context()
    req = ctx.socket(zmq.REQ)
    req.linger = 0
    req.connect(f"tcp://127.0.0.1:{port + 1}")

    def send(data: bytes) -> bytes:
        req.send(data)
        return req.recv()

    try:
        return _timed(send, args)
    finally:
        req.close()
        ctx.term()


def _our_client(port: int, args: dict[str, Any], ready: Any, stop: Any) -> dict[str, Any]:
    import rogue.interfaces

    client = rogue.interfaces.ZmqClient("127.0.0.1", port, False)
    client.setTimeout(5000, 5000)
    try:
        return _timed(client._send, args)
    finally:
        client._stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--count", type=int, default=5000, help="round trips per measurement (default 5000)")
    p.add_argument("--size", type=int, default=200, help="request and reply bytes (default 200)")
    p.add_argument("--reps", type=int, default=5, help="repetitions, the two cases in turn (default 5)")
    a = p.parse_args()
    args = {"count": a.count, "size": a.size}
    rows: dict[str, list[float]] = {"raw pyzmq REQ/REP": [], "ZmqClient._send -> ZmqServer": []}
    cases = {"raw pyzmq REQ/REP": (_raw_server, _raw_client), "ZmqClient._send -> ZmqServer": (_our_server, _our_client)}
    for _ in range(a.reps):
        for name, (server, client) in cases.items():
            _, res = run_pair(server, client, args, stop_after="client")
            if "error" in res:
                raise SystemExit(res["error"])
            rows[name].append(res["us"])
    print(f"{a.count} round trips of {a.size} bytes, {a.reps} repetitions (median, all in us):")
    for name, us in rows.items():
        print(f"  {name:30s} {statistics.median(us):7.1f}   {' '.join(f'{u:.0f}' for u in us)}")
    ratio = statistics.median(rows["ZmqClient._send -> ZmqServer"]) / statistics.median(rows["raw pyzmq REQ/REP"])
    print(f"  ours / raw: {ratio:.2f}")


if __name__ == "__main__":
    main()
