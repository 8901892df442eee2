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
import time
import weakref
from typing import Protocol

import zmq

# pyzmq frees the buffers of zero-copy sends in its own atexit hook. Imported
# here, before ours is registered, that hook runs after ours (atexit is LIFO), so
# libzmq never flushes memory Python already freed (it crashed the process).
import zmq.utils.garbage  # noqa: E402,F401

__all__ = ["context", "register_closer", "tcp_url", "unregister_closer"]

_lock = threading.Lock()
_ctx: zmq.Context[zmq.Socket[bytes]] | None = None
_pid = 0
_EXIT_FLUSH_S = 5.0  # the longest interpreter exit waits for libzmq to flush
_EXIT_CLOSERS = 32  # threads closing forgotten bridges at exit
_EXIT_CLOSE_S = 20.0  # the longest exit waits for them


class _Closable(Protocol):
    def close(self) -> None: ...


_open: "weakref.WeakSet[_Closable]" = weakref.WeakSet()


def context() -> zmq.Context[zmq.Socket[bytes]]:
    """Return the process-wide ZeroMQ context, creating it on first use."""
    global _ctx, _pid
    ctx = _ctx
    if ctx is not None and _pid == os.getpid():
        return ctx
    with _lock:
        if _ctx is None or _pid != os.getpid():
            _ctx = zmq.Context()
            # libzmq's default cap is 1023 sockets per context (about 85 stream bridge
            # pairs; each bridge holds 4 sockets and 2 monitor pipes). It can only be
            # raised before the first socket exists, so raise it to libzmq's own limit
            # here: the process's file-descriptor limit is then what bounds the count.
            _ctx.set(zmq.MAX_SOCKETS, _ctx.get(zmq.SOCKET_LIMIT))
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


def _close_each(objs: list[_Closable]) -> None:
    for obj in objs:
        try:
            obj.close()
        except Exception:  # noqa: BLE001 - exit must not fail on one bridge
            pass


@atexit.register
def _shutdown() -> None:
    objs = list(_open)
    # Each close() waits up to one poll period (0.1 s) for its object's thread: one
    # after the other, 2 000 forgotten bridges held exit for over 90 s (measured).
    # Closed from up to _EXIT_CLOSERS threads at once, they take a few seconds.
    n = min(_EXIT_CLOSERS, len(objs))
    closers = [
        threading.Thread(target=_close_each, args=(objs[k::n],), name=f"rogue-bridge:zmq:exit{k}", daemon=True)
        for k in range(n)
    ]
    for t in closers:
        t.start()
    end = time.monotonic() + _EXIT_CLOSE_S
    for t in closers:
        t.join(max(0.0, end - time.monotonic()))
    ctx = _ctx
    if ctx is not None and _pid == os.getpid():
        # Our sockets are closed; term() waits at most their linger for queued
        # frames. A socket the application left open would block term() for
        # ever, so the wait is bounded and runs in a daemon thread.
        t = threading.Thread(target=ctx.term, name="rogue-bridge:zmq:term", daemon=True)
        t.start()
        t.join(_EXIT_FLUSH_S)
