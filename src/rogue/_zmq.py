"""The one ZeroMQ context of the process, shared by every bridge.

One context means one set of libzmq I/O threads however many bridges a process
holds. The context is re-created after ``fork()`` (a ZeroMQ context must not be
used across a fork). At interpreter exit, bridges still open are closed (so no
exit hangs on a forgotten bridge) and the context is terminated, which lets
libzmq flush, within each socket's linger time, frames already handed to it.
"""

from __future__ import annotations

import atexit
import os
import threading
import weakref
from typing import Protocol

import zmq

# pyzmq frees the buffers of zero-copy sends in its own atexit hook. Imported
# here, before ours is registered, that hook runs after ours (atexit is LIFO), so
# libzmq never flushes memory Python already freed (it crashed the process).
import zmq.utils.garbage  # noqa: E402,F401

__all__ = ["context", "register_closer", "tcp_url"]

_lock = threading.Lock()
_ctx: zmq.Context | None = None
_pid = 0
_EXIT_FLUSH_S = 5.0  # the longest interpreter exit waits for libzmq to flush


class _Closable(Protocol):
    def close(self) -> None: ...


_open: "weakref.WeakSet[_Closable]" = weakref.WeakSet()


def context() -> zmq.Context:
    """Return the process-wide ZeroMQ context, creating it on first use."""
    global _ctx, _pid
    ctx = _ctx
    if ctx is not None and _pid == os.getpid():
        return ctx
    with _lock:
        if _ctx is None or _pid != os.getpid():
            _ctx = zmq.Context()
            _pid = os.getpid()
        return _ctx


def register_closer(obj: _Closable) -> None:
    """Have ``obj.close()`` called at interpreter exit if it is still open then."""
    _open.add(obj)


def unregister_closer(obj: _Closable) -> None:
    """Forget ``obj`` (it closed itself)."""
    _open.discard(obj)


def tcp_url(addr: str, port: int) -> str:
    """``tcp://addr:port``, with IPv6 literals bracketed."""
    if ":" in addr and not addr.startswith("["):
        addr = f"[{addr}]"
    return f"tcp://{addr}:{port}"


@atexit.register
def _shutdown() -> None:
    for obj in list(_open):
        try:
            obj.close()
        except Exception:  # noqa: BLE001 - exit must not fail on one bridge
            pass
    ctx = _ctx
    if ctx is not None and _pid == os.getpid():
        # Our sockets are closed; term() waits at most their linger for queued
        # frames. A socket the application left open would block term() for
        # ever, so the wait is bounded and runs in a daemon thread.
        t = threading.Thread(target=ctx.term, name="rogue-bridge:zmq:term", daemon=True)
        t.start()
        t.join(_EXIT_FLUSH_S)
