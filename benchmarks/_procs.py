"""Running one measurement: a server and a client role in two separate processes on loopback.

The parent never imports zmq or the bridges (only ``rogue._ports``): each child (forked) builds its own ZeroMQ
context, so the parent stays a plain orchestrator and nothing is shared.
"""

from __future__ import annotations

import multiprocessing as mp
import resource
import time
import traceback
from typing import Any, Callable

from rogue import _ports

Role = Callable[[int, dict[str, Any], Any, Any], dict[str, Any]]

_CTX = mp.get_context("fork")


def free_port_pair() -> int:
    """A base port P with P and P+1 free on 127.0.0.1, below the ephemeral range."""
    return _ports.free_port_pair()


def peak_rss_mib() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(role: Role, name: str, port: int, args: dict[str, Any], q: Any, ready: Any, stop: Any) -> None:
    try:
        res = role(port, args, ready, stop)
        res["peak_rss_mib"] = round(peak_rss_mib(), 1)
        q.put((name, res))
    except BaseException:  # noqa: BLE001 - report any failure to the parent instead of hanging it
        q.put((name, {"error": traceback.format_exc()}))


def run_pair(server: Role, client: Role, args: dict[str, Any], *, stop_after: str,
             timeout: float = 120.0) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run ``server`` then ``client`` in two processes; return their result dicts.

    The server sets ``ready`` once bound. ``stop`` is set once ``stop_after`` (the
    role's name) reported: "client" for a server that runs until told, "server" for
    a sending client that must stay open until the receiving server has everything.
    """
    q, ready, stop = _CTX.Queue(), _CTX.Event(), _CTX.Event()
    port = free_port_pair()
    procs = [_CTX.Process(target=_child, args=(server, "server", port, args, q, ready, stop), daemon=True)]
    procs[0].start()
    results: dict[str, dict[str, Any]] = {}
    deadline = time.monotonic() + timeout
    try:
        if not ready.wait(30):
            raise RuntimeError(f"server of {args} not ready")
        procs.append(_CTX.Process(target=_child, args=(client, "client", port, args, q, ready, stop), daemon=True))
        procs[1].start()
        while len(results) < 2:
            name, res = q.get(timeout=max(0.1, deadline - time.monotonic()))
            if "error" in res:
                raise RuntimeError(f"{name} of {args} failed:\n{res['error']}")
            results[name] = res
            if name == stop_after:
                stop.set()
        stop.set()
        for p in procs:
            p.join(30)
    finally:
        stop.set()
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join(5)
    return results["server"], results["client"]
